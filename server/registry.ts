// Plans and deployments (DESIGN §8 § Deployments and plan versions). The plans of DIR — each entry
// program (a `.awr` file no other file of DIR imports, compiled here, or a `.awrp` file) — are
// deployments named after their file stem, served to every tenant. A tenant adds plans with
// `POST /v1/plans` (kept as blobs of the run store, by hash) and puts deployments with
// `PUT /v1/deployments/{name}`, which for that tenant replace DIR's deployment of the same name.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { Effect } from "effect";
import { decodePlan, encodePlan, type Plan } from "../compiler/plan/index.js";
import type { RunStore } from "../vm/index.js";
import type { ServerDb } from "./db.js";
import { ApiError } from "./errors.js";

export interface PlanEntry {
  hash: string;
  plan: Plan;
  bytes: Uint8Array;
  graphs: string[];
  /** Where its js tools and context sources are found. */
  root: string;
  /** Where it came from: a file of DIR, or "pushed". */
  source: string;
}

export interface Deployment {
  name: string;
  plan: string;
  canary?: { plan: string; percent: number };
  /** "dir": an entry program of DIR; "put": set by the tenant with PUT. */
  origin: "dir" | "put";
  updatedAt?: string;
}

/** Thrown at start-up: DIR's programs do not compile (the diagnostics, one per line). */
export class ServeSetupError extends Error {
  readonly _tag = "ServeSetupError";
}

const hashOf = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

export function planEntry(plan: Plan, bytes: Uint8Array, root: string, source: string): PlanEntry {
  return { hash: hashOf(bytes), plan, bytes, graphs: Object.keys(plan.graphs), root, source };
}

