// `policy` declarations: hooks, their selectors and rules; conditions and transform values are typed
// against the hook's names in scope (compiler/language/scopes.ts) and the policy functions.
import * as A from "../../syntax/ast.js";
import * as Ty from "../types.js";
import * as P from "../../language/props.js";
import { widen, type Env } from "../expr.js";
import { article, kindWord } from "../scope.js";
import type { Checker } from "./checker.js";
import { calleeReturn, checkArgs, type Callable, CALLABLE } from "./calls.js";
import { declFile } from "./props.js";
import { PolicyCalls, policyIntrinsics } from "./policy-functions.js";
import { hookBindings } from "../../language/scopes.js";
import { BUILTIN_FUNCTIONS } from "../../plan/vocabulary.js";

/** What a hook's selector `before tool x` names, by the hook's target. */
const HOOK_TARGET_KINDS: Record<A.HookTarget, A.DeclKind> = { model: "ModelDecl", tool: "ToolDecl", agent: "AgentDecl", output: "GraphDecl" };

export function policyDecl(cx: Checker, file: string, d: A.PolicyDecl) {
  for (const h of d.hooks) {
    const targets: A.HookTarget[] = ["model", "tool", "agent", "output"];
    if (!targets.includes(h.target)) {
      if (h.target as string) cx.ctx.unknown(file, { name: h.target, span: h.targetSpan }, targets, "hook target", "AWR5002");
      continue;
    }
    let target: A.Decl | undefined;
    if (h.selector?.kind === "tagged") {
      const tag = h.selector.tag.parts.join(".");
      if (h.target !== "tool") cx.ctx.report("AWR5002", file, h.selector.tag.span, "only tools have tags: use before tool tagged ...");
      else if (!tagExists(cx, tag) && !cx.ctx.isLibrary(file)) {
        // A library policy may select a tag only user tools carry; user code must name a real one.
        const best = Ty.closest(tag, cx.tags());
        cx.ctx.report("AWR5001", file, h.selector.tag.span, `no tool is tagged "${tag}"${best ? `; did you mean "${best}"?` : ""}`, best ? [{ kind: "replace", span: h.selector.tag.span, text: best, title: `Change to "${best}"` }] : undefined);
      }
    } else if (h.selector?.kind === "name") {
      target = cx.ctx.expectDecl(file, h.selector.name, [HOOK_TARGET_KINDS[h.target]], h.target === "output" ? "graph" : h.target);
    }
    const { input, output, bindings } = hookBindings(cx.ctx, h, target, target ? declFile(cx, target) : file);
    const vars = new Map<string, Ty.Ty>(bindings);
    // Conditions and transform values may call a prompt as a classifier (`moderation(text: input.body)`).
    const slot = { in: "when" as "when" | "value" | "because" };
    const intrinsics = new PolicyCalls(policyIntrinsics(cx.ctx, cx.ex), (name) => classifier(cx, file, name, slot));
    const env: Env = { file, vars, intrinsics, hint: `a ${h.phase} ${h.target} rule sees input, principal${h.phase === "after" ? ", output" : ""} and tool` };
    for (const r of h.rules) {
      if (r.action === "approve" && h.phase === "after") cx.ctx.report("AWR5002", file, r.span, "approve only makes sense before the call: use it in a before hook");
      if (r.action === "redact") {
        for (const k of r.kinds) {
          if (!(P.PII_KINDS as readonly string[]).includes(k.name)) cx.ctx.unknown(file, k, P.PII_KINDS, "kind of data to redact", "AWR5002");
        }
      }
      if (r.action === "transform" && r.path && r.value) {
        const target = transformTarget(cx, file, h, r.path, input, output);
        slot.in = "value";
        const t = cx.ex.check(r.value, env, target);
        if (!Ty.assignable(t, target, cx.ctx)) {
          const text = cx.ex.text(r.value, env);
          const shown = Ty.show(t) === text ? Ty.show(widen(t)) : Ty.show(t);
          cx.ctx.report("AWR5008", file, r.value.span, `the new value of ${r.path.parts.join(".")} must be ${Ty.show(target)}, but ${text} is ${shown}${cx.ex.whyNot(t, target)}`);
        }
      }
      slot.in = "when";
      if (r.when) cx.ex.requireBool(r.when, env, "a rule's condition");
      slot.in = "because";
      if (r.because) {
        const t = cx.ex.check(r.because, env);
        cx.ex.expect(t, Ty.STRING, r.because, env, "the reason after 'because'");
      }
    }
  }
}

