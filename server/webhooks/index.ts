// Webhooks out of `awr serve` (DESIGN §8; docs/server-auth.md § Webhooks).
export { DeliveryLog, DELIVERY_STATUSES, type Delivery, type DeliveryAttempt, type DeliveryStatus } from "./deliveries.js";
export { WebhookDeliverer, backoffMs, newWebhookSecret, webhookSecretFrom, type DelivererOptions } from "./deliverer.js";
export { webhookRoutes, type WebhookRoutesOptions } from "./routes.js";
export { isPrivateAddress, targetProblem } from "./targets.js";