/** The entry programs of `dir` (top level), compiled or decoded; a program with errors throws ServeSetupError. */
export async function loadDir(dir: string, compilerVersion: string): Promise<Map<string, PlanEntry>> {
  const root = resolve(dir);
  let names: string[];
  try {
    names = readdirSync(root).sort();
  } catch (e) {
    throw new ServeSetupError(`cannot read ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const out = new Map<string, PlanEntry>();
  const add = (name: string, entry: PlanEntry) => {
    if (out.has(name)) throw new ServeSetupError(`two programs of ${dir} are named ${name}: rename one (a deployment is named after its file stem)`);
    out.set(name, entry);
  };
  for (const f of names.filter((n) => extname(n) === ".awrp")) {
    const file = join(root, f);
    try {
      const bytes = readFileSync(file);
      add(basename(f, ".awrp"), planEntry(decodePlan(bytes), bytes, root, file));
    } catch (e) {
      if (e instanceof ServeSetupError) throw e;
      throw new ServeSetupError(`${file}: ${(e as Error).message}`);
    }
  }
  const sources = names.filter((n) => extname(n) === ".awr").map((n) => join(root, n));
  if (sources.length > 0) {
    const { FileHost } = await import("../host/source-host.js");
    const { checkFiles, hasErrors, diagnosticToJson, LineMap } = await import("../compiler/index.js");
    const host = new FileHost();
    const { results } = checkFiles(sources, host, undefined, { plan: true, compilerVersion });
    const problems: string[] = [];
    for (const { program, diagnostics, plan } of results) {
      const entry = program.entries[0]!;
      if (hasErrors(diagnostics) || !plan) {
        for (const d of diagnostics.filter((x) => x.severity === "error")) {
          const j = diagnosticToJson(d, new LineMap(host.read(d.file) ?? ""));
          problems.push(`${j.file}:${j.line}:${j.column}: ${j.code} ${j.message}`);
        }
        continue;
      }
      add(basename(entry, ".awr"), planEntry(plan, encodePlan(plan), root, entry));
    }
    if (problems.length > 0) throw new ServeSetupError(`the programs of ${dir} have errors:\n${problems.join("\n")}`);
  }
  return out;
}

export class Registry {
  /** Decoded plans by hash (DIR's and those pushed or read back from the store). */
  private readonly plans = new Map<string, PlanEntry>();

  constructor(
    private readonly db: ServerDb,
    private readonly store: RunStore,
    /** DIR's deployments by name. */
    private readonly dir: Map<string, PlanEntry>,
    /** Where pushed plans find their js tools. */
    private readonly root: string,
  ) {
    for (const e of dir.values()) this.plans.set(e.hash, e);
  }

  private isDirPlan(hash: string): boolean {
    for (const e of this.dir.values()) if (e.hash === hash) return true;
    return false;
  }

  /** A plan the tenant may run: DIR's, or one it pushed. */
  async plan(tenant: string, hash: string): Promise<PlanEntry | undefined> {
    if (!this.isDirPlan(hash)) {
      const rows = await this.db.all("SELECT plan_hash FROM server_plans WHERE tenant = ? AND plan_hash = ?", [tenant, hash]);
      if (rows.length === 0) return undefined;
    }
    return this.byHash(hash);
  }

  /** A plan by hash, whoever owns it (a run's own plan): from memory, else the store. */
  async byHash(hash: string): Promise<PlanEntry | undefined> {
    const known = this.plans.get(hash);
    if (known) return known;
    const bytes = await Effect.runPromise(this.store.log.getBlob(hash));
    if (!bytes) return undefined;
    const e = planEntry(decodePlan(bytes), bytes, this.root, "pushed");
    this.plans.set(hash, e);
    return e;
  }

  /** Verifies and keeps a pushed `.awrp` (its header, body hash and schema: `PlanError` otherwise). */
  async push(tenant: string, bytes: Uint8Array): Promise<PlanEntry> {
    let plan: Plan;
    try {
      plan = decodePlan(bytes);
    } catch (e) {
      throw new ApiError(422, "invalid_plan", `the body is not a plan AWR can run: ${(e as Error).message}`);
    }
    const entry = planEntry(plan, bytes, this.root, "pushed");
    await Effect.runPromise(this.store.log.putBlob(bytes));
    await this.db.run("INSERT INTO server_plans (tenant, plan_hash, graphs, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", [tenant, entry.hash, JSON.stringify(entry.graphs), Date.now()]);
    if (!this.plans.has(entry.hash)) this.plans.set(entry.hash, entry);
    return entry;
  }

  async listPlans(tenant: string): Promise<{ planHash: string; graphs: string[]; source: string; createdAt?: string }[]> {
    const out: { planHash: string; graphs: string[]; source: string; createdAt?: string }[] = [];
    for (const [name, e] of this.dir) out.push({ planHash: e.hash, graphs: e.graphs, source: `dir:${name}` });
    const rows = await this.db.all<{ plan_hash: string; graphs: string; created_at: unknown }>("SELECT plan_hash, graphs, created_at FROM server_plans WHERE tenant = ? ORDER BY created_at, plan_hash", [tenant]);
    for (const r of rows) {
      if (out.some((p) => p.planHash === r.plan_hash)) continue;
      out.push({ planHash: r.plan_hash, graphs: JSON.parse(r.graphs) as string[], source: "pushed", createdAt: new Date(Number(r.created_at)).toISOString() });
    }
    return out;
  }

  async deployment(tenant: string, name: string): Promise<Deployment | undefined> {
    const [row] = await this.db.all<{ plan_hash: string; canary_plan: string | null; canary_percent: unknown; updated_at: unknown }>(
      "SELECT plan_hash, canary_plan, canary_percent, updated_at FROM server_deployments WHERE tenant = ? AND name = ?",
      [tenant, name],
    );
    if (row) {
      return {
        name,
        plan: row.plan_hash,
        ...(row.canary_plan ? { canary: { plan: row.canary_plan, percent: Number(row.canary_percent) } } : {}),
        origin: "put",
        updatedAt: new Date(Number(row.updated_at)).toISOString(),
      };
    }
    const d = this.dir.get(name);
    return d ? { name, plan: d.hash, origin: "dir" } : undefined;
  }

  async listDeployments(tenant: string): Promise<Deployment[]> {
    const rows = await this.db.all<{ name: string }>("SELECT name FROM server_deployments WHERE tenant = ?", [tenant]);
    const names = new Set([...this.dir.keys(), ...rows.map((r) => r.name)]);
    const out: Deployment[] = [];
    for (const n of [...names].sort()) out.push((await this.deployment(tenant, n))!);
    return out;
  }

  /** Sets a deployment: its plans must be the tenant's (404 otherwise). */
  async put(tenant: string, name: string, body: { plan: string; canary?: { plan: string; percent: number } }): Promise<{ deployment: Deployment; created: boolean }> {
    for (const h of [body.plan, ...(body.canary ? [body.canary.plan] : [])]) {
      if (!(await this.plan(tenant, h))) throw new ApiError(404, "not_found", `no plan ${h}: push it first with POST /v1/plans`, { path: h === body.plan ? "$.body.plan" : "$.body.canary.plan" });
    }
    const existed = (await this.db.all("SELECT name FROM server_deployments WHERE tenant = ? AND name = ?", [tenant, name])).length > 0;
    const params = [body.plan, body.canary?.plan ?? null, body.canary?.percent ?? null, Date.now()];
    if (existed) await this.db.run("UPDATE server_deployments SET plan_hash = ?, canary_plan = ?, canary_percent = ?, updated_at = ? WHERE tenant = ? AND name = ?", [...params, tenant, name]);
    else await this.db.run("INSERT INTO server_deployments (plan_hash, canary_plan, canary_percent, updated_at, tenant, name) VALUES (?, ?, ?, ?, ?, ?)", [...params, tenant, name]);
    return { deployment: (await this.deployment(tenant, name))!, created: !existed };
  }

  /** The plan a new run of the deployment gets: the canary's for `percent` of run ids (by a hash of the id). */
  static choose(d: Deployment, runId: string): string {
    if (!d.canary || d.canary.percent <= 0) return d.plan;
    const bucket = createHash("sha256").update(runId).digest().readUInt32BE(0) % 10000;
    return bucket < d.canary.percent * 100 ? d.canary.plan : d.plan;
  }

  dirDeployments(): Map<string, PlanEntry> {
    return this.dir;
  }
}
