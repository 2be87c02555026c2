// Shared pieces of the security suite: a scratch directory of js tool modules, js/http tool plans
// that resolve against it, the "this secret is nowhere in it" assertion, and the store an attacker
// edits (a run recorded in a SQLite store, copies of it changed with plain SQL).
import Database from "better-sqlite3";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect } from "vitest";
import { awr } from "../helpers/awr-cli.js";
import { toolPlan, type ToolPlan } from "../vm/tools/helpers.js";

export { alive, failure, never, obj, request, STR, NUM, toolPlan } from "../vm/tools/helpers.js";

/** A directory whose `tools/` folder holds the given modules (tool plans declare `tools/main.awr`). */
export function moduleDir(modules: Record<string, string>): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "awr-security-"));
  mkdirSync(join(dir, "tools"));
  for (const [name, text] of Object.entries(modules)) writeFileSync(join(dir, "tools", name), text);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A sandboxed js tool of `./<module>#<exp>` that is given the secrets `env`. */
export function jsTool(module: string, exp: string, env: string[], over: Partial<ToolPlan> = {}): ToolPlan {
  return toolPlan({ impl: { kind: "js", module: `./${module}`, export: exp }, allow: { read: [], write: [], env }, ...over });
}

/** The secret, and pieces of it long enough to recognise (prefix and suffix), appear nowhere in `text`. */
export function absent(where: string, text: string | Buffer, secret: string) {
  const b = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const pieces = new Set([secret, secret.slice(0, Math.ceil(secret.length / 2)), secret.slice(-Math.ceil(secret.length / 2))]);
  for (const needle of pieces) expect(b.includes(Buffer.from(needle)), `${where} holds ${JSON.stringify(needle)}`).toBe(false);
}

/** A scratch project whose `main.awr` ran once, recorded in the SQLite store `store`. */
export interface StoredRun {
  dir: string;
  store: string;
  runId: string;
}

/**
 * The store the tampering tests attack: `program` written to `main.awr` in a new directory and run
 * once with `input` into the SQLite store `<dir>/<store>`, ending with exit `code` (and `status`,
 * when given). The directory is the caller's to remove.
 */
export async function storedRun(o: { prefix: string; program: string; input: string; store: string; code: number; status?: string }): Promise<StoredRun> {
  const dir = mkdtempSync(join(tmpdir(), o.prefix));
  try {
    writeFileSync(join(dir, "main.awr"), o.program);
    const store = join(dir, o.store);
    const r = await awr(["run", "main.awr", "--input", o.input, "--store", store, "--json"], { cwd: dir });
    expect(r.code, r.stderr).toBe(o.code);
    const out = JSON.parse(r.stdout) as { runId: string; status: string };
    if (o.status !== undefined) expect(out.status).toBe(o.status);
    return { dir, store, runId: out.runId };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

let attacks = 0;

/** A copy of the store at `store` (beside it, a new name per call) with `attack` applied through plain SQL. */
export function tamperedCopy(store: string, attack: (db: Database.Database) => void): string {
  const path = join(dirname(store), `attacked-${attacks++}.db`);
  copyFileSync(store, path);
  const db = new Database(path);
  try {
    attack(db);
  } finally {
    db.close();
  }
  return path;
}

/** What `read` finds in the store at `path`, opened read-only. */
export function readStore<T>(path: string, read: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}
