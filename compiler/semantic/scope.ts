import type * as A from "../syntax/ast.js";
import { diag, type Diagnostic, type FixData } from "../diagnostics/diagnostic.js";
import type { Code } from "../diagnostics/codes.js";
import type { Program, Sym } from "./program.js";
import { sourceTextOf, type Derive, type SourceText } from "./reuse.js";
import * as Ty from "./types.js";

/** A resolved reference from a name in source to a top-level declaration (for the LSP). */
export interface Reference {
  file: string;
  span: A.Span;
  name: string;
}

/**
 * A use of a field of a declared record type (for the LSP): `x.f` where x has that type, and the
 * key `f` of a record literal `{ f: ... }` whose expected type is that type.
 */
export interface FieldReference {
  file: string;
  span: A.Span;
  /** The record type declaring the field. */
  type: string;
  field: string;
}

const BUILTIN_TYPES: Record<string, Ty.Ty> = {
  string: Ty.STRING,
  int: Ty.INT,
  float: Ty.FLOAT,
  bool: Ty.BOOL,
  any: Ty.ANY,
  json: Ty.ANY,
  duration: Ty.DURATION,
  null: Ty.NULL,
};
export const BUILTIN_TYPE_NAMES = [...Object.keys(BUILTIN_TYPES), "list", "map"];

/**
 * Shared state of one checking pass: diagnostics, references, usage, and the type table built from
 * `type`/`enum` declarations.
 */
export class CheckContext implements Ty.TypeTable {
  readonly diagnostics: Diagnostic[] = [];
  readonly references: Reference[] = [];
  readonly fieldReferences: FieldReference[] = [];
  readonly used = new Set<string>();
  private readonly namedCache = new Map<string, Ty.Ty | null>();

  constructor(
    readonly program: Program,
    /** Values computed from the whole program (see reuse.ts); by default from `program` itself. */
    readonly derive: Derive = (_key, compute) => compute(program),
    /** The source text of a span; by default from `program` (a recording program notes it, see reuse.ts). */
    private readonly text: SourceText = (file, span) => sourceTextOf(program, file, span),
  ) {}

  /** The source text of `span` in `file` (a module of the program); "" when there is none. */
  sourceText(file: string, span: A.Span): string {
    return this.text(file, span);
  }

  /**
   * The names in scope in `file` of declarations of `kinds` (candidates for "did you mean"): a
   * value, so a check that lists them still holds when a declaration in scope changed but the
   * names did not.
   */
  namesInScope(file: string, kinds: readonly A.DeclKind[]): string[] {
    const names = this.derive(`names\0${file}\0${kinds.join(",")}`, (p) =>
      [...(p.scopes.get(file)?.values() ?? [])]
        .filter((s) => kinds.includes(s.decl.kind))
        .map((s) => s.name)
        .join("\n"),
    );
    return names === "" ? [] : names.split("\n");
  }

  /** The members of the enums in scope in `file` (a value, as `namesInScope`). */
  enumMembersInScope(file: string): Set<string> {
    const members = this.derive(`enum members\0${file}`, (p) => {
      const out = new Set<string>();
      for (const s of p.scopes.get(file)?.values() ?? []) if (s.decl.kind === "EnumDecl") for (const m of s.decl.members) out.add(m.name);
      return [...out].join("\n");
    });
    return new Set(members === "" ? [] : members.split("\n"));
  }

  /** True when `file` is a library module (the stdlib). */
  isLibrary(file: string): boolean {
    return this.derive(`library\0${file}`, (p) => (p.modules.get(file)?.library ? "1" : "")) === "1";
  }

  report(code: Code, file: string, span: A.Span, message: string, fixes?: FixData[]) {
    this.diagnostics.push(diag(code, file, span, message, fixes ? { fixes } : undefined));
  }

  /** Looks a name up in a module's scope and records the reference. */
  lookup(file: string, name: string, span: A.Span): Sym | undefined {
    const sym = this.program.scopes.get(file)?.get(name);
    if (sym) {
      this.references.push({ file, span, name });
      this.used.add(name);
    }
    return sym;
  }

  /** A name that must denote one of `kinds`; reports unknown names with a did-you-mean fix. */
  expectDecl<K extends A.DeclKind>(file: string, id: A.Ident, kinds: K[], what: string): Extract<A.Decl, { kind: K }> | undefined {
    if (id.name === "") return undefined;
    const sym = this.lookup(file, id.name, id.span);
    if (!sym) {
      const candidates = this.namesInScope(file, kinds);
      const global = this.program.globals.get(id.name);
      if (global && (kinds as string[]).includes(global.decl.kind)) {
        this.report("AWR2001", file, id.span, `${what} "${id.name}" is declared in ${global.file.split(/[\\/]/).pop()} but that module is not imported here`);
        return undefined;
      }
      this.unknown(file, id, candidates, what);
      return undefined;
    }
    if (!(kinds as string[]).includes(sym.decl.kind)) {
      this.report("AWR2006", file, id.span, `"${id.name}" is ${article(kindWord(sym.decl.kind))}, but ${article(what)} is expected here`);
      return undefined;
    }
    return sym.decl as Extract<A.Decl, { kind: K }>;
  }

