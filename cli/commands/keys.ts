// `awr keys create|list|revoke`: the API keys of `awr serve` (DESIGN §8 § Auth), in the server
// tables beside the run store (`--store`, the same spec `awr serve` takes). A new key is printed
// once; only its hash is stored.
import { KeyStore, openServerDb } from "../../server/index.js";
import type { Command } from "../command.js";
import { Exit, UsageError } from "../io.js";
import { STORE_HELP, existingStore, openRunStore, storeLabel } from "../runs.js";

export const keys: Command = {
  name: "keys",
  summary: "Create, list or revoke the API keys of awr serve",
  options: {
    store: { type: "string" },
    json: { type: "boolean" },
    role: { type: "string", multiple: true },
    tenant: { type: "string" },
    name: { type: "string" },
  },
  help: `Create, list or revoke the API keys callers of awr serve send as Authorization: Bearer <key>.
A key belongs to one tenant (it sees that tenant's runs, plans and events only) and carries roles
(what policies see as principal.roles; its principal.id is the key's id). The key is printed once,
when it is created: only its SHA-256 hash is stored. Keys live beside the runs, in the store
awr serve uses (--store).

Usage: awr keys create --tenant T [--role R]... [--name N] [--json]
       awr keys list [--tenant T] [--json]
       awr keys revoke <key-id>

Options:
${STORE_HELP}
  --tenant <t>         The key's tenant (create); only this tenant's keys (list)
  --role <r>           A role of the key (repeatable, or comma-separated)
  --name <n>           A label for the key (shown by list, in principal.attrs.keyName)
  --json               Print JSON: create prints { "key", "id", "tenant", "roles", … }
  -h, --help           Show this help

Examples:
  awr keys create --tenant acme --role operator --name ci
  awr keys list --tenant acme
  awr keys revoke 3f9a0c1b2d4e5f60

Exit codes:
  0  done
  2  usage error, an unknown or already revoked key, or a store that cannot be opened
`,
  async run(args, io) {
    const [sub, ...rest] = args.positionals;
    const spec = args.values.store as string | undefined;
    if (spec === "memory:" || spec?.startsWith("memory:")) throw new UsageError("keys in a memory: store would vanish with this process", "pass the --store awr serve uses (a SQLite path or postgres://…)");
    const json = args.values.json === true;
    const tenant = args.values.tenant as string | undefined;
    if (sub === "create") {
      if (rest.length) throw new UsageError(`unexpected arguments: ${rest.join(" ")}`);
      if (tenant === undefined) throw new UsageError("missing --tenant", "every key belongs to one tenant: awr keys create --tenant T [--role R]");
      const roles = ((args.values.role as unknown as string[] | undefined) ?? []).flatMap((r) => r.split(",")).map((r) => r.trim()).filter(Boolean);
      const name = args.values.name as string | undefined;
      // A new store is made a run store first (the server opens it as one): keys made before the
      // first `awr serve` or `awr run` must not leave a file the run store refuses.
      await (await openRunStore(spec, io)).close();
      return withKeys(spec, io.cwd, async (ks) => {
        const made = await checked(() => ks.create({ tenant, roles, ...(name !== undefined ? { name } : {}) }));
        if (json) io.stdout.write(`${JSON.stringify(made, null, 2)}\n`);
        else io.stdout.write(`${made.key}\n\nkey ${made.id} of tenant ${made.tenant}${made.roles.length ? ` with roles ${made.roles.join(", ")}` : ""}: shown once, only its hash is stored\n`);
        return Exit.ok;
      });
    }
    if (sub === "list") {
      if (rest.length) throw new UsageError(`unexpected arguments: ${rest.join(" ")}`);
      existingStore(spec, io);
      return withKeys(spec, io.cwd, async (ks) => {
        const list = await ks.list(tenant !== undefined ? { tenant } : {});
        if (json) io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        else if (!list.length) io.stdout.write("no keys\n");
        else
          for (const k of list)
            io.stdout.write(`${k.id}  ${k.tenant.padEnd(16)} ${(k.roles.join(",") || "-").padEnd(20)} ${new Date(k.createdAt).toISOString()}${k.revokedAt !== undefined ? "  revoked" : ""}${k.name !== undefined ? `  ${k.name}` : ""}\n`);
        return Exit.ok;
      });
    }
    if (sub === "revoke") {
      const [id, ...extra] = rest;
      if (id === undefined) throw new UsageError("missing key id", 'list the keys with "awr keys list"');
      if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(" ")}`);
      existingStore(spec, io);
      return withKeys(spec, io.cwd, async (ks) => {
        if (!(await ks.revoke(id))) throw new UsageError(`no live key ${id} in ${storeLabel(spec)}`, 'list the keys with "awr keys list"');
        if (json) io.stdout.write(`${JSON.stringify({ id, revoked: true })}\n`);
        else io.stdout.write(`revoked key ${id}\n`);
        return Exit.ok;
      });
    }
    throw new UsageError(sub === undefined ? "missing subcommand" : `unknown subcommand "${sub}"`, "use awr keys create, awr keys list or awr keys revoke <key-id>");
  },
};

async function withKeys(spec: string | undefined, cwd: string, f: (ks: KeyStore) => Promise<number>): Promise<number> {
  const db = await openServerDb(spec, { cwd });
  try {
    return await f(await KeyStore.open(db));
  } finally {
    await db.close();
  }
}

/** A tenant, role or name the key store refuses is the user's mistake. */
async function checked<A>(f: () => Promise<A>): Promise<A> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
}
