// `agent` declarations: model, role, tools, handoffs, context, memory and limits.
import * as A from "../../syntax/ast.js";
import * as P from "../../language/props.js";
import { AGENT_BINDINGS } from "../../language/scopes.js";
import type { Checker } from "./checker.js";
import { checkProps, bad, durationValue, nameList, oneName, blockProp, numberExpr, checkMessages } from "./props.js";
import { paramsEnv } from "./types.js";

export function agentDecl(cx: Checker, file: string, d: A.AgentDecl) {
  const vars = paramsEnv(cx, file, d.params);
  if (d.returns) cx.ctx.typeOf(file, d.returns);
  const ps = checkProps(cx, file, d, P.AGENT_PROPS, "agent");
  for (const [k, p] of ps) {
    switch (k) {
      case "model":
        oneName(cx, file, p, ["ModelDecl"], "model");
        break;
      case "role":
      case "goal":
        if (p.value.kind !== "String" && p.value.kind !== "Template") bad(cx, file, p.value, `"${k}" must be a string`);
        else if (p.value.kind === "Template") cx.ex.template(p.value, { file, vars });
        break;
      case "rules":
        if (p.value.kind !== "List" || p.value.items.some((i) => i.kind !== "String")) bad(cx, file, p.value, '"rules" must be a list of strings');
        break;
      case "instructions":
        checkMessages(cx, file, ps, ["instructions"], { file, vars: new Map([...vars, ...AGENT_BINDINGS]), hint: "template holes can use the agent's parameters" });
        break;
      case "tools":
        nameList(cx, file, p, ["ToolDecl"], "tool");
        break;
      case "handoffs":
        for (const a of nameList(cx, file, p, ["AgentDecl"], "agent")) {
          if (a === d) bad(cx, file, p.value, `agent "${d.name.name}" cannot hand off to itself`);
        }
        break;
      case "context":
      case "memory":
        oneName(cx, file, p, ["ContextDecl"], "context");
        break;
      case "limits":
        blockProp(cx, file, p, {
          turns: numberExpr(cx, file, "limits", { int: true, min: 1 }),
          tokens: numberExpr(cx, file, "limits", { int: true, min: 1 }),
          cost: numberExpr(cx, file, "limits", { min: 0 }),
          time: (e) => durationValue(cx, file, e, 'limits "time"'),
        });
        break;
    }
  }
  if (!ps.has("limits") && d.name.name !== "") {
    cx.ctx.report("AWR6003", file, d.name.span, `agent "${d.name.name}" has no limits: its tool loop and cost are unbounded (add limits { turns: 6, tokens: 8000, cost: 0.05 })`);
  }
}
