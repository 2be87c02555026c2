import * as A from "../syntax/ast.js";
import type { ModuleInfo, Program } from "./program.js";
import { readsHold, recordingProgram, type Reads } from "./reuse.js";
import { CheckContext, article, kindWord, type FieldReference, type Reference } from "./scope.js";
import { BUILTIN_FUNCTIONS, ExprChecker, widen, type Env } from "./expr.js";
import { PolicyCalls, policyIntrinsics } from "./policy-intrinsics.js";
import * as Ty from "./types.js";
import * as P from "../language/props.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";

export interface CheckResult {
  diagnostics: Diagnostic[];
  references: Reference[];
  /** Uses of record fields (member accesses, keys of record literals of a known type). */
  fieldReferences: FieldReference[];
  /** Named types, resolved (for hover, lowering and JSON Schema). */
  types: Ty.TypeTable;
}

/**
 * Name resolution and type checking of a loaded program (graph-shape analysis lives in analysis/).
 * With a `CheckCache` (the LSP keeps one across edits), a module whose AST and whose reads of the
 * program are unchanged since the last check is not checked again: its results are reused. The
 * result is the same as without the cache (test/lsp/incremental-check.test.ts).
 */
export function checkProgram(program: Program, cache?: CheckCache): CheckResult {
  const ctx = new CheckContext(program);
  const checker = new DeclChecker(ctx);
  for (const m of program.modules.values()) {
    if (cache) {
      const r = cache.module(program, m);
      ctx.diagnostics.push(...r.diagnostics);
      ctx.references.push(...r.references);
      ctx.fieldReferences.push(...r.fieldReferences);
      for (const u of r.used) ctx.used.add(u);
    } else for (const d of m.ast.decls) checker.decl(m.file, d);
  }
  checker.unused();
  return { diagnostics: ctx.diagnostics, references: ctx.references, fieldReferences: ctx.fieldReferences, types: ctx };
}

/** What checking one declaration produced, and what it read of the program to produce it. */
interface DeclCheck {
  reads: Reads;
  diagnostics: Diagnostic[];
  references: Reference[];
  fieldReferences: FieldReference[];
  used: ReadonlySet<string>;
}

interface ModuleEntry {
  decls: DeclCheck[];
  /** The union of the declarations' reads, made when first needed (an edited module never needs it). */
  reads?: Reads;
  result: Omit<DeclCheck, "reads">;
}

/** One map of every read of `all` (reads that currently hold agree where their keys agree). */
function union(all: Reads[]): Reads {
  const out = new Map<string, Reads extends ReadonlyMap<string, infer R> ? R : never>();
  for (const reads of all) for (const [k, r] of reads) if (!out.has(k)) out.set(k, r);
  return out;
}

/**
 * Per-declaration check results kept across compiles of a changing program (see `checkProgram`).
 * Keyed by the declaration's AST node: the parse cache hands back the same node for a declaration
 * whose text and offset did not change, and a declaration's check reads nothing of its module but
 * through the program (recorded). So an edit re-checks the declarations it touched, those after it
 * in the same file (their offsets moved), and those that read a changed declaration.
 */
export class CheckCache {
  /** Per declaration, the last few checks (a module shared by several programs reads different globals). */
  private readonly byDecl = new WeakMap<A.Decl, DeclCheck[]>();
  /** Declarations checked and declarations reused since the cache was made (for tests and benches). */
  readonly stats = { checked: 0, reused: 0 };

  /** Per module, the last few whole-module results (checked at once while the module is unchanged). */
  private readonly byModule = new WeakMap<A.Module, ModuleEntry[]>();

  /** The check of module `m` of `program`, declaration by declaration. */
  module(program: Program, m: ModuleInfo): Omit<DeclCheck, "reads"> {
    // An unchanged module: one pass over the union of its declarations' reads.
    const kept = this.byModule.get(m.ast) ?? [];
    for (const k of kept) {
      k.reads ??= union(k.decls.map((d) => d.reads));
      if (readsHold(k.reads, program)) {
        this.stats.reused += k.decls.length;
        return k.result;
      }
    }
    const decls = m.ast.decls.map((d) => this.decl(program, m.file, d));
    const result = { diagnostics: [] as Diagnostic[], references: [] as Reference[], fieldReferences: [] as FieldReference[], used: new Set<string>() };
    for (const r of decls) {
      result.diagnostics.push(...r.diagnostics);
      result.references.push(...r.references);
      result.fieldReferences.push(...r.fieldReferences);
      for (const u of r.used) result.used.add(u);
    }
    this.byModule.set(m.ast, [{ decls, result }, ...kept].slice(0, 4));
    return result;
  }

  private decl(program: Program, file: string, d: A.Decl): DeclCheck {
    const kept = this.byDecl.get(d) ?? [];
    const hit = kept.find((k) => readsHold(k.reads, program));
    if (hit) {
      this.stats.reused++;
      return hit;
    }
    this.stats.checked++;
    const { view, reads, derive } = recordingProgram(program);
    const ctx = new CheckContext(view, derive);
    new DeclChecker(ctx).decl(file, d);
    const entry: DeclCheck = { reads, diagnostics: ctx.diagnostics, references: ctx.references, fieldReferences: ctx.fieldReferences, used: ctx.used };
    this.byDecl.set(d, [entry, ...kept].slice(0, 4));
    return entry;
  }
}

const CALLABLE: A.DeclKind[] = ["PromptDecl", "AgentDecl", "ToolDecl", "GraphDecl"];
type Callable = A.PromptDecl | A.AgentDecl | A.ToolDecl | A.GraphDecl;

/** The run's principal as policy rules see it. */
const PRINCIPAL: Ty.Ty = Ty.record([
  { name: "id", ty: Ty.STRING, optional: false },
  { name: "roles", ty: Ty.list(Ty.STRING), optional: false },
  { name: "attrs", ty: { k: "map", of: Ty.STRING }, optional: false },
]);

/** A test's `principal { ... }`: roles and attrs may be left out (empty). */
const TEST_PRINCIPAL: Ty.Ty = Ty.record([
  { name: "id", ty: Ty.STRING, optional: false },
  { name: "roles", ty: Ty.list(Ty.STRING), optional: true },
  { name: "attrs", ty: { k: "map", of: Ty.STRING }, optional: true },
]);

/** A failure as a test's `error` and an `on error` handler's `error` see it. */
export const FAILURE_RECORD: Ty.Ty = Ty.record([
  { name: "kind", ty: { k: "union", members: P.FAILURE_KINDS.map((value) => ({ k: "literal", value }) as Ty.Ty) }, optional: false },
  { name: "message", ty: Ty.STRING, optional: false },
  { name: "step", ty: Ty.optional(Ty.STRING), optional: true },
]);


class DeclChecker {
  private readonly ex: ExprChecker;
  private tagSet: Set<string> | undefined;

  constructor(private readonly ctx: CheckContext) {
    this.ex = new ExprChecker(ctx);
  }

  /** Every tag of every tool of the program (read on first use: it depends on all modules). */
  private get tags(): Set<string> {
    this.tagSet ??= new Set(this.ctx.derive("tool tags", toolTags).split("\n").filter((t) => t !== ""));
    return this.tagSet;
  }

  decl(file: string, d: A.Decl) {
    switch (d.kind) {
      case "TypeDecl":
        return this.typeDecl(file, d);
      case "EnumDecl":
        return this.enumDecl(file, d);
      case "ModelDecl":
        return this.modelDecl(file, d);
      case "ToolDecl":
        return this.toolDecl(file, d);
      case "PromptDecl":
        return this.promptDecl(file, d);
      case "AgentDecl":
        return this.agentDecl(file, d);
      case "ContextDecl":
        return this.contextDecl(file, d);
      case "PolicyDecl":
        return this.policyDecl(file, d);
      case "GraphDecl":
        return this.graphDecl(file, d);
      case "TestDecl":
        return this.testDecl(file, d);
    }
  }

  // ------------------------------------------------------------ types

  private typeDecl(file: string, d: A.TypeDecl) {
    if (["string", "int", "float", "bool", "any", "json", "list", "map", "duration", "null"].includes(d.name.name)) {
      this.ctx.report("AWR2002", file, d.name.span, `"${d.name.name}" is a builtin type and cannot be redeclared`);
    }
    if (d.alias) {
      this.ctx.typeOf(file, d.alias);
      const chain = this.aliasCycle(d);
      if (chain) this.ctx.report("AWR2012", file, d.name.span, `type alias "${d.name.name}" refers to itself (${chain.join(" = ")}): an alias must end in a real type`);
      return;
    }
    this.fields(file, d.fields, "type");
  }

  /** `type A = B`, `type B = A?`: the chain of aliases leading back to `d`, if any. */
  private aliasCycle(d: A.TypeDecl): string[] | undefined {
    const chain = [d.name.name];
    let t: A.TypeExpr | undefined = d.alias;
    while (t) {
      while (t.kind === "OptionalType") t = t.inner;
      if (t.kind !== "NamedType" || t.args.length) return undefined;
      const next = this.ctx.program.globals.get(t.name.name)?.decl;
      if (next?.kind !== "TypeDecl" || !next.alias) return undefined;
      chain.push(next.name.name);
      if (next === d) return chain;
      if (chain.length > 50) return undefined;
      t = next.alias;
    }
    return undefined;
  }

