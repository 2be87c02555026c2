// `prompt` declarations: the model, the context and the message templates.
import * as A from "../../syntax/ast.js";
import * as P from "../../language/props.js";
import type { Env } from "../expr.js";
import { promptBindings } from "../../language/scopes.js";
import type { Checker } from "./checker.js";
import { checkProps, numberProp, oneName, checkMessages } from "./props.js";
import { paramsEnv } from "./types.js";

export function promptDecl(cx: Checker, file: string, d: A.PromptDecl) {
  const vars = paramsEnv(cx, file, d.params);
  if (d.returns) cx.ctx.typeOf(file, d.returns);
  const ps = checkProps(cx, file, d, P.PROMPT_PROPS, "prompt");
  const model = ps.get("model");
  if (model) oneName(cx, file, model, ["ModelDecl"], "model");
  const ctxProp = ps.get("context");
  if (ctxProp) oneName(cx, file, ctxProp, ["ContextDecl"], "context");
  const env: Env = {
    file,
    vars: new Map([...vars, ...promptBindings(ctxProp !== undefined)]),
    hint: "template holes can use the prompt's parameters and output_format",
  };
  checkMessages(cx, file, ps, ["system", "user", "assistant"], env);
  if (!ps.has("system") && !ps.has("user") && d.name.name !== "") {
    cx.ctx.report("AWR2008", file, d.name.span, `prompt "${d.name.name}" has no message: add a user #"..."# (or system) template`);
  }
  const t = ps.get("temperature");
  if (t) numberProp(cx, file, t, { min: 0, max: 2 });
  const mt = ps.get("max_tokens");
  if (mt) numberProp(cx, file, mt, { int: true, min: 1 });
}
