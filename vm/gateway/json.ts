// Tolerant parsing of a model's JSON answer: strict JSON first, then without markdown code fences,
// then the first complete JSON value found in surrounding prose, then a lenient reading of minor
// faults (trailing commas, single-quoted strings, unquoted keys, comments, Python's True/False/None,
// raw newlines inside strings). What had to be fixed is reported, one phrase per fix.
import type { Json } from "../types.js";

export type ParsedAnswer = { ok: true; value: Json; fixes: string[] } | { ok: false; error: string };

const FENCE = /```[a-zA-Z0-9_-]*[^\S\n]*\n?([\s\S]*?)\n?[^\S\n]*```/;

export function parseJsonAnswer(text: string): ParsedAnswer {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: false, error: "the answer is empty" };
  const direct = tryParse(trimmed);
  if (direct.ok) return { ok: true, value: direct.value, fixes: [] };

  const fixes: string[] = [];
  let body = trimmed;
  const fence = FENCE.exec(trimmed);
  if (fence) {
    body = fence[1]!.trim();
    fixes.push("stripped markdown code fences");
    const outside = (trimmed.slice(0, fence.index) + trimmed.slice(fence.index + fence[0].length)).trim();
    const fenced = tryParse(body);
    if (fenced.ok) {
      if (outside) fixes.push("ignored prose around the JSON");
      return { ok: true, value: fenced.value, fixes };
    }
    if (outside) fixes.push("ignored prose around the JSON");
  }
  const found = firstJsonValue(body);
  if (found !== undefined) {
    const parsed = tryParse(found);
    if (parsed.ok) return { ok: true, value: parsed.value, fixes: [...fixes, "extracted the JSON value from surrounding prose"] };
  }
  // Minor faults: read leniently from the first `{` or `[` that yields a value (at most 50 tries).
  for (let start = 0, tries = 0; start < body.length && tries < 50; start++) {
    const c = body[start];
    if (c !== "{" && c !== "[") continue;
    tries++;
    const r = lenientValue(body, start);
    if (!r) continue;
    const out = [...fixes];
    if (body.slice(0, start).trim() !== "" || body.slice(r.end).trim() !== "") out.push("extracted the JSON value from surrounding prose");
    return { ok: true, value: r.value, fixes: [...out, ...r.fixes] };
  }
  return { ok: false, error: `the answer is not valid JSON (${direct.error})` };
}

function tryParse(text: string): { ok: true; value: Json } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as Json };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

/** The text of the first balanced `{...}` or `[...]` (string-aware) that parses, or undefined. */
export function firstJsonValue(text: string): string | undefined {
  for (let start = 0; start < text.length; start++) {
    const c = text[start];
    if (c !== "{" && c !== "[") continue;
    const end = matchingEnd(text, start);
    if (end < 0) continue;
    const candidate = text.slice(start, end + 1);
    if (tryParse(candidate).ok) return candidate;
  }
  return undefined;
}

function matchingEnd(text: string, start: number): number {
  const stack: string[] = [];
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{") stack.push("}");
    else if (c === "[") stack.push("]");
    else if (c === "}" || c === "]") {
      if (stack.pop() !== c) return -1;
      if (stack.length === 0) return i;
    }
  }
  return -1;
}

// ---------------------------------------------------------------- lenient reading

/** A value read leniently from `text` at `start`: the value, where it ended, what was fixed (or null). */
export function lenientValue(text: string, start = 0): { value: Json; end: number; fixes: string[] } | null {
  const p = new Lenient(text, start);
  try {
    const value = p.value(0);
    return { value, end: p.i, fixes: [...p.fixes] };
  } catch {
    return null;
  }
}

class Lenient {
  readonly fixes = new Set<string>();
  constructor(
    private readonly s: string,
    public i: number,
  ) {}

  private fail(): never {
    throw new Error(`unexpected input at ${this.i}`);
  }

