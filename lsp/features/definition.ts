// Go to definition: from any use the checker resolved (across imports), type names, `-> field`
// writes, node names in edges, `a.b` fields, named arguments and local values to the declaring name.
import type { DefinitionParams, Location } from "vscode-languageserver/node";
import { toOffset, toRange, uriToPath } from "../convert.js";
import { defOf, targetAt } from "../target.js";
import type { Workspace } from "../workspace.js";

export function definition(ws: Workspace, params: DefinitionParams): Location | null {
  const file = uriToPath(params.textDocument.uri);
  const result = ws.analyse(file);
  const module = result.program.modules.get(file);
  if (!module) return null;
  const t = targetAt(result, file, toOffset(module.lines, params.position));
  const def = t && defOf(t);
  if (!def) return null;
  const lines = result.program.modules.get(def.file)?.lines ?? ws.lines(def.file);
  if (!lines) return null;
  return { uri: ws.uriOf(def.file), range: toRange(lines, def.span) };
}
