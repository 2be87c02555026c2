// The AST of an .awr module. Every node carries a span (offsets into its file's text, end exclusive).
// Parsing never throws: nodes the parser had to invent while recovering carry `recovered: true`
// and names it could not read are the empty string, so every consumer must tolerate them.
import type { Span } from "../span.js";

export type { Span } from "../span.js";

interface NodeBase {
  span: Span;
  recovered?: boolean;
}

export interface Ident extends NodeBase {
  kind: "Ident";
  name: string;
}

export interface Comment {
  kind: "line" | "block" | "doc";
  text: string;
  span: Span;
}

export interface Module extends NodeBase {
  kind: "Module";
  file: string;
  imports: ImportDecl[];
  decls: Decl[];
  /** Every comment of the file in source order (the formatter re-attaches them). */
  comments: Comment[];
}

export interface ImportDecl extends NodeBase {
  kind: "Import";
  /** The import path as written, e.g. "std/pii" or "./tools.awr". */
  path: string;
  pathSpan: Span;
}

// ---------------------------------------------------------------- types

export type TypeExpr = NamedType | LiteralType | UnionType | OptionalType;

/** `string`, `Ticket`, `list<T>`, `map<T>`. */
export interface NamedType extends NodeBase {
  kind: "NamedType";
  name: Ident;
  args: TypeExpr[];
}
/** `"billing"`, `3`, `true` in type position (members of literal unions). */
export interface LiteralType extends NodeBase {
  kind: "LiteralType";
  value: string | number | boolean;
}
export interface UnionType extends NodeBase {
  kind: "UnionType";
  members: TypeExpr[];
}
/** `T?` */
export interface OptionalType extends NodeBase {
  kind: "OptionalType";
  inner: TypeExpr;
}

export interface Attribute extends NodeBase {
  kind: "Attribute";
  name: Ident;
  args: Expr[];
}

/** A field of a `type`, of a graph's `state`, or a parameter of a declaration. */
export interface Field extends NodeBase {
  kind: "Field";
  name: Ident;
  type: TypeExpr | undefined;
  attrs: Attribute[];
  default?: Expr;
  doc?: string;
}

// ---------------------------------------------------------------- expressions

export type Expr =
  | StringLit
  | NumberLit
  | BoolLit
  | NullLit
  | DurationLit
  | TemplateLit
  | NameExpr
  | MemberExpr
  | IndexExpr
  | NonNullExpr
  | CallExpr
  | UnaryExpr
  | BinaryExpr
  | RecordExpr
  | ListExpr
  | ErrorExpr;

export interface StringLit extends NodeBase {
  kind: "String";
  value: string;
}
export interface NumberLit extends NodeBase {
  kind: "Number";
  value: number;
  /** Written without a fraction or exponent. */
  integer: boolean;
}
export interface BoolLit extends NodeBase {
  kind: "Bool";
  value: boolean;
}
export interface NullLit extends NodeBase {
  kind: "Null";
}
export interface DurationLit extends NodeBase {
  kind: "Duration";
  ms: number;
  text: string;
}
/** `#"text {{ expr }} text"#` */
export interface TemplateLit extends NodeBase {
  kind: "Template";
  parts: TemplatePart[];
  /** The raw text between `#"` and `"#` (the formatter prints it untouched). */
  raw: string;
}
export type TemplatePart = { kind: "Text"; text: string; span: Span } | { kind: "Hole"; expr: Expr; span: Span };

export interface NameExpr extends NodeBase {
  kind: "Name";
  name: string;
}
/** `a.b` or `a?.b` */
export interface MemberExpr extends NodeBase {
  kind: "Member";
  object: Expr;
  name: Ident;
  optional: boolean;
}
export interface IndexExpr extends NodeBase {
  kind: "Index";
  object: Expr;
  index: Expr;
}
/** `a!` */
export interface NonNullExpr extends NodeBase {
  kind: "NonNull";
  expr: Expr;
}
export interface CallExpr extends NodeBase {
  kind: "Call";
  callee: Expr;
  args: Arg[];
}
export interface Arg extends NodeBase {
  kind: "Arg";
  name?: Ident;
  value: Expr;
}
export type UnaryOp = "!" | "-";
export interface UnaryExpr extends NodeBase {
  kind: "Unary";
  op: UnaryOp;
  operand: Expr;
}
export type BinaryOp = "||" | "&&" | "??" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "+" | "-" | "*" | "/" | "%";
export interface BinaryExpr extends NodeBase {
  kind: "Binary";
  op: BinaryOp;
  left: Expr;
  right: Expr;
}
export interface RecordExpr extends NodeBase {
  kind: "Record";
  fields: RecordField[];
}
export interface RecordField extends NodeBase {
  kind: "RecordField";
  key: Ident;
  value: Expr;
}
export interface ListExpr extends NodeBase {
  kind: "List";
  items: Expr[];
}
/** Stands in for an expression the parser could not read. */
export interface ErrorExpr extends NodeBase {
  kind: "ErrorExpr";
}