  /** Fields of a type, a graph's state or a parameter list: duplicates, types, attributes, defaults. */
  private fields(file: string, fields: A.Field[], where: "type" | "state" | "params"): Map<string, Ty.Ty> {
    const out = new Map<string, Ty.Ty>();
    for (const f of fields) {
      const name = f.name.name;
      if (name !== "" && out.has(name)) this.ctx.report("AWR2009", file, f.name.span, `"${name}" is declared twice`);
      const ty = f.type ? this.ctx.typeOf(file, f.type) : Ty.ERROR;
      if (name !== "") out.set(name, ty);
      for (const a of f.attrs) this.attribute(file, a, ty, where);
      if (f.default) {
        const dt = this.ex.check(f.default, { file, vars: new Map() }, ty);
        this.ex.expect(dt, ty, f.default, { file, vars: new Map() }, `the default of "${name}"`);
      }
    }
    return out;
  }

  private attribute(file: string, a: A.Attribute, ty: Ty.Ty, where: "type" | "state" | "params") {
    const ctx = this.ctx;
    const name = a.name.name;
    const r = ctx.resolve(Ty.nonNull(ty, ctx));
    const misuse = (msg: string) => ctx.report("AWR3004", file, a.span, msg);
    const spec = P.ATTRIBUTES[name];
    if (!spec) {
      ctx.unknown(file, a.name, Object.keys(P.ATTRIBUTES), "attribute", "AWR3004");
      return;
    }
    const oneArg = (kind: "number" | "string" | "int"): A.Expr | undefined => {
      if (a.args.length !== 1) {
        misuse(`@${name} takes one argument: ${spec}`);
        return undefined;
      }
      const v = a.args[0]!;
      const ok = kind === "string" ? v.kind === "String" : v.kind === "Number" || (v.kind === "Unary" && v.op === "-" && v.operand.kind === "Number");
      if (!ok || (kind === "int" && (v.kind !== "Number" || !v.integer || v.value < 0))) {
        misuse(`@${name} needs ${kind === "int" ? "a whole number" : article(kind)} literal: ${spec}`);
        return undefined;
      }
      return v;
    };
    const isList = r.k === "list";
    const isStr = Ty.isStringy(r, ctx) && r.k !== "any";
    const isNum = Ty.isNumeric(r, ctx) && r.k !== "any";
    if (r.k === "error") return;
    switch (name) {
      case "format": {
        if (!isStr) return misuse(`@format applies to strings, not ${Ty.show(ty)}`);
        const v = a.args[0];
        const fmt = v?.kind === "Name" ? v.name : v?.kind === "String" ? v.value : undefined;
        if (a.args.length !== 1 || !fmt) return misuse(`@format takes one format name: ${spec}`);
        if (!P.STRING_FORMATS.includes(fmt)) ctx.unknown(file, { name: fmt, span: v!.span }, P.STRING_FORMATS, "format", "AWR3004");
        return;
      }
      case "min":
      case "max":
        if (!isNum) return misuse(`@${name} applies to numbers, not ${Ty.show(ty)}`);
        oneArg("number");
        return;
      case "minLength":
      case "maxLength":
        if (!isStr && !isList) return misuse(`@${name} applies to strings and lists, not ${Ty.show(ty)}`);
        oneArg("int");
        return;
      case "minItems":
      case "maxItems":
        if (!isList) return misuse(`@${name} applies to lists, not ${Ty.show(ty)}`);
        oneArg("int");
        return;
      case "pattern": {
        if (!isStr) return misuse(`@pattern applies to strings, not ${Ty.show(ty)}`);
        const v = oneArg("string");
        if (v?.kind === "String") {
          try {
            new RegExp(v.value, "u");
          } catch (err) {
            ctx.report("AWR3004", file, v.span, `@pattern is not a valid regular expression: ${(err as Error).message}`);
          }
        }
        return;
      }
      case "description":
        oneArg("string");
        return;
      case "reduce": {
        if (where !== "state") return misuse("@reduce applies to graph state fields only");
        const v = a.args[0];
        const red = v?.kind === "Name" ? v.name : undefined;
        if (a.args.length !== 1 || !red) return misuse(`@reduce takes one reducer: ${P.REDUCERS.join(", ")}`);
        if (!(P.REDUCERS as readonly string[]).includes(red)) return ctx.unknown(file, { name: red, span: v!.span }, P.REDUCERS, "reducer", "AWR3004");
        const fits =
          red === "replace" ||
          (red === "append" && isList) ||
          (red === "merge" && (r.k === "record" || r.k === "map")) ||
          ((red === "sum" || red === "max" || red === "min") && isNum);
        if (!fits) {
          const need = red === "append" ? "a list" : red === "merge" ? "a record or map" : "a number";
          misuse(`@reduce(${red}) needs ${need} field, but this field is ${Ty.show(ty)}`);
        }
        return;
      }
    }
  }

  private enumDecl(file: string, d: A.EnumDecl) {
    const seen = new Set<string>();
    for (const m of d.members) {
      if (seen.has(m.name)) this.ctx.report("AWR2009", file, m.span, `enum member "${m.name}" is declared twice`);
      seen.add(m.name);
    }
  }

  // ------------------------------------------------------------ property bodies

  /** Unknown keys (with did-you-mean), duplicates and missing required keys. */
  private props(file: string, d: { name: A.Ident; props: A.Property[] }, specs: Record<string, P.PropSpec>, what: string): Map<string, A.Property> {
    const out = new Map<string, A.Property>();
    for (const p of d.props) {
      const k = p.key.name;
      if (k === "") continue;
      if (!specs[k]) {
        this.ctx.unknown(file, p.key, Object.keys(specs), "property", "AWR2007", `${article(what)}`);
        continue;
      }
      if (out.has(k)) {
        this.ctx.report("AWR2009", file, p.key.span, `property "${k}" is given twice`);
        continue;
      }
      out.set(k, p);
    }
    for (const [k, spec] of Object.entries(specs)) {
      if (spec.required && !out.has(k) && d.name.name !== "") {
        this.ctx.report("AWR2008", file, d.name.span, `${what} "${d.name.name}" needs ${k}, such as ${spec.example ?? `${k}: ...`} (${spec.doc})`);
      }
    }
    return out;
  }

  private bad(file: string, p: A.Property | A.Expr, msg: string) {
    this.ctx.report("AWR2011", file, p.span, msg);
  }

  private literalString(file: string, p: A.Property): string | undefined {
    if (p.value.kind === "String") return p.value.value;
    this.bad(file, p.value, `"${p.key.name}" must be a string literal`);
    return undefined;
  }

  private number(file: string, p: A.Property, opts: { int?: boolean; min?: number; max?: number }): number | undefined {
    const v = p.value;
    if (v.kind !== "Number" || (opts.int && !v.integer)) {
      this.bad(file, v, `"${p.key.name}" must be ${opts.int ? "a whole number" : "a number"}`);
      return undefined;
    }
    if ((opts.min !== undefined && v.value < opts.min) || (opts.max !== undefined && v.value > opts.max)) {
      this.bad(file, v, `"${p.key.name}" must be ${range(opts)}`);
    }
    return v.value;
  }

  private duration(file: string, e: A.Expr, what: string) {
    if (e.kind !== "Duration") this.bad(file, e, `${what} must be a duration such as 250ms, 5s, 10m or 1h`);
    else if (e.ms <= 0) this.bad(file, e, `${what} must be longer than zero`);
  }

  private bool(file: string, p: A.Property) {
    if (p.value.kind !== "Bool") this.bad(file, p.value, `"${p.key.name}" must be true or false`);
  }

  private envOrString(file: string, p: A.Property, allowLiteral: boolean) {
    const v = p.value;
    if (v.kind === "Call" && v.callee.kind === "Name" && v.callee.name === "env") {
      if (v.args.length !== 1 || v.args[0]!.value.kind !== "String") this.bad(file, v, 'env takes the name of an environment variable: env("OPENAI_API_KEY")');
      return;
    }
    if (allowLiteral && v.kind === "String") return;
    this.bad(file, v, allowLiteral ? `"${p.key.name}" must be a string or env("VAR")` : `"${p.key.name}" must come from the environment: env("VAR") (never a literal secret)`);
  }

  /** A list of names denoting declarations of one kind. */
  private nameList<K extends A.DeclKind>(file: string, p: A.Property, kinds: K[], what: string): Extract<A.Decl, { kind: K }>[] {
    if (p.value.kind !== "List") {
      this.bad(file, p.value, `"${p.key.name}" must be a list of ${what}s, like [a, b]`);
      return [];
    }
    const out: Extract<A.Decl, { kind: K }>[] = [];
    const seen = new Set<string>();
    for (const item of p.value.items) {
      if (item.kind !== "Name") {
        this.bad(file, item, `expected the name of ${article(what)}`);
        continue;
      }
      if (seen.has(item.name)) this.ctx.report("AWR2009", file, item.span, `"${item.name}" is listed twice`);
      seen.add(item.name);
      const d = this.ctx.expectDecl(file, { kind: "Ident", name: item.name, span: item.span }, kinds, what);
      if (d) out.push(d);
    }
    return out;
  }

  private oneName<K extends A.DeclKind>(file: string, p: A.Property, kinds: K[], what: string): Extract<A.Decl, { kind: K }> | undefined {
    if (p.value.kind !== "Name") {
      this.bad(file, p.value, `"${p.key.name}" must name ${article(what)}`);
      return undefined;
    }
    return this.ctx.expectDecl(file, { kind: "Ident", name: p.value.name, span: p.value.span }, kinds, what);
  }

