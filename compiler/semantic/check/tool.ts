// `tool` declarations: the implementation (one check per kind of compiler/plan/vocabulary.ts),
// limits, the js sandbox's grants and the compensation call.
import * as A from "../../syntax/ast.js";
import * as Ty from "../types.js";
import * as P from "../../language/props.js";
import type { Env } from "../expr.js";
import { compensateBindings } from "../../language/scopes.js";
import { TOOL_IMPL_KINDS, type ToolImplKind } from "../../plan/vocabulary.js";
import type { Checker } from "./checker.js";
import { checkArgs } from "./calls.js";
import { checkProps, bad, numberProp, durationValue, boolProp, retryValue, declFile, dotted, rate } from "./props.js";
import { paramsEnv } from "./types.js";

export function toolDecl(cx: Checker, file: string, d: A.ToolDecl) {
  const vars = paramsEnv(cx, file, d.params);
  const ret = d.returns ? cx.ctx.typeOf(file, d.returns) : Ty.ANY;
  const ps = checkProps(cx, file, d, P.TOOL_PROPS, "tool");
  for (const [k, p] of ps) {
    switch (k) {
      case "description":
        if (p.value.kind !== "String" && p.value.kind !== "Template") bad(cx, file, p.value, '"description" must be a string');
        break;
      case "impl":
        implValue(cx, file, p.value);
        break;
      case "tags":
        if (p.value.kind !== "List") bad(cx, file, p.value, '"tags" must be a list such as [pii.read, payments.write]');
        else for (const t of p.value.items) if (!dotted(t)) bad(cx, file, t, "a tag is a dotted name such as pii.read");
        break;
      case "timeout":
        durationValue(cx, file, p.value, '"timeout"');
        break;
      case "rate":
        rate(p.value) ?? bad(cx, file, p.value, '"rate" must be calls per unit, such as 20/s, 100/m or 1000/h');
        break;
      case "concurrency":
        numberProp(cx, file, p, { int: true, min: 1 });
        break;
      case "allow":
        allowValue(cx, file, p.value);
        break;
      case "idempotent":
        boolProp(cx, file, p);
        break;
      case "retry":
        retryValue(cx, file, p.value);
        break;
      case "compensate": {
        const env: Env = { file, vars: new Map([...vars, ...compensateBindings(ret)]), hint: "a compensation sees the tool's parameters and `result`" };
        callTool(cx, file, p.value, env, "compensate");
        break;
      }
    }
  }
  const kind = implKind(ps.get("impl")?.value);
  if (!ps.has("timeout") && kind && IMPLS[kind].wantsTimeout && d.name.name !== "") {
    cx.ctx.report("AWR6006", file, d.name.span, `tool "${d.name.name}" has no timeout: it runs under the VM's default deadline (60 s unless configured) (add timeout: 10s)`);
  }
}

/** `allow: { read: ["./data"], write: [...], env: ["CRM_TOKEN"] }`: the js sandbox's grants, string literals only. */
export function allowValue(cx: Checker, file: string, v: A.Expr) {
  const shape = '"allow" must be a record such as { read: ["./data"], write: ["./out"], env: ["CRM_TOKEN"] }';
  if (v.kind !== "Record") return bad(cx, file, v, shape);
  for (const f of v.fields) {
    const k = f.key.name;
    if (k !== "read" && k !== "write" && k !== "env") {
      const best = Ty.closest(k, ["read", "write", "env"]);
      cx.ctx.report("AWR2011", file, f.key.span, `"allow" has no "${k}"${best ? `; did you mean "${best}"?` : ""} (it takes read, write and env)`);
      continue;
    }
    if (f.value.kind !== "List") {
      bad(cx, file, f.value, `"allow.${k}" must be a list of strings, e.g. ${k === "env" ? '["CRM_TOKEN"]' : '["./data"]'}`);
      continue;
    }
    for (const item of f.value.items) {
      if (item.kind !== "String") bad(cx, file, item, `"allow.${k}" takes string literals`);
      else if (k === "env" && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(item.value)) bad(cx, file, item, `"${item.value}" is not an environment variable name`);
      else if (k !== "env" && item.value.trim() === "") bad(cx, file, item, `an empty path in "allow.${k}"`);
    }
  }
}

/** A compensation: a call of a tool with its arguments checked in `env`. */
export function callTool(cx: Checker, file: string, e: A.Expr, env: Env, what: string) {
  if (e.kind !== "Call" || e.callee.kind !== "Name") {
    cx.ctx.report("AWR5006", file, e.span, `${what} must call a tool, such as cancel_refund(receipt_id: result.id)`);
    return;
  }
  const t = cx.ctx.expectDecl(file, { kind: "Ident", name: e.callee.name, span: e.callee.span }, ["ToolDecl"], "tool");
  if (t) checkArgs(cx, t, declFile(cx, t), e, env);
  else e.args.forEach((a) => cx.ex.check(a.value, env));
}

const str = (e: A.CallExpr, i: number) => {
  const a = e.args[i]?.value;
  return a?.kind === "String" ? a.value : undefined;
};

/**
 * Per implementation kind (compiler/plan/vocabulary.ts): what its arguments must be (the AWR5003
 * message when they are not), and whether a tool of that kind without a timeout is AWR6006 (it runs
 * under the VM's default deadline).
 */
const IMPLS: Record<ToolImplKind, { args: (e: A.CallExpr) => string | undefined; wantsTimeout: boolean }> = {
  js: {
    args: (e) => {
      const s = str(e, 0);
      return e.args.length !== 1 || !s || !/^[^#]+#[A-Za-z_$][\w$]*$/.test(s) ? 'js takes "path#export", such as js("./tools/crm.mjs#lookupOrders")' : undefined;
    },
    wantsTimeout: true,
  },
  http: {
    args: (e) => {
      const a = e.args[0]?.value;
      const ok = (e.args.length === 1 && a?.kind === "String" && /^(GET|POST|PUT|PATCH|DELETE)\s+\S+$/.test(a.value)) || (e.args.length === 1 && a?.kind === "Record");
      return ok ? undefined : 'http takes "METHOD url" (the url may hold {param} holes) or { method, url, headers }';
    },
    wantsTimeout: true,
  },
  mcp: {
    args: (e) => {
      const server = e.args[0]?.value;
      return e.args.length !== 2 || !(server?.kind === "Name" || server?.kind === "String") || !str(e, 1) ? 'mcp takes a server and a tool name: mcp(github, "create_issue")' : undefined;
    },
    wantsTimeout: true,
  },
  builtin: {
    args: (e) => (e.args.length !== 1 || !str(e, 0)?.startsWith("std.") ? 'builtin takes a std name: builtin("std.http.get")' : undefined),
    wantsTimeout: false,
  },
};

/** The implementation kind `impl: kind(...)` names, if it is one. */
function implKind(e: A.Expr | undefined): ToolImplKind | undefined {
  return e?.kind === "Call" && e.callee.kind === "Name" ? TOOL_IMPL_KINDS.find((k) => k === (e.callee as A.NameExpr).name) : undefined;
}

export function implValue(cx: Checker, file: string, e: A.Expr) {
  const kind = implKind(e);
  if (!kind || e.kind !== "Call") {
    cx.ctx.report("AWR5003", file, e.span, 'impl must be js("./file.mjs#export"), http("METHOD url" or { method, url, headers }), mcp(server, "tool") or builtin("std.name")');
    return;
  }
  const problem = IMPLS[kind].args(e);
  if (problem) cx.ctx.report("AWR5003", file, e.span, problem);
}
