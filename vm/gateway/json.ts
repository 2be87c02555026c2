// Tolerant parsing of a model's JSON answer: strict JSON first, then without markdown code fences,
// then the first complete JSON value found in surrounding prose. What had to be fixed is reported.
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
    const fenced = tryParse(body);
    if (fenced.ok) {
      const outside = (trimmed.slice(0, fence.index) + trimmed.slice(fence.index + fence[0].length)).trim();
      if (outside) fixes.push("ignored prose around the JSON");
      return { ok: true, value: fenced.value, fixes };
    }
  }
  const found = firstJsonValue(body);
  if (found !== undefined) {
    const parsed = tryParse(found);
    if (parsed.ok) return { ok: true, value: parsed.value, fixes: [...fixes, "extracted the JSON value from surrounding prose"] };
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