  /**
   * Reports a name that does not exist, with the closest candidate as a fix. `what` reads
   * "unknown WHAT "x""; a `container` makes it read "CONTAINER has no WHAT "x"".
   */
  unknown(file: string, id: { name: string; span: A.Span }, candidates: Iterable<string>, what: string, code: Code = "AWR2001", container?: string) {
    const best = Ty.closest(id.name, candidates);
    this.report(
      code,
      file,
      id.span,
      `${container ? `${container} has no ${what}` : `unknown ${what}`} "${id.name}"${best ? `; did you mean "${best}"?` : ""}`,
      best ? [{ kind: "replace", span: id.span, text: best, title: `Change to "${best}"` }] : undefined,
    );
  }

  // ------------------------------------------------------------ types

  named(name: string): Ty.Ty | undefined {
    const cached = this.namedCache.get(name);
    if (cached !== undefined) return cached ?? undefined;
    const sym = this.program.globals.get(name);
    let t: Ty.Ty | null = null;
    if (sym?.decl.kind === "EnumDecl") t = { k: "enum", name, members: sym.decl.members.map((m) => m.name) };
    else if (sym?.decl.kind === "TypeDecl") {
      const d = sym.decl;
      // While a record's fields are typed, a field naming the record again (directly or through
      // other records) must see a record — not the poison type, which would make the field
      // optional — so the answer does not depend on which type was asked for first. An alias is
      // typed without resolving anything, so its guard is never read.
      this.namedCache.set(name, d.alias ? Ty.ERROR : Ty.record([], name));
      t = d.alias
        ? this.typeOf(sym.file, d.alias, false)
        : Ty.record(
            d.fields.map((f) => this.fieldTy(sym.file, f, false)),
            name,
          );
    }
    this.namedCache.set(name, t);
    return t ?? undefined;
  }

  fieldTy(file: string, f: A.Field, report: boolean): Ty.TyField {
    const ty = f.type ? this.typeOf(file, f.type, report) : Ty.ERROR;
    return { name: f.name.name, ty, optional: f.default !== undefined || Ty.isOptional(ty, this) };
  }

  /** Resolves a type expression written in `file`; reports problems only when `report` is set. */
  typeOf(file: string, t: A.TypeExpr, report = true): Ty.Ty {
    switch (t.kind) {
      case "LiteralType":
        return { k: "literal", value: t.value };
      case "OptionalType":
        return Ty.optional(this.typeOf(file, t.inner, report));
      case "UnionType": {
        const members = t.members.map((m) => this.typeOf(file, m, report));
        const nulls = members.filter((m) => m.k === "null");
        const rest = members.filter((m) => m.k !== "null");
        const u: Ty.Ty = rest.length === 1 ? rest[0]! : { k: "union", members: rest };
        return nulls.length ? Ty.optional(u) : u;
      }
      case "NamedType": {
        const name = t.name.name;
        if (name === "") return Ty.ERROR;
        if (name === "list" || name === "map") {
          if (t.args.length !== 1) {
            if (report) this.report("AWR3009", file, t.span, `${name} takes one type argument, as in ${name}<string>`);
            return Ty.ERROR;
          }
          const of = this.typeOf(file, t.args[0]!, report);
          return name === "list" ? Ty.list(of) : { k: "map", of };
        }
        const builtin = BUILTIN_TYPES[name];
        if (builtin) {
          if (t.args.length && report) this.report("AWR3009", file, t.span, `${name} takes no type arguments`);
          return builtin;
        }
        const sym = report ? this.lookup(file, name, t.name.span) : this.program.scopes.get(file)?.get(name);
        if (!sym || (sym.decl.kind !== "TypeDecl" && sym.decl.kind !== "EnumDecl")) {
          if (report) {
            if (sym) this.report("AWR2006", file, t.name.span, `"${name}" is ${article(kindWord(sym.decl.kind))}, not a type`);
            else {
              const candidates = [
                ...BUILTIN_TYPE_NAMES,
                ...this.namesInScope(file, ["TypeDecl", "EnumDecl"]),
              ];
              this.unknown(file, t.name, candidates, "type", "AWR2010");
            }
          }
          return Ty.ERROR;
        }
        if (t.args.length && report) this.report("AWR3009", file, t.span, `${name} takes no type arguments`);
        return { k: "ref", name };
      }
    }
  }

  /** The structural type behind any type (follows refs). */
  resolve(t: Ty.Ty): Ty.Ty {
    return Ty.resolve(t, this);
  }
}

export function kindWord(kind: A.DeclKind): string {
  return kind.replace(/Decl$/, "").toLowerCase();
}

export function article(word: string): string {
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}
