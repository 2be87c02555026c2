// Shared pieces of the security suite: a scratch directory of js tool modules, js/http tool plans
// that resolve against it, and the "this secret is nowhere in it" assertion.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
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
