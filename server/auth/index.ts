// Auth and tenancy of `awr serve` (DESIGN §8 § Auth, § Limits; docs/server-auth.md).
export { authenticator, callerOfKey, type Authenticate, type AuthenticatorOptions } from "./authenticator.js";
export { AuthError, RateLimited, TenantBusy, httpErrorOf, type AuthRefusal } from "./errors.js";
export { jwtVerifier, type JwtOptions } from "./jwt.js";
export { KeyStore, KEY_PREFIX, keyIdOf, type ApiKey } from "./keys.js";
export { TenantLimiter, type TenantLimitOptions } from "./limits.js";
export { registerAuth, defaultIsPublic, rateKeyOf, type AuthPluginOptions } from "./plugin.js";
export { DEFAULT_TENANT, sameTenant, tenantMeta, tenantOf, type Tenanted } from "./tenancy.js";
