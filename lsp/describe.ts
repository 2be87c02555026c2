// One-line source forms of declarations and fields, as hover and completion show them. Types are
// printed as written (sliced from the source), so aliases and attributes read like the file.
import { kindWord, type ast as A } from "../compiler/index.js";

const slice = (text: string, s: { span: A.Span } | undefined) => (s ? text.slice(s.span.start, s.span.end) : "");

/** `email: string @format(email) = ""` */
export function fieldText(f: A.Field, text: string): string {
  const ty = f.type ? `: ${slice(text, f.type)}` : "";
  const attrs = f.attrs.map((a) => ` ${slice(text, a)}`).join("");
  const def = f.default ? ` = ${oneLine(slice(text, f.default))}` : "";
  return `${f.name.name}${ty}${attrs}${def}`;
}

function params(fs: A.Field[], text: string): string {
  return `(${fs.map((f) => fieldText(f, text)).join(", ")})`;
}

/** `tool lookup_orders(email: string) -> list<Order>`, `type Ticket { id: string, ... }` */
export function signature(d: A.Decl, text: string): string {
  const head = `${kindWord(d.kind)} ${d.name.name}`;
  switch (d.kind) {
    case "TypeDecl":
      if (d.alias) return `${head} = ${slice(text, d.alias)}`;
      return d.fields.length ? `${head} {\n${d.fields.map((f) => `  ${fieldText(f, text)}`).join("\n")}\n}` : `${head} {}`;
    case "EnumDecl":
      return `${head} { ${d.members.map((m) => m.name).join(", ")} }`;
    case "ToolDecl":
    case "PromptDecl":
    case "AgentDecl":
    case "GraphDecl":
      return `${head}${params(d.params, text)}${d.returns ? ` -> ${slice(text, d.returns)}` : ""}`;
    case "ModelDecl": {
      const shown = d.props.filter((p) => p.key.name === "provider" || p.key.name === "name").map((p) => `${p.key.name}: ${oneLine(slice(text, p.value))}`);
      return shown.length ? `${head} { ${shown.join(", ")} }` : head;
    }
    default:
      return head;
  }
}

function oneLine(s: string): string {
  const t = s.replace(/\s+/g, " ");
  return t.length > 60 ? `${t.slice(0, 57)}...` : t;
}
