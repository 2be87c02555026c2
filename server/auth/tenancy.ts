// Tenancy (DESIGN §8: a caller never sees another tenant's runs, plans or events). Every record the
// server keeps has one tenant: a server table's `tenant` column, a run's `meta.tenant` (set from the
// caller when the server starts it). Records from before tenancy, or started by the CLI, belong
// to the tenant "default" — the tenant of `--insecure-no-auth`.
import type { JsonValue as Json } from "../../compiler/plan/types.js";
import type { Caller } from "../caller.js";

export const DEFAULT_TENANT = "default";

/** A server table row (`{ tenant }`) or a run record (`{ meta: { tenant } }`). */
export type Tenanted = { tenant?: unknown; meta?: unknown };

/** The tenant a record belongs to. */
export function tenantOf(record: Tenanted): string {
  if (typeof record.tenant === "string") return record.tenant;
  const m = record.meta;
  if (m !== null && typeof m === "object" && !Array.isArray(m)) {
    const t = (m as Record<string, unknown>)["tenant"];
    if (typeof t === "string") return t;
  }
  return DEFAULT_TENANT;
}

/**
 * Whether the caller may see the record: same tenant. A route answers 404 (never 403) when not,
 * so a caller cannot learn that another tenant's id exists.
 */
export function sameTenant(caller: Caller, record: Tenanted | undefined | null): boolean {
  return record !== undefined && record !== null && tenantOf(record) === caller.tenant;
}

/** The `meta` a run started by `caller` is stored with: `meta.tenant` (and whatever else the server keeps there). */
export function tenantMeta(caller: Pick<Caller, "tenant">, meta: Record<string, Json> = {}): Record<string, Json> {
  return { ...meta, tenant: caller.tenant };
}
