// What a source's argument names, and the documents read from it.
//
// The argument is a path or a glob (`*` within a name, `**` across directories, `?`, `{a,b}`),
// relative to the directory of the `.awr` file that declares the context (under the program root).
// Files are read in path order:
// - `.jsonl`: one record per non-empty line; `.json`: an array of records (or one record);
// - anything else: one text document (markdown, plain text).
// A document's id is its path relative to that directory; a record's is `path:LINE` (`.jsonl`,
// 1-based) or `path[INDEX]` (`.json`). Its hash (sha256 of what the document is made of) is what
// the index and the cache compare to notice an edit.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { isAbsolute, join, relative, sep } from "node:path";
import type { Json } from "../types.js";
import type { PathScope } from "../project-paths.js";

export interface Doc {
  id: string;
  /** The file it came from, relative to the source's base directory. */
  file: string;
  /** Present for JSON/JSONL records. */
  record?: Record<string, Json>;
  /** The text of a text document (records are rendered by each source kind). */
  text: string;
  hash: string;
}

export class SourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SourceError";
  }
}

/** The files matching `pattern` under `baseDir`, sorted, relative to `baseDir` with `/` separators. */
export function matchFiles(baseDir: string, pattern: string): string[] {
  if (isAbsolute(pattern)) throw new SourceError(`"${pattern}" is absolute: source paths are relative to the .awr file`);
  const clean = pattern.replace(/\\/g, "/").replace(/^(\.\/)+/, "");
  const parts = clean.split("/");
  const firstGlob = parts.findIndex((p) => /[*?{[]/.test(p));
  if (firstGlob < 0) {
    const abs = join(baseDir, clean);
    try {
      return statSync(abs).isFile() ? [clean] : [];
    } catch {
      return [];
    }
  }
  const fixed = parts.slice(0, firstGlob).join("/");
  const re = globRegExp(clean);
  const found: string[] = [];
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(join(baseDir, dir), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith(".") || e.name === "node_modules") continue;
      const rel = dir === "" ? e.name : `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (e.isFile() && re.test(rel)) found.push(rel);
    }
  };
  walk(fixed);
  return found.sort();
}

export function globRegExp(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        // `**/` matches zero or more directories; a trailing `**` anything.
        if (pattern[i + 2] === "/") {
          re += "(?:[^/]*/)*";
          i += 2;
        } else {
          re += ".*";
          i += 1;
        }
      } else re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else if (c === "{") {
      const end = pattern.indexOf("}", i);
      if (end < 0) re += "\\{";
      else {
        re += `(?:${pattern
          .slice(i + 1, end)
          .split(",")
          .map((a) =>
            a
              .replace(/[.+^$()|[\]\\]/g, "\\$&")
              .replace(/\*/g, "[^/]*")
              .replace(/\?/g, "[^/]"),
          )
          .join("|")})`;
        i = end;
      }
    } else re += c.replace(/[.+^$()|[\]\\{}]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * Reads every document of a source. A file that cannot be read or parsed is a SourceError, as is one
 * outside `scope` (after realpath: a symlink out of the project counts as outside).
 */
export function loadDocuments(baseDir: string, pattern: string, scope?: PathScope): Doc[] {
  const docs: Doc[] = [];
  for (const file of matchFiles(baseDir, pattern)) {
    if (scope && !scope.contains(join(baseDir, file))) throw new SourceError(scope.refusal(`"${file}"`, join(baseDir, file)));
    let content: string;
    try {
      content = readFileSync(join(baseDir, file), "utf8");
    } catch (e) {
      throw new SourceError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (file.endsWith(".jsonl")) {
      content.split(/\r?\n/).forEach((line, i) => {
        if (line.trim() === "") return;
        docs.push(recordDoc(`${file}:${i + 1}`, file, parseRecord(line, `${file}:${i + 1}`), line));
      });
    } else if (file.endsWith(".json")) {
      let value: unknown;
      try {
        value = JSON.parse(content);
      } catch (e) {
        throw new SourceError(`${file} is not valid JSON: ${(e as Error).message}`);
      }
      const items = Array.isArray(value) ? value : [value];
      items.forEach((item, i) => {
        if (item === null || typeof item !== "object" || Array.isArray(item)) throw new SourceError(`${file}[${i}] is not a JSON object`);
        docs.push(recordDoc(`${file}[${i}]`, file, item as Record<string, Json>, JSON.stringify(item)));
      });
    } else docs.push({ id: file, file, text: content, hash: sha256(content) });
  }
  return docs;
}

function parseRecord(line: string, where: string): Record<string, Json> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    throw new SourceError(`${where} is not valid JSON: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new SourceError(`${where} is not a JSON object`);
  return value as Record<string, Json>;
}

function recordDoc(id: string, file: string, record: Record<string, Json>, raw: string): Doc {
  return { id, file, record, text: renderRecord(record), hash: sha256(raw) };
}

/** `field: value` lines (nested values as JSON): how records are searched, embedded and shown. */
export function renderRecord(record: Record<string, Json>, fields?: readonly string[]): string {
  const keys = fields && fields.length > 0 ? fields.filter((f) => f in record) : Object.keys(record);
  return keys.map((k) => `${k}: ${scalarText(record[k]!)}`).join("\n");
}

export function scalarText(v: Json): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** The directory sources of a context declared in `file` (a plan file id) resolve against. */
export function sourceBase(root: string, file: string): string {
  const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : "";
  return dir === "" || file.startsWith("std/") ? root : join(root, ...dir.split("/"));
}

/** For messages: `p` relative to `from`, with `/`. */
export function shown(from: string, p: string): string {
  return relative(from, p).split(sep).join("/") || ".";
}
