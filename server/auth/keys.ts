// API keys (DESIGN §8 § Auth): `awr_<id>_<secret>`, the secret 32 random bytes. Only the SHA-256 of
// the whole key is stored (a random 256-bit key needs no slow hash: there is nothing to guess);
// the id in the key finds its row, and the hashes are compared in constant time, so the lookup
// itself says nothing about the secret. A key maps to a principal (id: the key's id, roles: its
// roles, attrs: `{ keyName }`) and a tenant.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { ServerDb } from "../db.js";

export const KEY_PREFIX = "awr_";

export const KEY_MIGRATIONS: readonly string[][] = [
  [
    `CREATE TABLE server_api_keys (
      id TEXT PRIMARY KEY,
      hash TEXT NOT NULL,
      name TEXT,
      tenant TEXT NOT NULL,
      roles TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      revoked_at BIGINT
    )`,
    "CREATE INDEX server_api_keys_tenant ON server_api_keys (tenant, created_at)",
  ],
];

/** A key as listed: never the key itself, nor its hash. */
export interface ApiKey {
  id: string;
  name?: string;
  tenant: string;
  roles: string[];
  createdAt: number;
  revokedAt?: number;
}

type KeyRow = {
  id: string;
  hash: string;
  name: string | null;
  tenant: string;
  roles: string;
  created_at: number | string;
  revoked_at: number | string | null;
};

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const ID = /^[0-9a-f]{16}$/;

const sha256 = (s: string) => createHash("sha256").update(s).digest();

/** The id part of a key (`awr_<id>_<secret>`), or undefined when the text is not shaped like one. */
export function keyIdOf(key: string): string | undefined {
  if (!key.startsWith(KEY_PREFIX)) return undefined;
  const rest = key.slice(KEY_PREFIX.length);
  const cut = rest.indexOf("_");
  const id = rest.slice(0, cut);
  return cut > 0 && ID.test(id) && rest.length - cut - 1 === 43 ? id : undefined;
}

export class KeyStore {
  private constructor(private readonly db: ServerDb) {}

  /** The key table of a server database, created on first use. */
  static async open(db: ServerDb): Promise<KeyStore> {
    await db.migrate("api_keys", KEY_MIGRATIONS);
    return new KeyStore(db);
  }

  /** Makes a key: the key itself is in the answer only (print it once), its hash in the table. */
  async create(opts: { tenant: string; roles: readonly string[]; name?: string; now?: number }): Promise<{ key: string; id: string } & ApiKey> {
    checkName(opts.tenant, "tenant");
    for (const r of opts.roles) checkName(r, "role");
    if (opts.name !== undefined && (opts.name.length === 0 || opts.name.length > 200)) throw new RangeError("a key name has 1 to 200 characters");
    const id = randomBytes(8).toString("hex");
    const key = `${KEY_PREFIX}${id}_${randomBytes(32).toString("base64url")}`;
    const createdAt = opts.now ?? Date.now();
    const roles = [...new Set(opts.roles)];
    await this.db.run("INSERT INTO server_api_keys (id, hash, name, tenant, roles, created_at) VALUES (?, ?, ?, ?, ?, ?)", [
      id,
      sha256(key).toString("hex"),
      opts.name ?? null,
      opts.tenant,
      JSON.stringify(roles),
      createdAt,
    ]);
    return { key, id, ...(opts.name !== undefined ? { name: opts.name } : {}), tenant: opts.tenant, roles, createdAt };
  }

  /** The key a bearer token is, when it is a live key of this store; undefined otherwise (unknown, revoked, altered). */
  async verify(key: string): Promise<ApiKey | undefined> {
    const id = keyIdOf(key);
    if (id === undefined) return undefined;
    const [row] = await this.db.all<KeyRow>("SELECT * FROM server_api_keys WHERE id = ?", [id]);
    if (!row || row.revoked_at !== null) return undefined;
    const stored = Buffer.from(row.hash, "hex");
    const given = sha256(key);
    return stored.length === given.length && timingSafeEqual(stored, given) ? apiKey(row) : undefined;
  }

  /** Keys newest first, of one tenant when given; revoked keys included (with `revokedAt`). */
  async list(opts: { tenant?: string } = {}): Promise<ApiKey[]> {
    const rows =
      opts.tenant === undefined
        ? await this.db.all<KeyRow>("SELECT * FROM server_api_keys ORDER BY created_at DESC, id")
        : await this.db.all<KeyRow>("SELECT * FROM server_api_keys WHERE tenant = ? ORDER BY created_at DESC, id", [opts.tenant]);
    return rows.map(apiKey);
  }

  /** Revokes a key (kept, listed as revoked); false when there is no such live key. */
  async revoke(id: string, now = Date.now()): Promise<boolean> {
    return (await this.db.run("UPDATE server_api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [now, id])) === 1;
  }
}

function apiKey(row: KeyRow): ApiKey {
  return {
    id: row.id,
    ...(row.name !== null ? { name: row.name } : {}),
    tenant: row.tenant,
    roles: JSON.parse(row.roles) as string[],
    createdAt: Number(row.created_at),
    ...(row.revoked_at !== null ? { revokedAt: Number(row.revoked_at) } : {}),
  };
}

function checkName(s: string, what: string) {
  if (!NAME.test(s)) throw new RangeError(`a ${what} is a letter or digit followed by up to 127 letters, digits, ".", "_", ":" or "-"; got ${JSON.stringify(s)}`);
}