  private ws(): void {
    for (;;) {
      const c = this.s[this.i];
      if (c === " " || c === "\t" || c === "\n" || c === "\r") this.i++;
      else if (c === "/" && this.s[this.i + 1] === "/") {
        this.fixes.add("removed comments");
        while (this.i < this.s.length && this.s[this.i] !== "\n") this.i++;
      } else if (c === "/" && this.s[this.i + 1] === "*") {
        this.fixes.add("removed comments");
        const end = this.s.indexOf("*/", this.i + 2);
        if (end < 0) this.fail();
        this.i = end + 2;
      } else return;
    }
  }

  value(depth: number): Json {
    if (depth > 200) this.fail();
    this.ws();
    const c = this.s[this.i];
    if (c === "{") return this.object(depth);
    if (c === "[") return this.array(depth);
    if (c === '"' || c === "'") return this.string();
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.number();
    const word = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(this.s.slice(this.i, this.i + 16))?.[0];
    const literals: Record<string, Json> = { true: true, false: false, null: null };
    const python: Record<string, Json> = { True: true, False: false, None: null };
    if (word !== undefined && word in literals) {
      this.i += word.length;
      return literals[word]!;
    }
    if (word !== undefined && word in python) {
      this.i += word.length;
      this.fixes.add("read Python-style True/False/None");
      return python[word]!;
    }
    return this.fail();
  }

  private object(depth: number): Json {
    this.i++; // {
    const out: Record<string, Json> = {};
    let trailing = false;
    for (;;) {
      this.ws();
      if (this.s[this.i] === "}") {
        if (trailing) this.fixes.add("removed trailing commas");
        this.i++;
        return out;
      }
      let key: string;
      const c = this.s[this.i];
      if (c === '"' || c === "'") key = this.string();
      else {
        const m = /^[A-Za-z_$][A-Za-z0-9_$-]*/.exec(this.s.slice(this.i, this.i + 256));
        if (!m) this.fail();
        key = m[0];
        this.i += key.length;
        this.fixes.add("quoted unquoted keys");
      }
      this.ws();
      if (this.s[this.i] !== ":") this.fail();
      this.i++;
      Object.defineProperty(out, key, { value: this.value(depth + 1), enumerable: true, writable: true, configurable: true });
      this.ws();
      if (this.s[this.i] === ",") {
        this.i++;
        trailing = true;
        continue;
      }
      if (this.s[this.i] === "}") {
        this.i++;
        return out;
      }
      this.fail();
    }
  }

  private array(depth: number): Json {
    this.i++; // [
    const out: Json[] = [];
    let trailing = false;
    for (;;) {
      this.ws();
      if (this.s[this.i] === "]") {
        if (trailing) this.fixes.add("removed trailing commas");
        this.i++;
        return out;
      }
      out.push(this.value(depth + 1));
      this.ws();
      if (this.s[this.i] === ",") {
        this.i++;
        trailing = true;
        continue;
      }
      if (this.s[this.i] === "]") {
        this.i++;
        return out;
      }
      this.fail();
    }
  }

  private string(): string {
    const q = this.s[this.i]!;
    if (q === "'") this.fixes.add("converted single-quoted strings");
    this.i++;
    let out = "";
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined) this.fail();
      this.i++;
      if (c === q) return out;
      if (c === "\n" || c === "\r") {
        this.fixes.add("escaped raw newlines in strings");
        out += c;
        continue;
      }
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = this.s[this.i++];
      const simple: Record<string, string> = { '"': '"', "'": "'", "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
      if (e !== undefined && e in simple) out += simple[e];
      else if (e === "u") {
        const hex = this.s.slice(this.i, this.i + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail();
        out += String.fromCharCode(parseInt(hex, 16));
        this.i += 4;
      } else this.fail();
    }
  }

  private number(): number {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.s.slice(this.i, this.i + 64));
    if (!m) this.fail();
    this.i += m[0].length;
    return Number(m[0]);
  }
}