/**
 * The type of the field a `transform` writes: `input...` in before hooks (the arguments), `output...`
 * in after hooks (the result); model hooks rewrite text only (`input.text`: each message sent,
 * `output.text`: the answer), and `before output` not at all (`after output` sees the result).
 */
export function transformTarget(cx: Checker, file: string, h: A.PolicyHook, path: A.DottedName, input: Ty.Ty, output: Ty.Ty): Ty.Ty {
  const hook = `${h.phase} ${h.target}`;
  const root = h.phase === "before" ? "input" : "output";
  const text = path.parts.join(".");
  if (path.parts.some((p) => p === "")) return Ty.ERROR; // a syntax error said it already
  if (h.target === "output" && h.phase === "before") {
    cx.ctx.report("AWR5007", file, path.span, "before output cannot transform the graph's result: write the rule in after output, which runs right after it and sees the result as output");
    return Ty.ERROR;
  }
  if (h.target === "model") {
    if (text === `${root}.text`) return Ty.STRING;
    cx.ctx.report("AWR5007", file, path.span, `${hook} can only transform ${root}.text (${h.phase === "before" ? "the text of each message sent" : "the text of the answer"}), not ${text}`);
    return Ty.ERROR;
  }
  if (path.parts[0] !== root) {
    cx.ctx.report("AWR5007", file, path.span, `${hook} transforms ${root} (${h.phase === "before" ? "the arguments the call receives" : "the result it passes on"}), not ${path.parts[0]}`);
    return Ty.ERROR;
  }
  let t = h.phase === "before" ? input : output;
  for (const [i, part] of path.parts.slice(1).entries()) {
    const r = cx.ctx.resolve(Ty.nonNull(t, cx.ctx));
    if (r.k === "any" || r.k === "error") return r;
    if (r.k === "map") t = r.of;
    else if (r.k === "record") {
      const f = r.fields.find((x) => x.name === part);
      if (!f) {
        cx.ctx.report("AWR2005", file, path.span, `${path.parts.slice(0, i + 1).join(".")} (${Ty.show(r)}) has no field "${part}"`);
        return Ty.ERROR;
      }
      t = f.ty;
    } else {
      cx.ctx.report("AWR5007", file, path.span, `cannot transform a field of ${path.parts.slice(0, i + 1).join(".")}: it is ${Ty.show(r)}, not a record`);
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
export function classifier(cx: Checker, file: string, name: string, slot: { in: "when" | "value" | "because" }): ((c: A.CallExpr, env: Env) => Ty.Ty) | undefined {
  if ((BUILTIN_FUNCTIONS as readonly string[]).includes(name)) return undefined;
  const sym = cx.ctx.program.scopes.get(file)?.get(name);
  if (!sym || !(CALLABLE as string[]).includes(sym.decl.kind)) return undefined;
  return (c, env) => {
    cx.ctx.lookup(env.file, name, c.callee.span);
    const d = sym.decl as Callable;
    if (d.kind !== "PromptDecl") {
      cx.ctx.report("AWR5009", env.file, c.callee.span, `only a prompt can be called in a policy rule (as a classifier): "${name}" is ${article(kindWord(d.kind))}`);
      c.args.forEach((a) => cx.ex.check(a.value, env));
      return Ty.ERROR;
    }
    if (slot.in === "because") cx.ctx.report("AWR5009", env.file, c.span, `a classifier is called in a rule's condition or a transform's value, not in its reason: "${name}" cannot be called after because`);
    checkArgs(cx, d, declFile(cx, d), c, env);
    return calleeReturn(cx, d);
  };
}

export function tagExists(cx: Checker, tag: string): boolean {
  for (const t of cx.tags()) if (t === tag || t.startsWith(tag + ".")) return true;
  return false;
}
