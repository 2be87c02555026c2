// `impl: js("./tools/crm.mjs#lookupOrders")`: the module must exist and export the name (AWR5010,
// AWR5011). The compiler does no IO: the host answers (`SourceHost.jsModule`, optional — a host
// that cannot tell is not asked twice and nothing is reported). This pass runs outside the
// per-declaration check (check.ts) on purpose: its answer depends on files that are not part of the
// program (the .mjs on disk), which the reuse of check results could not see change. It is cheap:
// one host question per js tool, and hosts cache what they lex.
import * as A from "../syntax/ast.js";
import { diag, type Diagnostic, type FixData } from "../diagnostics/diagnostic.js";
import { closest } from "../diagnostics/suggest.js";
import type { Program, SourceHost } from "./program.js";

/** The shape `check.ts` accepts for a js impl (AWR5003 reports the others). */
const JS_SPEC = /^([^#]+)#([A-Za-z_$][\w$]*)$/;

/** AWR5010 (no such module) and AWR5011 (no such export) for every js tool of the program. */
export function checkJsModules(program: Program, host: SourceHost): Diagnostic[] {
  if (!host.jsModule) return [];
  const out: Diagnostic[] = [];
  for (const m of program.modules.values()) {
    for (const d of m.ast.decls) {
      if (d.kind !== "ToolDecl") continue;
      const impl = A.prop(d.props, "impl")?.value;
      if (impl?.kind !== "Call" || impl.callee.kind !== "Name" || impl.callee.name !== "js" || impl.args.length !== 1) continue;
      const arg = impl.args[0]!.value;
      if (arg.kind !== "String") continue;
      const spec = JS_SPEC.exec(arg.value);
      if (!spec) continue;
      const [, path, name] = spec as unknown as [string, string, string];
      const info = host.jsModule(path, m.file);
      if (!info) continue;
      // The string as written, when it has no escapes: the path or the name alone can be pointed at.
      const plain = m.text.slice(arg.span.start, arg.span.end) === JSON.stringify(arg.value);
      const pathSpan = plain ? { start: arg.span.start + 1, end: arg.span.start + 1 + path.length } : arg.span;
      const nameSpan = plain ? { start: arg.span.end - 1 - name.length, end: arg.span.end - 1 } : arg.span;
      if (!info.found) {
        out.push(diag("AWR5010", m.file, pathSpan, `js module "${path}" of tool "${d.name.name}" does not exist (looked for ${info.file})`));
        continue;
      }
      if (!info.exports || info.open || info.exports.includes(name)) continue;
      const best = closest(name, info.exports);
      const listed = info.exports.length === 0 ? "it exports nothing" : `it exports ${info.exports.slice(0, 8).join(", ")}${info.exports.length > 8 ? ", …" : ""}`;
      const fixes: FixData[] = best && plain ? [{ kind: "replace", span: nameSpan, text: best, title: `Change to "${best}"` }] : [];
      out.push(
        diag("AWR5011", m.file, nameSpan, `js module "${path}" has no export "${name}"${best ? `; did you mean "${best}"?` : ""} (${listed})`, { fixes }),
      );
    }
  }
  return out;
}