  /** A record-valued property with known keys, each checked by `check`. */
  private block(file: string, p: A.Property, keys: Record<string, (e: A.Expr, key: string) => void>) {
    if (p.value.kind !== "Record") {
      this.bad(file, p.value, `"${p.key.name}" must be a block: ${p.key.name} { ${Object.keys(keys).join(", ")} }`);
      return;
    }
    const seen = new Set<string>();
    for (const f of p.value.fields) {
      const check = keys[f.key.name];
      if (!check) {
        this.ctx.unknown(file, f.key, Object.keys(keys), "key", "AWR2007", `"${p.key.name}"`);
        continue;
      }
      if (seen.has(f.key.name)) this.ctx.report("AWR2009", file, f.key.span, `"${f.key.name}" is given twice`);
      seen.add(f.key.name);
      check(f.value, f.key.name);
    }
  }

  private numberExpr(file: string, what: string, opts: { int?: boolean; min?: number; max?: number }) {
    return (e: A.Expr, key: string) => {
      if (e.kind !== "Number" || (opts.int && !e.integer)) return this.bad(file, e, `${what} "${key}" must be ${opts.int ? "a whole number" : "a number"}`);
      if ((opts.min !== undefined && e.value < opts.min) || (opts.max !== undefined && e.value > opts.max)) {
        this.bad(file, e, `${what} "${key}" must be ${range(opts)}`);
      }
    };
  }

  /** `retry 3` or `retry { max: 3, backoff: exponential(500ms, 8s), jitter: true }` (models, tools, nodes). */
  retryValue(file: string, e: A.Expr) {
    if (e.kind === "Number" || (e.kind === "Unary" && e.op === "-" && e.operand.kind === "Number")) {
      if (e.kind !== "Number" || !e.integer) this.bad(file, e, "retry must be a whole number of retries (0 or more)");
      return;
    }
    if (e.kind !== "Record") {
      this.bad(file, e, "retry must be a number or { max: N, backoff: exponential(initial, cap), jitter: true }");
      return;
    }
    const p: A.Property = { kind: "Property", key: { kind: "Ident", name: "retry", span: e.span }, value: e, span: e.span };
    this.block(file, p, {
      max: this.numberExpr(file, "retry", { int: true, min: 0 }),
      jitter: (v) => v.kind !== "Bool" && this.bad(file, v, "jitter must be true or false"),
      backoff: (v) => {
        if (v.kind !== "Call" || v.callee.kind !== "Name" || !["exponential", "fixed", "linear"].includes(v.callee.name)) {
          return this.bad(file, v, "backoff must be exponential(initial, cap), linear(step, cap) or fixed(delay)");
        }
        const want = v.callee.name === "fixed" ? 1 : 2;
        if (v.args.length !== want) return this.bad(file, v, `${v.callee.name} takes ${want} duration${want > 1 ? "s" : ""}`);
        v.args.forEach((a) => this.duration(file, a.value, `an argument of ${v.callee.kind === "Name" ? v.callee.name : "backoff"}`));
      },
    });
  }

  private modelDecl(file: string, d: A.ModelDecl) {
    const ps = this.props(file, d, P.MODEL_PROPS, "model");
    for (const [k, p] of ps) {
      switch (k) {
        case "provider":
        case "name":
          this.literalString(file, p);
          break;
        case "base_url":
          this.envOrString(file, p, true);
          break;
        case "api_key":
          this.envOrString(file, p, false);
          break;
        case "temperature":
          this.number(file, p, { min: 0, max: 2 });
          break;
        case "top_p":
          this.number(file, p, { min: 0, max: 1 });
          break;
        case "seed":
          this.number(file, p, { int: true });
          break;
        case "max_tokens":
          this.number(file, p, { int: true, min: 1 });
          break;
        case "timeout":
          this.duration(file, p.value, '"timeout"');
          break;
        case "retry":
          this.retryValue(file, p.value);
          break;
        case "fallback": {
          const models = this.nameList(file, p, ["ModelDecl"], "model");
          for (const m of models) {
            if (m === d) this.bad(file, p.value, `model "${d.name.name}" cannot fall back to itself`);
          }
          this.fallbackCycle(file, d, p);
          break;
        }
        case "price":
          this.block(file, p, { input: this.numberExpr(file, "price", { min: 0 }), output: this.numberExpr(file, "price", { min: 0 }) });
          break;
      }
    }
    if (!ps.has("timeout") && d.name.name !== "") {
      this.ctx.report("AWR6002", file, d.name.span, `model "${d.name.name}" has no timeout: a hung endpoint would stall the run (add timeout: 30s)`);
    }
  }

  private fallbackCycle(file: string, d: A.ModelDecl, p: A.Property) {
    const seen = new Set<string>([d.name.name]);
    const walk = (m: A.ModelDecl): boolean => {
      const fb = A.prop(m.props, "fallback")?.value;
      if (fb?.kind !== "List") return false;
      for (const i of fb.items) {
        if (i.kind !== "Name") continue;
        if (i.name === d.name.name && m !== d) return true;
        if (seen.has(i.name)) continue;
        seen.add(i.name);
        const s = this.ctx.program.globals.get(i.name);
        if (s?.decl.kind === "ModelDecl" && walk(s.decl)) return true;
      }
      return false;
    };
    if (walk(d)) this.bad(file, p.value, `the fallback chain of "${d.name.name}" leads back to it`);
  }

  private paramsEnv(file: string, params: A.Field[]): Map<string, Ty.Ty> {
    return this.fields(file, params, "params");
  }

  private toolDecl(file: string, d: A.ToolDecl) {
    const vars = this.paramsEnv(file, d.params);
    const ret = d.returns ? this.ctx.typeOf(file, d.returns) : Ty.ANY;
    const ps = this.props(file, d, P.TOOL_PROPS, "tool");
    for (const [k, p] of ps) {
      switch (k) {
        case "description":
          if (p.value.kind !== "String" && p.value.kind !== "Template") this.bad(file, p.value, '"description" must be a string');
          break;
        case "impl":
          this.impl(file, p.value);
          break;
        case "tags":
          if (p.value.kind !== "List") this.bad(file, p.value, '"tags" must be a list such as [pii.read, payments.write]');
          else for (const t of p.value.items) if (!dotted(t)) this.bad(file, t, "a tag is a dotted name such as pii.read");
          break;
        case "timeout":
          this.duration(file, p.value, '"timeout"');
          break;
        case "rate":
          rate(p.value) ?? this.bad(file, p.value, '"rate" must be calls per unit, such as 20/s, 100/m or 1000/h');
          break;
        case "concurrency":
          this.number(file, p, { int: true, min: 1 });
          break;
        case "allow":
          this.allow(file, p.value);
          break;
        case "idempotent":
          this.bool(file, p);
          break;
        case "retry":
          this.retryValue(file, p.value);
          break;
        case "compensate": {
          const env: Env = { file, vars: new Map([...vars, ["result", ret]]), hint: "a compensation sees the tool's parameters and `result`" };
          this.callTool(file, p.value, env, "compensate");
          break;
        }
      }
    }
    const impl = ps.get("impl")?.value;
    const kind = impl?.kind === "Call" && impl.callee.kind === "Name" ? impl.callee.name : undefined;
    if (!ps.has("timeout") && (kind === "js" || kind === "http" || kind === "mcp") && d.name.name !== "") {
      this.ctx.report("AWR6006", file, d.name.span, `tool "${d.name.name}" has no timeout: it runs under the VM's default deadline (60 s unless configured) (add timeout: 10s)`);
    }
  }

  /** `allow: { read: ["./data"], write: [...], env: ["CRM_TOKEN"] }`: the js sandbox's grants, string literals only. */
  private allow(file: string, v: A.Expr) {
    const shape = '"allow" must be a record such as { read: ["./data"], write: ["./out"], env: ["CRM_TOKEN"] }';
    if (v.kind !== "Record") return this.bad(file, v, shape);
    for (const f of v.fields) {
      const k = f.key.name;
      if (k !== "read" && k !== "write" && k !== "env") {
        const best = Ty.closest(k, ["read", "write", "env"]);
        this.ctx.report("AWR2011", file, f.key.span, `"allow" has no "${k}"${best ? `; did you mean "${best}"?` : ""} (it takes read, write and env)`);
        continue;
      }
      if (f.value.kind !== "List") {
        this.bad(file, f.value, `"allow.${k}" must be a list of strings, e.g. ${k === "env" ? '["CRM_TOKEN"]' : '["./data"]'}`);
        continue;
      }
      for (const item of f.value.items) {
        if (item.kind !== "String") this.bad(file, item, `"allow.${k}" takes string literals`);
        else if (k === "env" && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(item.value)) this.bad(file, item, `"${item.value}" is not an environment variable name`);
        else if (k !== "env" && item.value.trim() === "") this.bad(file, item, `an empty path in "allow.${k}"`);
      }
    }
  }

  /** A compensation: a call of a tool with its arguments checked in `env`. */
  private callTool(file: string, e: A.Expr, env: Env, what: string) {
    if (e.kind !== "Call" || e.callee.kind !== "Name") {
      this.ctx.report("AWR5006", file, e.span, `${what} must call a tool, such as cancel_refund(receipt_id: result.id)`);
      return;
    }
    const t = this.ctx.expectDecl(file, { kind: "Ident", name: e.callee.name, span: e.callee.span }, ["ToolDecl"], "tool");
    if (t) this.args(t, this.declFile(t), e, env);
    else e.args.forEach((a) => this.ex.check(a.value, env));
  }

