// A compact, readable text form of an AST for golden tests: one node per line,
// `role: Kind attr=value ... @start..end`, children indented by two spaces.
// Identifiers fold into their parent (`name=Ticket`, `members=[low, normal]`); empty arrays,
// false flags and the raw text of templates (their parts are printed) are left out.
import type * as A from "../../compiler/syntax/ast.js";

type Obj = Record<string, unknown>;

/** Fields that only repeat what other fields show. */
const SKIP = new Set(["kind", "span", "recovered", "pathSpan", "targetSpan", "raw"]);
/** String fields printed as JSON strings (their content may hold spaces or quotes). */
const QUOTED = new Set(["value", "text", "doc", "path"]);

export function printAst(module: A.Module): string {
  const out: string[] = [];
  node(module as unknown as Obj, undefined, 0, out);
  return out.join("\n") + "\n";
}

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isIdent = (v: unknown): v is A.Ident => isObj(v) && v["kind"] === "Ident";
const isNode = (v: unknown): v is Obj => isObj(v) && typeof v["kind"] === "string";

function span(s: unknown): string {
  return isObj(s) && typeof s["start"] === "number" ? ` @${s["start"]}..${s["end"]}` : "";
}

function ident(id: A.Ident): string {
  return id.name === "" ? "<missing>" : id.name;
}

function scalar(key: string, v: unknown): string | undefined {
  if (typeof v === "string") return QUOTED.has(key) ? JSON.stringify(v) : v;
  if (typeof v === "number") return String(v);
  if (typeof v === "boolean") return key === "value" ? String(v) : undefined;
  return undefined;
}

function node(n: Obj, role: string | undefined, depth: number, out: string[]): void {
  const attrs: string[] = [];
  const children: [string, Obj][] = [];
  for (const [key, v] of Object.entries(n)) {
    if (SKIP.has(key) || v === undefined) continue;
    if (n["kind"] === "Module" && key === "file") continue;
    if (key === "selector" && isObj(v)) {
      // `before tool issue_refund` / `before tool tagged payments.write`
      if (v["kind"] === "name") attrs.push(`selector=${ident(v["name"] as A.Ident)}`);
      else attrs.push(`tagged=${(v["tag"] as A.DottedName).parts.join(".")}`);
      continue;
    }
    if (isIdent(v)) {
      attrs.push(`${key}=${ident(v)}`);
      continue;
    }
    if (Array.isArray(v)) {
      if (v.length === 0) continue;
      if (v.every(isIdent)) attrs.push(`${key}=[${v.map(ident).join(", ")}]`);
      else if (v.every((x) => typeof x === "string")) attrs.push(`${key}=[${v.join(", ")}]`);
      else for (const x of v) if (isObj(x)) children.push([key, x]);
      continue;
    }
    if (isNode(v)) {
      children.push([key, v]);
      continue;
    }
    if (typeof v === "boolean") {
      if (v && key !== "value") attrs.push(key);
      else if (key === "value") attrs.push(`value=${v}`);
      continue;
    }
    const s = scalar(key, v);
    if (s !== undefined) attrs.push(`${key}=${s}`);
  }
  const kind = n["kind"] === "Module" ? "Module" : comment(n) ? "Comment" : String(n["kind"]);
  if (comment(n)) attrs.unshift(`kind=${n["kind"]}`);
  const flags = n["recovered"] ? " recovered" : "";
  out.push(`${"  ".repeat(depth)}${role ? `${role}: ` : ""}${[kind, ...attrs].join(" ")}${span(n["span"])}${flags}`);
  // Children in source order (a graph's return type comes before its members); the module keeps
  // its imports, declarations and comments apart.
  if (n["kind"] !== "Module") children.sort(([, a], [, b]) => start(a) - start(b));
  for (const [key, c] of children) node(c, key, depth + 1, out);
}

function start(n: Obj): number {
  const s = n["span"];
  return isObj(s) && typeof s["start"] === "number" ? s["start"] : 0;
}

/** Comments carry their own `kind` (line, block, doc); they are the only nodes under `comments`. */
function comment(n: Obj): boolean {
  return (n["kind"] === "line" || n["kind"] === "block" || n["kind"] === "doc") && typeof n["text"] === "string";
}
