// Paths written in the sources must stay inside the project: imports (AWR2013, in load.ts), js tool
// modules and context source files (AWR5013, here). The project root is the host's answer
// (`SourceHost.projectRoot`: the CLI's is the nearest directory above the entry holding package.json
// or .git), else the entry's directory. Symlinks count where they point (`SourceHost.realpath`).
// The compiler does no IO: paths are file ids joined with `/`; the host resolves links.
// The runtime checks again (vm/project-paths.ts) for plans built elsewhere.
import * as A from "../syntax/ast.js";
import { diag, type Diagnostic } from "../diagnostics/diagnostic.js";
import type { Program, SourceHost } from "./program.js";

/** The directories a program's files may come from: the root first, then the allowed ones. */
export class ProjectScope {
  private readonly roots: string[];
  constructor(
    readonly root: string,
    private readonly host: SourceHost,
  ) {
    this.roots = [root, ...(host.allowedPaths?.() ?? [])].map((r) => this.real(r));
  }

  /** The scope of a program whose first entry is `entry` (none for a program without entries). */
  static of(entry: string | undefined, host: SourceHost): ProjectScope | undefined {
    if (entry === undefined) return undefined;
    return new ProjectScope(host.projectRoot?.(entry) ?? dirOf(entry), host);
  }

  /** True for a file (a file id, or a path the host can resolve) inside the root or an allowed directory. */
  contains(file: string): boolean {
    const real = this.real(file);
    return this.roots.some((r) => within(r, real));
  }

  /** The end of a message: where the root is and how to allow a directory. */
  advice(): string {
    return `outside the project root ${this.root === "" ? "(the entry's directory)" : this.root}; move it into the project, or allow its directory with AWR_ALLOW_PATHS`;
  }

  private real(p: string): string {
    return normalize(this.host.realpath?.(p) ?? p);
  }
}

/** `/`-separated, without `.` and with `..` folded where it can be. */
export function normalize(p: string): string {
  const s = p.replace(/\\/g, "/");
  const abs = s.startsWith("/") ? "/" : /^[A-Za-z]:\//.test(s) ? s.slice(0, 3) : "";
  const out: string[] = [];
  for (const part of s.slice(abs.length).split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && out.length > 0 && out[out.length - 1] !== "..") out.pop();
    else if (part === ".." && abs !== "") continue;
    else out.push(part);
  }
  return abs + out.join("/");
}

export const isAbsolutePath = (p: string) => p.startsWith("/") || p.startsWith("\\") || /^[A-Za-z]:[\\/]/.test(p);

export function dirOf(file: string): string {
  const s = file.replace(/\\/g, "/");
  const i = s.lastIndexOf("/");
  return i < 0 ? "" : i === 0 ? "/" : s.slice(0, i);
}

export function joinPath(dir: string, rel: string): string {
  return normalize(dir === "" ? rel : `${dir}/${rel}`);
}

/** True when `file` is `root` or below it (both normalized; "" is the relative top). */
export function within(root: string, file: string): boolean {
  if (root === "") return !file.startsWith("../") && file !== ".." && !file.startsWith("/") && !/^[A-Za-z]:\//.test(file);
  const r = root.endsWith("/") ? root : `${root}/`;
  return file === root || file.startsWith(r);
}

/** The fixed part of a source's glob: its directories before the first segment with a glob character. */
function fixedPart(pattern: string): string {
  const parts = pattern.replace(/\\/g, "/").split("/");
  const first = parts.findIndex((p) => /[*?{[]/.test(p));
  return (first < 0 ? parts : parts.slice(0, first)).join("/");
}

const JS_SPEC = /^([^#]+)#/;

/** AWR5013 for every js tool module and context source path of the program that leaves the project. */
export function checkProjectPaths(program: Program, host: SourceHost): Diagnostic[] {
  const scope = ProjectScope.of(program.entries[0], host);
  if (!scope) return [];
  const out: Diagnostic[] = [];
  for (const m of program.modules.values()) {
    if (m.library) continue;
    const dir = dirOf(m.file);
    const refuse = (span: A.Span, what: string, path: string) => {
      const target = isAbsolutePath(path) ? normalize(path) : joinPath(dir, path);
      if (!scope.contains(target)) out.push(diag("AWR5013", m.file, span, `${what} resolves to ${target}, ${scope.advice()}`));
    };
    for (const d of m.ast.decls) {
      if (d.kind === "ToolDecl") {
        const impl = A.prop(d.props, "impl")?.value;
        if (impl?.kind !== "Call" || impl.callee.kind !== "Name" || impl.callee.name !== "js" || impl.args.length !== 1) continue;
        const arg = impl.args[0]!.value;
        const spec = arg.kind === "String" ? JS_SPEC.exec(arg.value) : null;
        if (spec) refuse(arg.span, `js module "${spec[1]}" of tool "${d.name.name}"`, spec[1]!);
      } else if (d.kind === "ContextDecl") {
        for (const s of d.sources) {
          const v = s.value;
          if (v.kind !== "Call" || v.args.length !== 1 || v.args[0]!.value.kind !== "String") continue;
          const arg = v.args[0]!.value as A.Expr & { kind: "String"; value: string };
          const fixed = fixedPart(arg.value) || ".";
          refuse(arg.span, `"${arg.value}" of source "${s.name.name}"${fixed === arg.value ? "" : ` (its fixed part "${fixed}")`}`, fixed);
        }
      }
    }
  }
  return out;
}