  private impl(file: string, e: A.Expr) {
    if (e.kind !== "Call" || e.callee.kind !== "Name" || !(P.TOOL_IMPLS as readonly string[]).includes(e.callee.name)) {
      this.ctx.report("AWR5003", file, e.span, 'impl must be js("./file.mjs#export"), http("METHOD url" or { method, url, headers }), mcp(server, "tool") or builtin("std.name")');
      return;
    }
    const kind = e.callee.name;
    const str = (i: number) => {
      const a = e.args[i]?.value;
      return a?.kind === "String" ? a.value : undefined;
    };
    switch (kind) {
      case "js": {
        const s = str(0);
        if (e.args.length !== 1 || !s || !/^[^#]+#[A-Za-z_$][\w$]*$/.test(s)) {
          this.ctx.report("AWR5003", file, e.span, 'js takes "path#export", such as js("./tools/crm.mjs#lookupOrders")');
        }
        break;
      }
      case "http": {
        const a = e.args[0]?.value;
        const ok = (e.args.length === 1 && a?.kind === "String" && /^(GET|POST|PUT|PATCH|DELETE)\s+\S+$/.test(a.value)) || (e.args.length === 1 && a?.kind === "Record");
        if (!ok) this.ctx.report("AWR5003", file, e.span, 'http takes "METHOD url" (the url may hold {param} holes) or { method, url, headers }');
        break;
      }
      case "mcp": {
        const server = e.args[0]?.value;
        if (e.args.length !== 2 || !(server?.kind === "Name" || server?.kind === "String") || !str(1)) {
          this.ctx.report("AWR5003", file, e.span, 'mcp takes a server and a tool name: mcp(github, "create_issue")');
        }
        break;
      }
      case "builtin":
        if (e.args.length !== 1 || !str(0)?.startsWith("std.")) this.ctx.report("AWR5003", file, e.span, 'builtin takes a std name: builtin("std.http.get")');
        break;
    }
  }

  private declFile(d: A.Decl): string {
    return this.ctx.program.globals.get(d.name.name)?.file ?? "";
  }

  private messages(file: string, ps: Map<string, A.Property>, keys: string[], env: Env) {
    for (const k of keys) {
      const p = ps.get(k);
      if (!p) continue;
      if (p.value.kind === "Template") this.ex.template(p.value, env);
      else if (p.value.kind !== "String") this.bad(file, p.value, `"${k}" must be a template #"..."# or a string`);
    }
  }

  private promptDecl(file: string, d: A.PromptDecl) {
    const vars = this.paramsEnv(file, d.params);
    if (d.returns) this.ctx.typeOf(file, d.returns);
    const ps = this.props(file, d, P.PROMPT_PROPS, "prompt");
    const model = ps.get("model");
    if (model) this.oneName(file, model, ["ModelDecl"], "model");
    const ctxProp = ps.get("context");
    if (ctxProp) this.oneName(file, ctxProp, ["ContextDecl"], "context");
    const env: Env = {
      file,
      vars: new Map([...vars, ["output_format", Ty.STRING], ...(ctxProp ? ([["context", Ty.STRING]] as const) : [])]),
      hint: "template holes can use the prompt's parameters and output_format",
    };
    this.messages(file, ps, ["system", "user", "assistant"], env);
    if (!ps.has("system") && !ps.has("user") && d.name.name !== "") {
      this.ctx.report("AWR2008", file, d.name.span, `prompt "${d.name.name}" has no message: add a user #"..."# (or system) template`);
    }
    const t = ps.get("temperature");
    if (t) this.number(file, t, { min: 0, max: 2 });
    const mt = ps.get("max_tokens");
    if (mt) this.number(file, mt, { int: true, min: 1 });
  }

  private agentDecl(file: string, d: A.AgentDecl) {
    const vars = this.paramsEnv(file, d.params);
    if (d.returns) this.ctx.typeOf(file, d.returns);
    const ps = this.props(file, d, P.AGENT_PROPS, "agent");
    for (const [k, p] of ps) {
      switch (k) {
        case "model":
          this.oneName(file, p, ["ModelDecl"], "model");
          break;
        case "role":
        case "goal":
          if (p.value.kind !== "String" && p.value.kind !== "Template") this.bad(file, p.value, `"${k}" must be a string`);
          else if (p.value.kind === "Template") this.ex.template(p.value, { file, vars });
          break;
        case "rules":
          if (p.value.kind !== "List" || p.value.items.some((i) => i.kind !== "String")) this.bad(file, p.value, '"rules" must be a list of strings');
          break;
        case "instructions":
          this.messages(file, ps, ["instructions"], { file, vars: new Map([...vars, ["output_format", Ty.STRING]]), hint: "template holes can use the agent's parameters" });
          break;
        case "tools":
          this.nameList(file, p, ["ToolDecl"], "tool");
          break;
        case "handoffs":
          for (const a of this.nameList(file, p, ["AgentDecl"], "agent")) {
            if (a === d) this.bad(file, p.value, `agent "${d.name.name}" cannot hand off to itself`);
          }
          break;
        case "context":
        case "memory":
          this.oneName(file, p, ["ContextDecl"], "context");
          break;
        case "limits":
          this.block(file, p, {
            turns: this.numberExpr(file, "limits", { int: true, min: 1 }),
            tokens: this.numberExpr(file, "limits", { int: true, min: 1 }),
            cost: this.numberExpr(file, "limits", { min: 0 }),
            time: (e) => this.duration(file, e, 'limits "time"'),
          });
          break;
      }
    }
    if (!ps.has("limits") && d.name.name !== "") {
      this.ctx.report("AWR6003", file, d.name.span, `agent "${d.name.name}" has no limits: its tool loop and cost are unbounded (add limits { turns: 6, tokens: 8000, cost: 0.05 })`);
    }
  }

  private contextDecl(file: string, d: A.ContextDecl) {
    const names = new Set<string>();
    for (const s of d.sources) {
      if (names.has(s.name.name)) this.ctx.report("AWR2009", file, s.name.span, `source "${s.name.name}" is declared twice`);
      names.add(s.name.name);
      const v = s.value;
      if (v.kind !== "Call" || v.callee.kind !== "Name" || !P.SOURCE_KINDS[v.callee.name]) {
        const kinds = Object.entries(P.SOURCE_KINDS).map(([k, x]) => (x.args === 0 ? `${k}()` : `${k}("...")`));
        this.ctx.report("AWR5004", file, v.span, `a source is ${kinds.slice(0, -1).join(", ")} or ${kinds[kinds.length - 1]}`);
        continue;
      }
      const kind = P.SOURCE_KINDS[v.callee.name]!;
      if (kind.args === 0 ? v.args.length !== 0 : v.args.length !== 1 || v.args[0]!.value.kind !== "String") {
        this.ctx.report("AWR5004", file, v.span, kind.doc);
      }
      for (const f of s.options?.fields ?? []) {
        const t = kind.options[f.key.name];
        if (!t) this.ctx.unknown(file, f.key, Object.keys(kind.options), "option", "AWR5004", `a ${v.callee.name} source`);
        else this.sourceOption(file, f, t);
      }
    }
    if (d.sources.length === 0 && d.name.name !== "") this.ctx.report("AWR5004", file, d.name.span, `context "${d.name.name}" has no source: add source docs = vector("./kb/*.md")`);
    const ps = this.props(file, d, P.CONTEXT_PROPS, "context");
    for (const [k, p] of ps) {
      switch (k) {
        case "fuse":
          if (p.value.kind !== "Name" || !["rrf", "concat"].includes(p.value.name)) this.bad(file, p.value, '"fuse" must be rrf or concat');
          break;
        case "top":
        case "budget":
          this.number(file, p, { int: true, min: 1 });
          break;
        case "dedup":
          this.number(file, p, { min: 0, max: 1 });
          break;
        case "cache":
          this.duration(file, p.value, '"cache"');
          break;
        case "embed":
          // Refused rather than ignored: the plan does not carry it, so a run would embed with the
          // local embedder while the source claims a model (docs/context.md § Embeddings).
          this.oneName(file, p, ["ModelDecl"], "model");
          this.ctx.report(
            "AWR5012",
            file,
            p.key.span,
            '"embed" is not supported yet: runs would embed with the local deterministic embedder, not this model. Remove it and choose the embedder where the context is assembled (awr context query --embedder openai:MODEL, or the embedder option of createContextAssembler)',
          );
          break;
        case "summarize": {
          const prompt = this.oneName(file, p, ["PromptDecl"], "prompt");
          if (prompt) this.summarizer(file, p, prompt);
          break;
        }
      }
    }
  }

