// `model` declarations: connection, sampling, retry, fallback chains and prices.
import * as A from "../../syntax/ast.js";
import * as P from "../../language/props.js";
import type { Checker } from "./checker.js";
import { checkProps, bad, literalString, numberProp, durationValue, envOrString, nameList, blockProp, numberExpr, retryValue } from "./props.js";

export function modelDecl(cx: Checker, file: string, d: A.ModelDecl) {
  const ps = checkProps(cx, file, d, P.MODEL_PROPS, "model");
  for (const [k, p] of ps) {
    switch (k) {
      case "provider":
      case "name":
        literalString(cx, file, p);
        break;
      case "base_url":
        envOrString(cx, file, p, true);
        break;
      case "api_key":
        envOrString(cx, file, p, false);
        break;
      case "temperature":
        numberProp(cx, file, p, { min: 0, max: 2 });
        break;
      case "top_p":
        numberProp(cx, file, p, { min: 0, max: 1 });
        break;
      case "seed":
        numberProp(cx, file, p, { int: true });
        break;
      case "max_tokens":
        numberProp(cx, file, p, { int: true, min: 1 });
        break;
      case "timeout":
        durationValue(cx, file, p.value, '"timeout"');
        break;
      case "retry":
        retryValue(cx, file, p.value);
        break;
      case "fallback": {
        const models = nameList(cx, file, p, ["ModelDecl"], "model");
        for (const m of models) {
          if (m === d) bad(cx, file, p.value, `model "${d.name.name}" cannot fall back to itself`);
        }
        fallbackCycle(cx, file, d, p);
        break;
      }
      case "price":
        blockProp(cx, file, p, { input: numberExpr(cx, file, "price", { min: 0 }), output: numberExpr(cx, file, "price", { min: 0 }) });
        break;
    }
  }
  if (!ps.has("timeout") && d.name.name !== "") {
    cx.ctx.report("AWR6002", file, d.name.span, `model "${d.name.name}" has no timeout: a hung endpoint would stall the run (add timeout: 30s)`);
  }
}

export function fallbackCycle(cx: Checker, file: string, d: A.ModelDecl, p: A.Property) {
  const seen = new Set<string>([d.name.name]);
  const walk = (m: A.ModelDecl): boolean => {
    const fb = A.prop(m.props, "fallback")?.value;
    if (fb?.kind !== "List") return false;
    for (const i of fb.items) {
      if (i.kind !== "Name") continue;
      if (i.name === d.name.name && m !== d) return true;
      if (seen.has(i.name)) continue;
      seen.add(i.name);
      const s = cx.ctx.program.globals.get(i.name);
      if (s?.decl.kind === "ModelDecl" && walk(s.decl)) return true;
    }
    return false;
  };
  if (walk(d)) bad(cx, file, p.value, `the fallback chain of "${d.name.name}" leads back to it`);
}