// ---------------------------------------------------------------- declarations

export type Decl =
  | TypeDecl
  | EnumDecl
  | ModelDecl
  | ToolDecl
  | PromptDecl
  | AgentDecl
  | ContextDecl
  | PolicyDecl
  | GraphDecl
  | TestDecl;

export type DeclKind = Decl["kind"];

interface DeclBase extends NodeBase {
  name: Ident;
  /** Text of the `///` comments directly above the declaration, markers stripped. */
  doc?: string;
}

/**
 * A `key: value`, `key { ... }` or `key #"template"#` entry of a property body
 * (model, tool, prompt, agent, context). `key { a: 1 }` is sugar for `key: { a: 1 }`.
 */
export interface Property extends NodeBase {
  kind: "Property";
  key: Ident;
  value: Expr;
}

/** `type Name { fields }` or `type Name = TypeExpr` */
export interface TypeDecl extends DeclBase {
  kind: "TypeDecl";
  fields: Field[];
  alias?: TypeExpr;
}
export interface EnumDecl extends DeclBase {
  kind: "EnumDecl";
  members: Ident[];
}
export interface ModelDecl extends DeclBase {
  kind: "ModelDecl";
  props: Property[];
}
export interface ToolDecl extends DeclBase {
  kind: "ToolDecl";
  params: Field[];
  returns?: TypeExpr;
  props: Property[];
}
export interface PromptDecl extends DeclBase {
  kind: "PromptDecl";
  params: Field[];
  returns?: TypeExpr;
  props: Property[];
}
export interface AgentDecl extends DeclBase {
  kind: "AgentDecl";
  params: Field[];
  returns?: TypeExpr;
  props: Property[];
}
/** `source NAME = kind(args) { options }` inside a context. */
export interface ContextSource extends NodeBase {
  kind: "ContextSource";
  name: Ident;
  value: Expr;
  options?: RecordExpr;
}
export interface ContextDecl extends DeclBase {
  kind: "ContextDecl";
  sources: ContextSource[];
  props: Property[];
}

export type HookPhase = "before" | "after";
export type HookTarget = "model" | "tool" | "agent" | "output";
/** `pii.read` */
export interface DottedName extends NodeBase {
  kind: "DottedName";
  parts: string[];
}
export interface PolicyHook extends NodeBase {
  kind: "PolicyHook";
  phase: HookPhase;
  target: HookTarget;
  targetSpan: Span;
  /** `before tool issue_refund` names one declaration; `before tool tagged x.y` selects by tag. */
  selector?: { kind: "name"; name: Ident } | { kind: "tagged"; tag: DottedName };
  rules: PolicyRule[];
}
export type RuleAction = "deny" | "allow" | "approve" | "redact" | "transform";
export interface PolicyRule extends NodeBase {
  kind: "PolicyRule";
  action: RuleAction;
  /** For `redact`: the PII kinds (`pii` = all of them). */
  kinds: Ident[];
  /** For `transform`: the field written (`input.a.b`, `output`) and its new value. */
  path?: DottedName;
  value?: Expr;
  when?: Expr;
  because?: Expr;
}
export interface PolicyDecl extends DeclBase {
  kind: "PolicyDecl";
  hooks: PolicyHook[];
}