  /** A source option's value against its type in SOURCE_KINDS (AWR5004). */
  private sourceOption(file: string, f: A.RecordField, t: string) {
    const v = f.value;
    const name = f.key.name;
    const bad = (what: string) => this.ctx.report("AWR5004", file, v.span, `"${name}" must be ${what}`);
    // `"a" | "b"`: one of these strings; `list of "a" | "b"`: a list of them.
    const choices = (spec: string) => [...spec.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
    const among = (spec: string) => {
      const q = choices(spec).map((c) => `"${c}"`);
      return q.length > 1 ? `${q.slice(0, -1).join(", ")} or ${q[q.length - 1]}` : q.join("");
    };
    if (t === "int") {
      if (v.kind !== "Number" || !v.integer || v.value < 0) bad("a whole number");
    } else if (t === "string") {
      if (v.kind !== "String") bad("a string");
    } else if (t === "bool") {
      if (v.kind !== "Bool") bad("true or false");
    } else if (t === "list of strings") {
      if (v.kind !== "List" || v.items.some((i) => i.kind !== "String")) bad("a list of strings");
    } else if (t.startsWith("list of ")) {
      const ok = choices(t);
      if (v.kind !== "List" || v.items.length === 0 || v.items.some((i) => i.kind !== "String" || !ok.includes(i.value))) bad(`a non-empty list of ${among(t)}`);
    } else if (v.kind !== "String" || !choices(t).includes(v.value)) bad(among(t));
  }

  /**
   * `summarize: P`: the VM calls P with `text` (what did not fit), `query` and `budget` (tokens), by
   * name, and reads a string. P must take `text: string`, may take `query: string` and
   * `budget: int`, nothing else without a default, and return a string (AWR2011).
   */
  private summarizer(file: string, p: A.Property, d: A.PromptDecl) {
    const where = this.declFile(d);
    const offered: Record<string, Ty.Ty> = { text: Ty.STRING, query: Ty.STRING, budget: Ty.INT };
    const problems: string[] = [];
    if (!d.params.some((f) => f.name.name === "text")) problems.push("it has no parameter text");
    for (const f of d.params) {
      const ty = f.type ? this.ctx.typeOf(where, f.type, false) : Ty.ERROR;
      const given = offered[f.name.name];
      if (!given) {
        if (f.default === undefined && !Ty.isOptional(ty, this.ctx)) problems.push(`its parameter ${f.name.name} gets no value`);
      } else if (!Ty.assignable(given, ty, this.ctx)) problems.push(`its parameter ${f.name.name} is ${Ty.show(ty)}, not ${Ty.show(given)}`);
    }
    const returns = d.returns ? this.ctx.typeOf(where, d.returns, false) : Ty.STRING;
    if (!Ty.assignable(returns, Ty.STRING, this.ctx)) problems.push(`it returns ${Ty.show(returns)}, not string`);
    if (problems.length === 0) return;
    this.bad(file, p.value, `summarize: prompt "${d.name.name}" does not fit: it must take text: string (and may take query: string, budget: int) and return a string, but ${problems.join("; ")}`);
  }

  // ------------------------------------------------------------ policies

  private policyDecl(file: string, d: A.PolicyDecl) {
    const principal = PRINCIPAL;
    for (const h of d.hooks) {
      const targets: A.HookTarget[] = ["model", "tool", "agent", "output"];
      if (!targets.includes(h.target)) {
        if (h.target as string) this.ctx.unknown(file, { name: h.target, span: h.targetSpan }, targets, "hook target", "AWR5002");
        continue;
      }
      let input: Ty.Ty = Ty.ANY;
      let output: Ty.Ty = Ty.ANY;
      if (h.selector?.kind === "tagged") {
        const tag = h.selector.tag.parts.join(".");
        if (h.target !== "tool") this.ctx.report("AWR5002", file, h.selector.tag.span, "only tools have tags: use before tool tagged ...");
        else if (!this.tagExists(tag) && !this.ctx.isLibrary(file)) {
          // A library policy may select a tag only user tools carry; user code must name a real one.
          const best = Ty.closest(tag, this.tags);
          this.ctx.report("AWR5001", file, h.selector.tag.span, `no tool is tagged "${tag}"${best ? `; did you mean "${best}"?` : ""}`, best ? [{ kind: "replace", span: h.selector.tag.span, text: best, title: `Change to "${best}"` }] : undefined);
        }
      } else if (h.selector?.kind === "name") {
        const kinds: Record<A.HookTarget, A.DeclKind> = { model: "ModelDecl", tool: "ToolDecl", agent: "AgentDecl", output: "GraphDecl" };
        const target = this.ctx.expectDecl(file, h.selector.name, [kinds[h.target]], h.target === "output" ? "graph" : h.target);
        if (target && (target.kind === "ToolDecl" || target.kind === "AgentDecl" || target.kind === "GraphDecl")) {
          const tf = this.declFile(target);
          input = Ty.record(target.params.map((p) => this.ctx.fieldTy(tf, p, false)));
          output = target.returns ? this.ctx.typeOf(tf, target.returns, false) : Ty.ANY;
          if (target.kind === "GraphDecl") input = Ty.ANY;
        }
      }
      if (h.target === "model") {
        // What the VM passes (docs/policies.md § Hooks): the model, the prompt or agent calling it,
        // the messages joined, and the messages; after the call the answer's text and value.
        const message = Ty.record([
          { name: "role", ty: Ty.STRING, optional: false },
          { name: "content", ty: Ty.STRING, optional: false },
        ]);
        input = Ty.record([
          { name: "model", ty: Ty.STRING, optional: false },
          { name: "caller", ty: Ty.STRING, optional: false },
          { name: "text", ty: Ty.STRING, optional: false },
          { name: "messages", ty: Ty.list(message), optional: false },
        ]);
        output = Ty.record([
          { name: "text", ty: Ty.STRING, optional: false },
          { name: "value", ty: Ty.ANY, optional: false },
        ]);
      }
      const vars = new Map<string, Ty.Ty>([
        ["input", input],
        ["principal", principal],
        ["tool", Ty.record([{ name: "name", ty: Ty.STRING, optional: false }, { name: "tags", ty: Ty.list(Ty.STRING), optional: false }])],
      ]);
      if (h.phase === "after") vars.set("output", output);
      // Conditions and transform values may call a prompt as a classifier (`moderation(text: input.body)`).
      const slot = { in: "when" as "when" | "value" | "because" };
      const intrinsics = new PolicyCalls(policyIntrinsics(this.ctx, this.ex), (name) => this.classifier(file, name, slot));
      const env: Env = { file, vars, intrinsics, hint: `a ${h.phase} ${h.target} rule sees input, principal${h.phase === "after" ? ", output" : ""} and tool` };
      for (const r of h.rules) {
        if (r.action === "approve" && h.phase === "after") this.ctx.report("AWR5002", file, r.span, "approve only makes sense before the call: use it in a before hook");
        if (r.action === "redact") {
          for (const k of r.kinds) {
            if (!(P.PII_KINDS as readonly string[]).includes(k.name)) this.ctx.unknown(file, k, P.PII_KINDS, "kind of data to redact", "AWR5002");
          }
        }
        if (r.action === "transform" && r.path && r.value) {
          const target = this.transformTarget(file, h, r.path, input, output);
          slot.in = "value";
          const t = this.ex.check(r.value, env, target);
          if (!Ty.assignable(t, target, this.ctx)) {
            const text = this.ex.text(r.value, env);
            const shown = Ty.show(t) === text ? Ty.show(widen(t)) : Ty.show(t);
            this.ctx.report("AWR5008", file, r.value.span, `the new value of ${r.path.parts.join(".")} must be ${Ty.show(target)}, but ${text} is ${shown}${this.ex.whyNot(t, target)}`);
          }
        }
        slot.in = "when";
        if (r.when) this.ex.requireBool(r.when, env, "a rule's condition");
        slot.in = "because";
        if (r.because) {
          const t = this.ex.check(r.because, env);
          this.ex.expect(t, Ty.STRING, r.because, env, "the reason after 'because'");
        }
      }
    }
  }

  /**
   * The type of the field a `transform` writes: `input...` in before hooks (the arguments), `output...`
   * in after hooks (the result); model hooks rewrite text only (`input.text`: each message sent,
   * `output.text`: the answer), and `before output` not at all (`after output` sees the result).
   */
  private transformTarget(file: string, h: A.PolicyHook, path: A.DottedName, input: Ty.Ty, output: Ty.Ty): Ty.Ty {
    const hook = `${h.phase} ${h.target}`;
    const root = h.phase === "before" ? "input" : "output";
    const text = path.parts.join(".");
    if (path.parts.some((p) => p === "")) return Ty.ERROR; // a syntax error said it already
    if (h.target === "output" && h.phase === "before") {
      this.ctx.report("AWR5007", file, path.span, "before output cannot transform the graph's result: write the rule in after output, which runs right after it and sees the result as output");
      return Ty.ERROR;
    }
    if (h.target === "model") {
      if (text === `${root}.text`) return Ty.STRING;
      this.ctx.report("AWR5007", file, path.span, `${hook} can only transform ${root}.text (${h.phase === "before" ? "the text of each message sent" : "the text of the answer"}), not ${text}`);
      return Ty.ERROR;
    }
    if (path.parts[0] !== root) {
      this.ctx.report("AWR5007", file, path.span, `${hook} transforms ${root} (${h.phase === "before" ? "the arguments the call receives" : "the result it passes on"}), not ${path.parts[0]}`);
      return Ty.ERROR;
    }
    let t = h.phase === "before" ? input : output;
    for (const [i, part] of path.parts.slice(1).entries()) {
      const r = this.ctx.resolve(Ty.nonNull(t, this.ctx));
      if (r.k === "any" || r.k === "error") return r;
      if (r.k === "map") t = r.of;
      else if (r.k === "record") {
        const f = r.fields.find((x) => x.name === part);
        if (!f) {
          this.ctx.report("AWR2005", file, path.span, `${path.parts.slice(0, i + 1).join(".")} (${Ty.show(r)}) has no field "${part}"`);
          return Ty.ERROR;
        }
        t = f.ty;
      } else {
        this.ctx.report("AWR5007", file, path.span, `cannot transform a field of ${path.parts.slice(0, i + 1).join(".")}: it is ${Ty.show(r)}, not a record`);
        return Ty.ERROR;
      }
    }
    return t;
  }

  /**
   * A declaration called in a policy rule: a prompt is a classifier (a model call the VM makes
   * before deciding), typed by its signature; anything else is AWR5009. Builtins and the policy
   * intrinsics are never looked up here.
   */
  private classifier(file: string, name: string, slot: { in: "when" | "value" | "because" }): ((c: A.CallExpr, env: Env) => Ty.Ty) | undefined {
    if ((BUILTIN_FUNCTIONS as readonly string[]).includes(name)) return undefined;
    const sym = this.ctx.program.scopes.get(file)?.get(name);
    if (!sym || !(CALLABLE as string[]).includes(sym.decl.kind)) return undefined;
    return (c, env) => {
      this.ctx.lookup(env.file, name, c.callee.span);
      const d = sym.decl as Callable;
      if (d.kind !== "PromptDecl") {
        this.ctx.report("AWR5009", env.file, c.callee.span, `only a prompt can be called in a policy rule (as a classifier): "${name}" is ${article(kindWord(d.kind))}`);
        c.args.forEach((a) => this.ex.check(a.value, env));
        return Ty.ERROR;
      }
      if (slot.in === "because") this.ctx.report("AWR5009", env.file, c.span, `a classifier is called in a rule's condition or a transform's value, not in its reason: "${name}" cannot be called after because`);
      this.args(d, this.declFile(d), c, env);
      return this.calleeReturn(d);
    };
  }

  private tagExists(tag: string): boolean {
    for (const t of this.tags) if (t === tag || t.startsWith(tag + ".")) return true;
    return false;
  }

  // ------------------------------------------------------------ calls

  private calleeReturn(d: Callable): Ty.Ty {
    const f = this.declFile(d);
    if (d.returns) return this.ctx.typeOf(f, d.returns, false);
    return d.kind === "PromptDecl" || d.kind === "AgentDecl" ? Ty.STRING : Ty.ANY;
  }

  /** Checks a call's arguments against a declaration's parameters: positional first, then named. */
  args(d: Callable, declFile: string, call: A.CallExpr, env: Env) {
    const params = d.params;
    const given = new Map<string, A.Arg>();
    let positional = 0;
    let named = false;
    for (const a of call.args) {
      if (a.name) {
        named = true;
        const p = params.find((x) => x.name.name === a.name!.name);
        if (!p) {
          this.ctx.unknown(env.file, a.name, params.map((x) => x.name.name), "parameter", "AWR3002", `${kindWord(d.kind)} "${d.name.name}"`);
          this.ex.check(a.value, env);
          continue;
        }
        if (given.has(p.name.name)) this.ctx.report("AWR3002", env.file, a.name.span, `"${p.name.name}" is given twice`);
        given.set(p.name.name, a);
      } else {
        if (named) this.ctx.report("AWR3002", env.file, a.span, "positional arguments must come before named ones");
        const p = params[positional++];
        if (!p) {
          this.ctx.report("AWR3002", env.file, a.span, `${d.name.name} takes ${params.length} argument${params.length === 1 ? "" : "s"}, got ${call.args.length}`);
          this.ex.check(a.value, env);
          continue;
        }
        given.set(p.name.name, a);
      }
    }
    for (const p of params) {
      const pt = this.ctx.fieldTy(declFile, p, false);
      const a = given.get(p.name.name);
      if (!a) {
        if (!pt.optional && p.name.name !== "") {
          this.ctx.report("AWR3002", env.file, call.span, `missing argument "${p.name.name}" (${Ty.show(pt.ty)}) for ${d.name.name}`);
        }
        continue;
      }
      const at = this.ex.check(a.value, env, pt.ty);
      this.ex.expect(at, pt.ty, a.value, env, `argument "${p.name.name}" of ${d.name.name}`);
    }
  }

  // ------------------------------------------------------------ graphs

  private graphDecl(file: string, g: A.GraphDecl) {
    const params = this.paramsEnv(file, g.params);
    const retTy = g.returns ? this.ctx.typeOf(file, g.returns) : undefined;
    const stateFields = A.graphState(g);
    if (g.members.filter((m) => m.kind === "State").length > 1) {
      const second = g.members.filter((m) => m.kind === "State")[1]!;
      this.ctx.report("AWR2009", file, second.span, "a graph has one state block");
    }
    const state = this.fields(file, stateFields, "state");
    for (const f of stateFields) {
      if (params.has(f.name.name)) this.ctx.report("AWR2009", file, f.name.span, `state field "${f.name.name}" has the name of a parameter`);
    }
    const reducer = (name: string): string => {
      const f = stateFields.find((x) => x.name.name === name);
      return f ? A.fieldReducer(f) : "replace";
    };
    const vars = new Map<string, Ty.Ty>([...params, ...state]);
    const env: Env = { file, vars, hint: "graph expressions see the graph's parameters and state fields" };
    // Node names (reserved, duplicate), edge shapes and `max` are graph analysis's (AWR40xx).
    // A node reached through `on error -> n` sees the failure as `error` (optional when ordinary
    // edges reach it too; a parameter or state field named error wins).
    const handlers = A.onErrorHandlers(g);
    for (const n of A.graphNodes(g)) {
      const via = handlers.get(n.name.name);
      const nodeEnv: Env = via && !vars.has("error") ? { ...env, vars: new Map([...vars, ["error", via === "only" ? FAILURE_RECORD : Ty.optional(FAILURE_RECORD)]]), hint: "graph expressions see the graph's parameters and state fields; a node reached through on error also sees error" } : env;
      this.node(file, n, nodeEnv, state, reducer);
    }
    for (const e of A.graphEdges(g)) {
      if (!e.when) continue;
      this.ex.requireBool(e.when, env, "an edge condition");
      const k = constantBool(e.when);
      if (k !== undefined) {
        this.ctx.report("AWR6005", file, e.when.span, k ? "this condition is always true: write the edge without when" : "this condition is always false: the edge is never taken");
      }
    }
    this.exhaustive(file, g, env);
    const rets = g.members.filter((m): m is A.ReturnStmt => m.kind === "Return");
    for (const [i, r] of rets.entries()) {
      if (i > 0) this.ctx.report("AWR2009", file, r.span, "a graph has one return");
      const t = this.ex.check(r.value, env, retTy);
      if (retTy) this.ex.expect(t, retTy, r.value, env, `the result of graph ${g.name.name}`);
    }
    for (const f of stateFields) {
      const n = f.name.name;
      const written = A.graphNodes(g).some((node) => node.stmts.some((s) => A.writeTarget(s)?.name === n));
      if (!written && !mentions(g, n) && n !== "") this.ctx.report("AWR6004", file, f.name.span, `state field "${n}" is never written or read`);
    }
  }

  private node(file: string, n: A.NodeDecl, env: Env, state: Map<string, Ty.Ty>, reducer: (f: string) => string) {
    const ctx = this.ctx;
    let compensations = 0;
    for (const s of n.stmts) {
      // Two retry/timeout/on error statements are graph analysis's AWR4009; compensate is ours.
      if (s.kind === "Compensate" && compensations++ > 0) ctx.report("AWR4009", file, s.span, `node "${n.name.name}" has more than one compensate`);
      switch (s.kind) {
        case "Run": {
          const ret = this.runCall(file, s.call, env);
          if (s.target) this.write(file, s.target, ret, "one", s.call, env, state, reducer);
          break;
        }
        case "Map": {
          const src = ctx.resolve(this.ex.check(s.source, env));
          let elem: Ty.Ty = Ty.ERROR;
          if (src.k === "list") elem = src.of;
          else if (src.k === "optional") ctx.report("AWR3001", file, s.source.span, `${this.ex.text(s.source, env)} may be null: map over ${this.ex.text(s.source, env)}! or give it a default`);
          else if (src.k === "any") elem = Ty.ANY;
          else if (src.k !== "error") ctx.report("AWR3001", file, s.source.span, `map needs a list, but ${this.ex.text(s.source, env)} is ${Ty.show(src)}`);
          if (s.concurrency && (s.concurrency.kind !== "Number" || !s.concurrency.integer || s.concurrency.value < 1)) {
            ctx.report("AWR3001", file, s.concurrency.span, "concurrency must be a whole number of at least 1");
          }
          if (env.vars.has(s.variable.name)) ctx.report("AWR2009", file, s.variable.span, `"${s.variable.name}" already names a parameter or state field`);
          const inner: Env = { ...env, vars: new Map([...env.vars, [s.variable.name, elem]]) };
          const ret = this.runCall(file, s.call, inner);
          if (s.target) this.write(file, s.target, ret, "each", s.call, env, state, reducer);
          break;
        }
        case "Await": {
          const c = s.call;
          const name = c.callee.kind === "Name" ? c.callee.name : "";
          if (name !== "human" && name !== "event") {
            ctx.report("AWR3008", file, c.callee.span, 'await takes human("reason") or event("name")');
            break;
          }
          if (c.args.length !== 1 || c.args[0]!.name) ctx.report("AWR3002", file, c.span, `${name} takes one string: ${name}("${name === "human" ? "why a person is needed" : "event-name"}")`);
          else this.ex.expect(this.ex.check(c.args[0]!.value, env), Ty.STRING, c.args[0]!.value, env, `the argument of ${name}()`);
          if (s.target) {
            const ft = state.get(s.target.name);
            if (!ft) this.write(file, s.target, Ty.ANY, "one", c, env, state, reducer);
            else if (ctx.resolve(Ty.nonNull(ft, ctx)).k === "any") {
              // untyped fields take whatever arrives
            }
          } else if (name === "human") {
            ctx.report("AWR3007", file, s.span, "the answer of await human(...) is lost: write it to a state field with -> field");
          }
          break;
        }
        case "Set": {
          const ft = state.get(s.target.name);
          const t = this.ex.check(s.value, env, ft);
          this.write(file, s.target, t, "one", s.value, env, state, reducer);
          break;
        }
        case "Retry":
          this.retryValue(file, s.value);
          break;
        case "Timeout":
          this.duration(file, s.value, "timeout");
          break;
        case "OnError":
          break; // the target node is checked by graph analysis
        case "Compensate":
          this.callTool(file, s.call, env, "compensate");
          break;
      }
    }
    const work = n.stmts.filter((s) => s.kind === "Run" || s.kind === "Map" || s.kind === "Await" || s.kind === "Set");
    if (work.length === 0 && n.name.name !== "") {
      ctx.report("AWR4009", file, n.name.span, `node "${n.name.name}" does nothing: give it a run, map, await or set statement`);
    }
  }

  /** Checks `name(args)` in a node and returns what the call produces. */
  private runCall(file: string, c: A.CallExpr, env: Env): Ty.Ty {
    if (c.callee.kind !== "Name") {
      if (c.callee.kind !== "ErrorExpr") this.ctx.report("AWR3008", file, c.callee.span, "run takes the name of a prompt, agent, tool or graph");
      return Ty.ERROR;
    }
    const d = this.ctx.expectDecl(file, { kind: "Ident", name: c.callee.name, span: c.callee.span }, CALLABLE, "prompt, agent, tool or graph") as Callable | undefined;
    if (c.recovered) return d ? this.calleeReturn(d) : Ty.ERROR; // `run f -> x`: AWR4009 already said a call is missing
    if (!d) {
      c.args.forEach((a) => this.ex.check(a.value, env));
      return Ty.ERROR;
    }
    this.args(d, this.declFile(d), c, env);
    return this.calleeReturn(d);
  }

  /** A write of `value` to state field `target` through its reducer ("each": once per map result). */
  private write(file: string, target: A.Ident, value: Ty.Ty, mode: "one" | "each", at: A.Expr, env: Env, state: Map<string, Ty.Ty>, reducer: (f: string) => string) {
    const ctx = this.ctx;
    const ft = state.get(target.name);
    if (!ft) {
      if (target.name !== "") ctx.unknown(file, target, state.keys(), "state field", "AWR2005", "the graph");
      return;
    }
    const red = reducer(target.name);
    const fr = ctx.resolve(Ty.nonNull(ft, ctx));
    const fail = (expected: string, actual: Ty.Ty) =>
      ctx.report("AWR3006", file, target.span, `"${target.name}" (${Ty.show(ft)}, @reduce(${red})) cannot take ${this.ex.text(at, env)}: ${expected}, but it produces ${Ty.show(actual)}${this.ex.whyNot(actual, ft)}`);
    const whole = mode === "each" && red === "replace" ? Ty.list(value) : value;
    switch (red) {
      case "replace":
        if (!Ty.assignable(whole, ft, ctx)) fail(`it needs ${Ty.show(ft)}`, whole);
        return;
      case "append": {
        if (fr.k !== "list") return;
        const v = ctx.resolve(value);
        if (!Ty.assignable(value, fr.of, ctx) && !(v.k === "list" && Ty.assignable(v.of, fr.of, ctx))) fail(`appending needs ${Ty.show(fr.of)} or ${Ty.show(fr)}`, value);
        return;
      }
      case "merge": {
        const v = ctx.resolve(value);
        if (v.k !== "record" && v.k !== "map" && v.k !== "any" && v.k !== "error") fail("merging needs a record or map", value);
        return;
      }
      default:
        if (!Ty.isNumeric(value, ctx)) fail(`@reduce(${red}) needs a number`, value);
    }
  }

  /**
   * Edges out of one node that branch only on `x == member` of an enum or literal union, with no
   * `otherwise`, must cover every member: a value that no edge takes would end the branch silently.
   */
  private exhaustive(file: string, g: A.GraphDecl, env: Env) {
    const bySource = new Map<string, A.EdgeDecl[]>();
    for (const e of A.graphEdges(g)) {
      if (e.from.length !== 1) continue;
      const k = e.from[0]!.name;
      bySource.set(k, [...(bySource.get(k) ?? []), e]);
    }
    for (const [src, edges] of bySource) {
      if (edges.some((e) => !e.when)) continue; // an unconditional or otherwise edge catches the rest
      let subject: string | undefined;
      let subjectExpr: A.Expr | undefined;
      const covered = new Set<string | number | boolean>();
      let analyzable = true;
      const collect = (c: A.Expr): boolean => {
        if (c.kind === "Binary" && c.op === "||") return collect(c.left) && collect(c.right);
        if (c.kind === "Binary" && c.op === "==") {
          const [subj, val] = isLiteralish(c.right) ? [c.left, c.right] : [c.right, c.left];
          const s = this.ctx.sourceText(file, subj.span).replace(/\s+/g, "");
          if (subject !== undefined && s !== subject) return false;
          subject = s;
          subjectExpr = subj;
          const v = val.kind === "Name" ? val.name : val.kind === "String" || val.kind === "Number" || val.kind === "Bool" ? val.value : undefined;
          if (v === undefined) return false;
          covered.add(v);
          return true;
        }
        return false;
      };
      for (const e of edges) if (!collect(e.when!)) analyzable = false;
      if (!analyzable || !subjectExpr) continue;
      const t = this.ctx.resolve(Ty.nonNull(this.ex.check(subjectExpr, { ...env, vars: env.vars }), this.ctx));
      const domain = t.k === "enum" ? t.members : t.k === "union" ? t.members.map((m) => this.ctx.resolve(m)).flatMap((m) => (m.k === "literal" ? [m.value] : [])) : t.k === "bool" ? [true, false] : undefined;
      if (!domain) continue;
      const missing = domain.filter((v) => !covered.has(v));
      if (missing.length) {
        const last = edges[edges.length - 1]!;
        this.ctx.report(
          "AWR3005",
          file,
          last.span,
          `no edge from "${src}" handles ${subject} == ${missing.map((m) => (typeof m === "string" && t.k === "enum" ? m : JSON.stringify(m))).join(", ")}; add an edge for ${missing.length > 1 ? "them" : "it"} or an otherwise edge`,
          [{ kind: "insert", offset: last.span.end, text: `\n  edge ${src} -> end otherwise`, title: `Add "edge ${src} -> end otherwise"` }],
        );
      }
    }
  }

  // ------------------------------------------------------------ tests

  private testDecl(file: string, t: A.TestDecl) {
    const ctx = this.ctx;
    const runs = t.stmts.filter((s): s is A.TestRun => s.kind === "TestRun");
    if (runs.length !== 1 && t.name.name !== "") {
      ctx.report("AWR5005", file, runs[1]?.span ?? t.name.span, runs.length === 0 ? `test "${t.name.name}" runs nothing: add run graph_name(args)` : "a test has exactly one run");
    }
    let graph: A.GraphDecl | undefined;
    const empty: Env = { file, vars: new Map() };
    for (const r of runs.slice(0, 1)) {
      const c = r.call;
      if (c.callee.kind !== "Name") continue;
      graph = ctx.expectDecl(file, { kind: "Ident", name: c.callee.name, span: c.callee.span }, ["GraphDecl"], "graph");
      if (graph) this.args(graph, this.declFile(graph), c, empty);
    }
    const mocked = new Set<string>();
    for (const m of t.stmts) {
      if (m.kind !== "TestMock") continue;
      if (mocked.has(m.target.name)) ctx.report("AWR5005", file, m.target.span, `"${m.target.name}" is mocked twice; chain answers with then`);
      mocked.add(m.target.name);
      let ret: Ty.Ty = Ty.ANY;
      let agent: A.AgentDecl | undefined;
      if (m.target.name !== "human" && m.target.name !== "event") {
        const d = ctx.expectDecl(file, m.target, CALLABLE, "prompt, agent, tool or graph") as Callable | undefined;
        if (!d) continue;
        ret = this.calleeReturn(d);
        if (d.kind === "AgentDecl") agent = d;
      }
      for (const v of m.values) {
        if (v.kind === "Call" && v.callee.kind === "Name" && v.callee.name === "fail") {
          const k = v.args[0]?.value;
          if (v.args.length !== 1 || k?.kind !== "String" || !(P.FAILURE_KINDS as readonly string[]).includes(k.value)) {
            ctx.report("AWR5005", file, v.span, `fail takes a failure kind: ${P.FAILURE_KINDS.map((x) => `"${x}"`).join(", ")}`);
          }
          continue;
        }
        const calls = agent ? A.toolCallsTurn(v) : undefined;
        if (agent && calls) {
          this.toolCallsTurn(file, agent, calls, empty);
          continue;
        }
        const vt = this.ex.check(v, empty, ret);
        this.ex.expect(vt, ret, v, empty, `a mocked answer of ${m.target.name}`);
      }
    }
    const principals = t.stmts.filter((s): s is A.TestPrincipal => s.kind === "TestPrincipal");
    if (principals.length > 1) ctx.report("AWR5005", file, principals[1]!.span, "a test has one principal");
    for (const p of principals.slice(0, 1)) {
      const pt = this.ex.check(p.value, empty, TEST_PRINCIPAL);
      this.ex.expect(pt, TEST_PRINCIPAL, p.value, empty, "the principal of a test");
    }
    const stateTy = graph
      ? Ty.record(A.graphState(graph).map((f) => ctx.fieldTy(this.declFile(graph!), f, false)))
      : Ty.ANY;
    const outTy = graph?.returns ? ctx.typeOf(this.declFile(graph), graph.returns, false) : Ty.ANY;
    const nameArg = (what: A.DeclKind[], label: string) => (c: A.CallExpr, env: Env): Ty.Ty => {
      const a = c.args[0]?.value;
      if (c.args.length !== 1 || a?.kind !== "Name") {
        ctx.report("AWR3002", file, c.span, `${c.callee.kind === "Name" ? c.callee.name : ""}() takes the name of ${article(label)}`);
        return Ty.ERROR;
      }
      ctx.expectDecl(env.file, { kind: "Ident", name: a.name, span: a.span }, what, label);
      return label === "policy" ? Ty.list(auditRecord) : Ty.INT;
    };
    const env: Env = {
      file,
      vars: new Map<string, Ty.Ty>([
        ["status", { k: "union", members: ["completed", "failed", "suspended", "needs_attention"].map((value) => ({ k: "literal", value }) as Ty.Ty) }],
        // Expectations are assertions: reading output or error of a run that has none fails the
        // expectation at run time, so they are typed as present.
        ["output", outTy],
        ["state", stateTy],
        ["error", FAILURE_RECORD],
      ]),
      intrinsics: new Map([
        ["calls", nameArg(CALLABLE, "prompt, agent, tool or graph")],
        ["audit", nameArg(["PolicyDecl"], "policy")],
      ]),
      hint: "expect sees status, output, state, error, calls(name) and audit(policy)",
    };
    for (const s of t.stmts) if (s.kind === "TestExpect") this.ex.requireBool(s.expr, env, "an expectation");
  }

  /**
   * A mocked agent turn `{ tool_calls: [{ name: "lookup", args: { ... } }] }`: each name is one of
   * the agent's tools (args typed by the tool's parameters) or `transfer_to_<handoff>`.
   */
  private toolCallsTurn(file: string, agent: A.AgentDecl, calls: A.Expr, env: Env) {
    const ctx = this.ctx;
    const names = (key: string) => {
      const p = agent.props.find((x) => x.key.name === key);
      return p?.value.kind === "List" ? p.value.items.flatMap((i) => (i.kind === "Name" ? [i.name] : [])) : [];
    };
    const tools = names("tools");
    const handoffs = names("handoffs");
    const allowed = [...tools, ...handoffs.map((h) => `transfer_to_${h}`)];
    const shape = 'a turn that calls tools is { tool_calls: [{ name: "tool", args: { ... } }] }';
    if (calls.kind !== "List" || calls.items.length === 0) {
      ctx.report("AWR5005", file, calls.span, `tool_calls takes a non-empty list of calls: ${shape}`);
      return;
    }
    for (const c of calls.items) {
      const name = c.kind === "Record" ? c.fields.find((f) => f.key.name === "name") : undefined;
      const args = c.kind === "Record" ? c.fields.find((f) => f.key.name === "args") : undefined;
      const extra = c.kind === "Record" ? c.fields.find((f) => f.key.name !== "name" && f.key.name !== "args") : undefined;
      if (!name || name.value.kind !== "String" || extra) {
        ctx.report("AWR5005", file, (extra ?? c).span, `a mocked tool call is { name: "tool", args: { ... } } with a literal name: ${shape}`);
        continue;
      }
      const n = name.value.value;
      if (!allowed.includes(n)) {
        ctx.report("AWR5005", file, name.value.span, `agent "${agent.name.name}" cannot call "${n}": its tools are ${allowed.map((x) => `"${x}"`).join(", ") || "none"}`);
        if (args) this.ex.check(args.value, env);
        continue;
      }
      const tool = tools.includes(n) ? ctx.program.globals.get(n)?.decl : undefined;
      if (tool?.kind === "ToolDecl") {
        const f = this.declFile(tool);
        const want = Ty.record(tool.params.map((p) => ctx.fieldTy(f, p, false)));
        const given = args?.value ?? ({ kind: "Record", fields: [], span: name.span } as A.RecordExpr);
        const at = this.ex.check(given, env, want);
        this.ex.expect(at, want, given, env, `the arguments of ${n}`);
      } else if (args) {
        // A handoff: its arguments complete the current agent's same-named ones (checked at run time).
        const at = this.ex.check(args.value, env);
        if (ctx.resolve(at).k !== "record" && ctx.resolve(at).k !== "error") ctx.report("AWR5005", file, args.value.span, `the arguments of ${n} must be a record`);
      }
    }
  }

  // ------------------------------------------------------------ usage

  unused() {
    const ctx = this.ctx;
    const reported: A.DeclKind[] = ["TypeDecl", "EnumDecl", "ModelDecl", "ToolDecl", "PromptDecl", "AgentDecl", "ContextDecl"];
    for (const m of ctx.program.modules.values()) {
      if (m.library) continue;
      for (const d of m.ast.decls) {
        if (!reported.includes(d.kind) || d.name.name === "" || ctx.used.has(d.name.name)) continue;
        if (ctx.program.globals.get(d.name.name)?.decl !== d) continue;
        ctx.report("AWR6001", m.file, d.name.span, `${kindWord(d.kind)} "${d.name.name}" is never used`);
      }
    }
  }
}

/** The tags of every tool of the program, one per line, in declaration order. */
function toolTags(program: Program): string {
  const out = new Set<string>();
  for (const s of program.globals.values()) {
    if (s.decl.kind !== "ToolDecl") continue;
    const tags = A.prop(s.decl.props, "tags")?.value;
    if (tags?.kind === "List") for (const t of tags.items) if (dotted(t)) out.add(dotted(t)!);
  }
  return [...out].join("\n");
}

function range(opts: { min?: number; max?: number }): string {
  if (opts.max === undefined) return `at least ${opts.min}`;
  if (opts.min === undefined) return `at most ${opts.max}`;
  return `between ${opts.min} and ${opts.max}`;
}

const auditRecord: Ty.Ty = Ty.record([
  { name: "rule", ty: Ty.STRING, optional: false },
  { name: "outcome", ty: Ty.STRING, optional: false },
  { name: "step", ty: Ty.STRING, optional: false },
]);

/** The value of a condition that does not depend on anything (`true`, `1 > 2`, `!false`). */
function constantBool(e: A.Expr): boolean | undefined {
  if (e.kind === "Bool") return e.value;
  if (e.kind === "Unary" && e.op === "!") {
    const v = constantBool(e.operand);
    return v === undefined ? undefined : !v;
  }
  if (e.kind === "Binary" && ["==", "!=", "<", "<=", ">", ">="].includes(e.op)) {
    const lit = (x: A.Expr) => (x.kind === "Number" || x.kind === "String" || x.kind === "Bool" ? x.value : undefined);
    const l = lit(e.left);
    const r = lit(e.right);
    if (l === undefined || r === undefined) return undefined;
    switch (e.op) {
      case "==": return l === r;
      case "!=": return l !== r;
      case "<": return l < r;
      case "<=": return l <= r;
      case ">": return l > r;
      default: return l >= r;
    }
  }
  return undefined;
}

function isLiteralish(e: A.Expr): boolean {
  return e.kind === "String" || e.kind === "Number" || e.kind === "Bool" || e.kind === "Name";
}

/** `pii.read` written as an expression → "pii.read". */
export function dotted(e: A.Expr): string | undefined {
  if (e.kind === "Name") return e.name;
  if (e.kind === "Member" && !e.optional) {
    const o = dotted(e.object);
    return o && e.name.name ? `${o}.${e.name.name}` : undefined;
  }
  return undefined;
}

/** `20/s` → { count: 20, perMs: 1000 } */
export function rate(e: A.Expr): { count: number; perMs: number } | undefined {
  if (e.kind !== "Binary" || e.op !== "/" || e.left.kind !== "Number" || e.right.kind !== "Name") return undefined;
  const per: Record<string, number> = { s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };
  const ms = per[e.right.name];
  return ms && e.left.value > 0 ? { count: e.left.value, perMs: ms } : undefined;
}


/** Whether a graph's expressions mention a name (reads of a state field). */
function mentions(g: A.GraphDecl, name: string): boolean {
  let found = false;
  const visit = (x: unknown): void => {
    if (found || !x || typeof x !== "object") return;
    const n = x as { kind?: string; name?: unknown };
    if (n.kind === "Name" && n.name === name) {
      found = true;
      return;
    }
    for (const [k, v] of Object.entries(x)) {
      if (k === "span" || k === "target") continue;
      if (Array.isArray(v)) v.forEach(visit);
      else if (v && typeof v === "object") visit(v);
    }
  };
  for (const m of g.members) if (m.kind !== "State") visit(m);
  return found;
}

export { widen };
