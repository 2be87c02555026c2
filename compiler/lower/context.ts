import type { Decl, Span } from "../syntax/ast.js";
import type { Program, Sym } from "../semantic/program.js";
import type { Loc } from "../plan/types.js";

/** What lowering one declaration needs: the program (for names) and the file (for locations). */
export class LowerCtx {
  /** Names of all enum members (enum values are their member names as strings). */
  private readonly enumMembers: Set<string>;

  constructor(
    readonly program: Program,
    readonly file: string,
    enumMembers?: Set<string>,
  ) {
    this.enumMembers = enumMembers ?? collectEnumMembers(program);
  }

  /** The same program seen from another file. */
  in(file: string): LowerCtx {
    return file === this.file ? this : new LowerCtx(this.program, file, this.enumMembers);
  }

  loc(span: Span | undefined): Loc {
    const lines = this.program.modules.get(this.file)?.lines;
    const p = lines && span ? lines.position(span.start) : { line: 1, column: 1 };
    return { file: this.file, line: p.line, column: p.column };
  }

  /** The declaration a name refers to: the file's scope first, then the program's globals. */
  sym(name: string): Sym | undefined {
    return this.program.scopes.get(this.file)?.get(name) ?? this.program.globals.get(name);
  }

  decl<K extends Decl["kind"]>(name: string, kind: K): Extract<Decl, { kind: K }> | undefined {
    const d = this.sym(name)?.decl;
    return d && d.kind === kind ? (d as Extract<Decl, { kind: K }>) : undefined;
  }

  isEnumMember(name: string): boolean {
    return this.enumMembers.has(name);
  }
}

function collectEnumMembers(program: Program): Set<string> {
  const out = new Set<string>();
  for (const sym of program.globals.values()) {
    if (sym.decl.kind === "EnumDecl") for (const m of sym.decl.members) if (m.name) out.add(m.name);
  }
  return out;
}