export interface GraphDecl extends DeclBase {
  kind: "GraphDecl";
  params: Field[];
  returns?: TypeExpr;
  /** In source order (the formatter keeps it). */
  members: GraphMember[];
}
export type GraphMember = StateBlock | NodeDecl | EdgeDecl | ReturnStmt;
export interface StateBlock extends NodeBase {
  kind: "State";
  fields: Field[];
}
export interface NodeDecl extends NodeBase {
  kind: "Node";
  name: Ident;
  doc?: string;
  stmts: NodeStmt[];
}
export type NodeStmt = RunStmt | MapStmt | AwaitStmt | SetStmt | RetryStmt | TimeoutStmt | OnErrorStmt | CompensateStmt;
/** `run callee(args) -> field` */
export interface RunStmt extends NodeBase {
  kind: "Run";
  call: CallExpr;
  target?: Ident;
}
/** `map x in expr concurrency N run callee(args) -> field` */
export interface MapStmt extends NodeBase {
  kind: "Map";
  variable: Ident;
  source: Expr;
  concurrency?: Expr;
  call: CallExpr;
  target?: Ident;
}
/** `await human("reason") -> field` / `await event("name") -> field` */
export interface AwaitStmt extends NodeBase {
  kind: "Await";
  call: CallExpr;
  target?: Ident;
}
export interface SetStmt extends NodeBase {
  kind: "Set";
  target: Ident;
  value: Expr;
}
/** `retry 2` or `retry { max: 3, backoff: exponential(500ms, 8s) }` */
export interface RetryStmt extends NodeBase {
  kind: "Retry";
  value: Expr;
}
export interface TimeoutStmt extends NodeBase {
  kind: "Timeout";
  value: Expr;
}
export interface OnErrorStmt extends NodeBase {
  kind: "OnError";
  target: Ident;
}
export interface CompensateStmt extends NodeBase {
  kind: "Compensate";
  call: CallExpr;
}
/** `edge a -> b`, `edge a -> [b, c] when cond max 3`, `edge a -> b otherwise`. `start`/`end` are names. */
export interface EdgeDecl extends NodeBase {
  kind: "Edge";
  from: Ident[];
  to: Ident[];
  fromList: boolean;
  toList: boolean;
  when?: Expr;
  otherwise: boolean;
  max?: Expr;
}
export interface ReturnStmt extends NodeBase {
  kind: "Return";
  value: Expr;
}

export interface TestDecl extends DeclBase {
  kind: "TestDecl";
  stmts: TestStmt[];
}
export type TestStmt = TestRun | TestMock | TestExpect | TestPrincipal;
/** `run graph(args)` */
export interface TestRun extends NodeBase {
  kind: "TestRun";
  call: CallExpr;
}
/** `mock name => v1 then v2 then fail("timeout")` */
export interface TestMock extends NodeBase {
  kind: "TestMock";
  target: Ident;
  values: Expr[];
}
export interface TestExpect extends NodeBase {
  kind: "TestExpect";
  expr: Expr;
}
/** `principal { id: "u1", roles: ["billing"], attrs: { tier: "gold" } }`: who the test's run is for. */
export interface TestPrincipal extends NodeBase {
  kind: "TestPrincipal";
  value: Expr;
}

export function graphState(g: GraphDecl): Field[] {
  return g.members.flatMap((m) => (m.kind === "State" ? m.fields : []));
}
export function graphNodes(g: GraphDecl): NodeDecl[] {
  return g.members.filter((m): m is NodeDecl => m.kind === "Node");
}
export function graphEdges(g: GraphDecl): EdgeDecl[] {
  return g.members.filter((m): m is EdgeDecl => m.kind === "Edge");
}
export function graphReturn(g: GraphDecl): ReturnStmt | undefined {
  return g.members.find((m): m is ReturnStmt => m.kind === "Return");
}
export function prop(props: Property[], key: string): Property | undefined {
  return props.find((p) => p.key.name === key);
}

export type Reducer = "replace" | "append" | "merge" | "sum" | "max" | "min";
export const REDUCERS: readonly Reducer[] = ["replace", "append", "merge", "sum", "max", "min"];

/** The reducer of a state field: `@reduce(append|merge|sum|max|min)`, `replace` by default. */
export function fieldReducer(f: Field): Reducer {
  const arg = f.attrs.find((a) => a.name.name === "reduce")?.args[0];
  const name = arg?.kind === "Name" ? arg.name : arg?.kind === "String" ? arg.value : undefined;
  return (REDUCERS as readonly string[]).includes(name ?? "") ? (name as Reducer) : "replace";
}

/** The state field a statement writes (`run/map/await ... -> f`, `set f = ...`), if any. */
export function writeTarget(s: NodeStmt): Ident | undefined {
  return s.kind === "Run" || s.kind === "Map" || s.kind === "Await" || s.kind === "Set" ? s.target : undefined;
}

/**
 * The nodes some node routes its failures to (`on error -> n`): "only" when no edge reaches them
 * (they always see an error), "also" when edges do too (they see `error` as optional).
 */
export function onErrorHandlers(g: GraphDecl): Map<string, "only" | "also"> {
  const out = new Map<string, "only" | "also">();
  for (const n of graphNodes(g)) for (const s of n.stmts) if (s.kind === "OnError" && s.target.name !== "") out.set(s.target.name, "only");
  for (const e of graphEdges(g)) for (const t of e.to) if (out.has(t.name)) out.set(t.name, "also");
  return out;
}

/** `{ tool_calls: [...] }`: a mocked agent turn that calls tools instead of answering. */
export function toolCallsTurn(v: Expr): Expr | undefined {
  return v.kind === "Record" && v.fields.length === 1 && v.fields[0]!.key.name === "tool_calls" ? v.fields[0]!.value : undefined;
}
