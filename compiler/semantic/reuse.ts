// Reuse of work across compiles of a changing program (the LSP's incremental check).
//
// The check of one declaration (and the analysis of one graph) is a function of its AST node and of
// what it reads from the `Program`: symbols looked up in scopes and in the globals, the scopes and
// modules it iterates, source text of spans, values derived from the whole program (tool tags).
// `recordingProgram` gives a view of a program that notes every such read with the answer it got
// (declarations by identity); `readsHold` asks the same questions of a newer program and compares.
// ASTs are immutable and the parse caches hand back the same node for a declaration whose text and
// offset did not change, so when the node is the same object and every read gets the same answer, a
// new check would do exactly what the old one did, and its results are reused.
import type { Decl, Module, Span } from "../syntax/ast.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { ModuleInfo, Program, Sym } from "./program.js";
import { MAX_ORIGINS, originOf } from "../syntax/reparse.js";

/** One observation of the program, keyed so that repeated reads are noted once. */
type Read =
  | { k: "global"; name: string; decl: Decl | undefined; file: string | undefined }
  | { k: "globals"; decls: Decl[] }
  | { k: "hasScope"; file: string; has: boolean }
  | { k: "scope"; file: string; name: string; decl: Decl | undefined; from: string | undefined }
  | { k: "scopeAll"; file: string; decls: Decl[] }
  | { k: "scopeFiles"; files: string }
  | { k: "hasModule"; file: string; has: boolean }
  | { k: "module"; file: string; ast: Module | undefined; text: string | undefined; library: boolean; imports: string }
  | { k: "moduleAt"; index: number; file: string }
  | { k: "moduleCount"; count: number }
  | { k: "includes"; file: string; decl: Decl; has: boolean }
  | { k: "entries"; entries: string }
  | { k: "derived"; key: string; value: string; compute: (program: Program) => string }
  | { k: "text"; file: string; span: Span; value: string };

export type Reads = ReadonlyMap<string, Read>;

const importsKey = (m: ModuleInfo | undefined) => (m ? m.imports.map((i) => i.file ?? "?").join("\0") : "");

/** Same declarations, in the same order, by `same`. */
function sameDecls(a: readonly Decl[], b: readonly Decl[], same: (now: Decl | undefined, then: Decl | undefined) => boolean): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!same(b[i], a[i])) return false;
  return true;
}

/** True when `now` is a copy of `then` that edits before it moved (syntax/reparse.ts `originOf`). */
export function movedFrom(now: Decl, then: Decl): boolean {
  let d = now;
  for (let i = 0; i < MAX_ORIGINS; i++) {
    const o = originOf(d);
    if (!o) return false;
    if (o.from === then) return true;
    d = o.from;
  }
  return false;
}

/**
 * Computes a value from the whole program on behalf of a checker. The default computes it from
 * the program as given; a recording program's `derive` computes it from the real program and notes
 * the value, so a dependency on, say, every tool's tags is "the same tags", not "the same
 * declarations everywhere".
 */
export type Derive = (key: string, compute: (program: Program) => string) => string;

/** The source text of a span of a module (for messages that quote it). */
export type SourceText = (file: string, span: Span) => string;

/** The source text of `span` in module `file` of `program`; "" when there is none. */
export function sourceTextOf(program: Program, file: string, span: Span): string {
  return program.modules.get(file)?.text.slice(span.start, span.end) ?? "";
}

/**
 * A view of `program` that records what is read through it. Only what the checkers use is
 * forwarded: `get`/`has`/iteration/`size` of the three maps, and `entries`. `derive` records a
 * value computed from the whole program by its value.
 */
export function recordingProgram(program: Program): { view: Program; reads: Reads; derive: Derive; text: SourceText } {
  const reads = new Map<string, Read>();
  const note = (key: string, make: () => Read) => {
    if (!reads.has(key)) reads.set(key, make());
  };
  const derive: Derive = (key, compute) => {
    const hit = reads.get(`d\0${key}`);
    if (hit?.k === "derived") return hit.value;
    const value = compute(program);
    reads.set(`d\0${key}`, { k: "derived", key, value, compute });
    return value;
  };
  // Noted with its place, so a moved declaration's check can ask for the text where it moved.
  const text: SourceText = (file, span) => {
    const value = sourceTextOf(program, file, span);
    note(`t\0${file}\0${span.start}\0${span.end}`, () => ({ k: "text", file, span, value }));
    return value;
  };

  const globals = new ReadMap(program.globals, {
    get: (name, sym) => note(`g\0${name}`, () => ({ k: "global", name, decl: sym?.decl, file: sym?.file })),
    all: () => note("G", () => ({ k: "globals", decls: [...program.globals.values()].map((s) => s.decl) })),
  });

  const scopeViews = new Map<string, ReadMap<string, Sym>>();
  const scopes = new ReadMap(program.scopes, {
    get: (file, scope) => note(`h\0${file}`, () => ({ k: "hasScope", file, has: scope !== undefined })),
    all: () => {
      note("H", () => ({ k: "scopeFiles", files: [...program.scopes.keys()].join("\0") }));
      for (const [file, scope] of program.scopes) {
        note(`h\0${file}`, () => ({ k: "hasScope", file, has: true }));
        note(`S\0${file}`, () => ({ k: "scopeAll", file, decls: [...scope.values()].map((s) => s.decl) }));
      }
    },
    wrap: (file, scope) => {
      let v = scopeViews.get(file);
      if (!v) {
        v = new ReadMap(scope, {
          get: (name, sym) => note(`s\0${file}\0${name}`, () => ({ k: "scope", file, name, decl: sym?.decl, from: sym?.file })),
          all: () => note(`S\0${file}`, () => ({ k: "scopeAll", file, decls: [...scope.values()].map((s) => s.decl) })),
        });
        scopeViews.set(file, v);
      }
      return v;
    },
  });

  // Modules: `get` and `has` note presence only; a module handed out is a view whose `ast.decls.includes(d)`
  // is noted as such (analysis asks which module declares a graph), anything else read from it
  // as "this module, exactly". Iteration notes the files at the positions actually reached.
  const whole = (m: ModuleInfo) => note(`m\0${m.file}`, () => ({ k: "module", file: m.file, ast: m.ast, text: m.text, library: m.library, imports: importsKey(m) }));
  const moduleViews = new Map<string, ModuleInfo>();
  const moduleView = (m: ModuleInfo): ModuleInfo => {
    let v = moduleViews.get(m.file);
    if (v) return v;
    const decls = new Proxy(m.ast.decls, {
      get(target, prop) {
        if (prop === "includes")
          return (d: Decl) => {
            const has = target.includes(d);
            note(`i\0${m.file}\0${idOf(d)}`, () => ({ k: "includes", file: m.file, decl: d, has }));
            return has;
          };
        whole(m);
        return Reflect.get(target, prop) as unknown;
      },
    });
    const ast = new Proxy(m.ast, {
      get(target, prop) {
        if (prop === "decls") return decls;
        whole(m);
        return Reflect.get(target, prop) as unknown;
      },
    });
    v = new Proxy(m, {
      get(target, prop) {
        if (prop === "file") return target.file;
        if (prop === "ast") return ast;
        whole(m);
        return Reflect.get(target, prop) as unknown;
      },
    });
    moduleViews.set(m.file, v);
    return v;
  };
  const modules = new ReadMap(program.modules, {
    get: (file, m) => note(`hm\0${file}`, () => ({ k: "hasModule", file, has: m !== undefined })),
    at: (index, file) => note(`ma\0${index}`, () => ({ k: "moduleAt", index, file })),
    all: () => note("mc", () => ({ k: "moduleCount", count: program.modules.size })),
    wrap: (_file, m) => moduleView(m),
  });

  const view: Program = {
    modules,
    globals,
    scopes,
    get entries() {
      note("E", () => ({ k: "entries", entries: program.entries.join("\0") }));
      return program.entries;
    },
  };
  return { view, reads, derive, text };
}

/** True when every read in `reads` gives the same answer in `program`. */
export function readsHold(reads: Reads, program: Program): boolean {
  return holding(reads, program, false) === "same";
}

/**
 * Whether the reads of a result hold in `program`: "same" when every read gives the same answer;
 * "moved" when they do but for declarations that edits before them moved (the answer is their
 * moved copy, same text at another offset: a result that points at nothing outside its own
 * declaration holds too — see `Move`); false otherwise. With `move` (the result is of a declaration
 * that moved so), the text it quoted is looked for where the move put it.
 */
export function holding(reads: Reads, program: Program, allowMoved = true, move?: Move): "same" | "moved" | false {
  let moved = false;
  const same = (now: Decl | undefined, then: Decl | undefined): boolean => {
    if (now === then) return true;
    if (!allowMoved || !now || !then || !movedFrom(now, then)) return false;
    moved = true;
    return true;
  };
  for (const r of reads.values()) {
    switch (r.k) {
      case "global": {
        const s = program.globals.get(r.name);
        if (!same(s?.decl, r.decl) || s?.file !== r.file) return false;
        break;
      }
      case "globals":
        if (!sameDecls(r.decls, [...program.globals.values()].map((s) => s.decl), same)) return false;
        break;
      case "hasScope":
        if (program.scopes.has(r.file) !== r.has) return false;
        break;
      case "scope": {
        const s = program.scopes.get(r.file)?.get(r.name);
        if (!same(s?.decl, r.decl) || s?.file !== r.from) return false;
        break;
      }
      case "scopeAll": {
        const scope = program.scopes.get(r.file);
        if (!scope || !sameDecls(r.decls, [...scope.values()].map((s) => s.decl), same)) return false;
        break;
      }
      case "module": {
        const m = program.modules.get(r.file);
        if (m?.ast !== r.ast || m?.text !== r.text || (m?.library ?? false) !== r.library || importsKey(m) !== r.imports) return false;
        break;
      }
      case "scopeFiles":
        if ([...program.scopes.keys()].join("\0") !== r.files) return false;
        break;
      case "hasModule":
        if (program.modules.has(r.file) !== r.has) return false;
        break;
      case "moduleAt":
        if (fileAt(program, r.index) !== r.file) return false;
        break;
      case "moduleCount":
        if (program.modules.size !== r.count) return false;
        break;
      case "includes":
        if ((program.modules.get(r.file)?.ast.decls.includes(r.decl) ?? false) !== r.has) return false;
        break;
      case "entries":
        if (program.entries.join("\0") !== r.entries) return false;
        break;
      case "derived":
        if (r.compute(program) !== r.value) return false;
        break;
      case "text":
        if (sourceTextOf(program, r.file, move ? movedSpan(r.file, r.span, move) : r.span) !== r.value) return false;
        break;
    }
  }
  return moved ? "moved" : "same";
}

/**
 * `reads` (which hold in `program`, `holding` said "moved") with the declarations they name
 * replaced by their moved copies in `program`, and quoted text by its place after `move`: so the
 * next `holding` finds them by identity, without walking each copy's origins again.
 */
export function rebased(reads: Reads, program: Program, move?: Move): Reads {
  const out = new Map<string, Read>();
  for (const [key, r] of reads) {
    switch (r.k) {
      case "global":
        out.set(key, { ...r, decl: program.globals.get(r.name)?.decl });
        break;
      case "globals":
        out.set(key, { ...r, decls: [...program.globals.values()].map((s) => s.decl) });
        break;
      case "scope":
        out.set(key, { ...r, decl: program.scopes.get(r.file)?.get(r.name)?.decl });
        break;
      case "scopeAll":
        out.set(key, { ...r, decls: [...(program.scopes.get(r.file)?.values() ?? [])].map((s) => s.decl) });
        break;
      case "text":
        out.set(key, move ? { ...r, span: movedSpan(r.file, r.span, move) } : r);
        break;
      default:
        out.set(key, r);
    }
  }
  return out;
}

// ---------------------------------------------------------------- consecutive programs

/**
 * What changed from one program of a session to the next, when only declarations did (the same
 * modules in the same order, with the same imports and entries): the names of the declarations
 * added, removed or replaced (by identity) in the modules whose AST changed. A read of a name not
 * among them gives the same answer in both, so reads that held in `from` hold in `to` when they name
 * none of them (`holdsAcross`) — one set lookup per changed name instead of a look-up per read.
 */
export interface ProgramDelta {
  names: ReadonlySet<string>;
}

/** The delta from `from` to `to`; undefined when more than declarations changed. */
export function programDelta(from: Program, to: Program): ProgramDelta | undefined {
  if (from.modules.size !== to.modules.size || from.entries.join("\0") !== to.entries.join("\0")) return undefined;
  const names = new Set<string>();
  const old = from.modules.values();
  for (const m of to.modules.values()) {
    const o = old.next().value as ModuleInfo | undefined;
    if (!o || o.file !== m.file || o.library !== m.library || importsKey(o) !== importsKey(m)) return undefined;
    if (o.ast === m.ast) continue;
    const before = new Set(o.ast.decls);
    const after = new Set(m.ast.decls);
    for (const d of o.ast.decls) if (!after.has(d)) names.add(d.name.name);
    for (const d of m.ast.decls) if (!before.has(d)) names.add(d.name.name);
  }
  return { names };
}

/** The names `reads` looks up, when it reads nothing but names and presence (else undefined). */
function namesRead(reads: Reads): ReadonlySet<string> | undefined {
  if (simpleNames.has(reads)) return simpleNames.get(reads) ?? undefined;
  let names: Set<string> | null = new Set<string>();
  for (const r of reads.values()) {
    if (r.k === "global" || r.k === "scope") names.add(r.name);
    else if (r.k !== "hasScope" && r.k !== "hasModule") {
      names = null;
      break;
    }
  }
  simpleNames.set(reads, names);
  return names ?? undefined;
}
const simpleNames = new WeakMap<Reads, Set<string> | null>();

/** True when `reads`, which held in `delta.from`, hold in the program `delta` leads to (see `ProgramDelta`). */
export function holdsAcross(reads: Reads, delta: ProgramDelta): boolean {
  const names = namesRead(reads);
  if (!names) return false;
  for (const n of delta.names) if (names.has(n)) return false;
  return true;
}

/** The file at position `index` of the program's module order. */
function fileAt(program: Program, index: number): string | undefined {
  let files = moduleOrder.get(program);
  if (!files) moduleOrder.set(program, (files = [...program.modules.keys()]));
  return files[index];
}
const moduleOrder = new WeakMap<Program, string[]>();

const ids = new WeakMap<object, number>();
let nextId = 0;
function idOf(o: object): number {
  let id = ids.get(o);
  if (id === undefined) ids.set(o, (id = nextId++));
  return id;
}

interface ReadHooks<K, V> {
  get(key: K, value: V | undefined): void;
  /** `has` (defaults to `get`). */
  has?(key: K, value: V | undefined): void;
  /** Iteration reached position `index` (when set, iteration notes positions, not `all`). */
  at?(index: number, key: K): void;
  /** Everything was read (the size, or an iteration run to its end). */
  all(): void;
  wrap?(key: K, value: V): V;
}

/** A read-only Map over `inner` that reports each read to `hooks` (a Map, so it fits `Program`). */
class ReadMap<K, V> extends Map<K, V> {
  constructor(
    private readonly inner: ReadonlyMap<K, V>,
    private readonly hooks: ReadHooks<K, V>,
  ) {
    super();
  }
  override get(key: K): V | undefined {
    const v = this.inner.get(key);
    this.hooks.get(key, v);
    return v === undefined || !this.hooks.wrap ? v : this.hooks.wrap(key, v);
  }
  override has(key: K): boolean {
    const v = this.inner.get(key);
    (this.hooks.has ?? this.hooks.get)(key, v);
    return v !== undefined;
  }
  override get size(): number {
    this.hooks.all();
    return this.inner.size;
  }
  override *entries(): MapIterator<[K, V]> {
    const at = this.hooks.at;
    if (!at) this.hooks.all();
    let i = 0;
    for (const [k, v] of this.inner) {
      at?.(i++, k);
      yield [k, this.hooks.wrap ? this.hooks.wrap(k, v) : v];
    }
    if (at) this.hooks.all();
  }
  override *keys(): MapIterator<K> {
    for (const [k] of this.entries()) yield k;
  }
  override *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }
  override [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }
  override forEach(fn: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }
  override set(): this {
    throw new Error("internal: a recorded program is read-only");
  }
  override delete(): boolean {
    throw new Error("internal: a recorded program is read-only");
  }
  override clear(): void {
    throw new Error("internal: a recorded program is read-only");
  }
}

// ---------------------------------------------------------------- moved declarations

/**
 * A declaration moved by an edit before it (syntax/reparse.ts `originOf`): the places of `file`
 * inside `span` (the declaration where it was) are now `by` characters further. A result computed
 * from the declaration where it was, from reads that still hold, is the same result moved: the
 * reads name other declarations by identity, so nothing outside `span` that it points at moved.
 */
export interface Move {
  file: string;
  span: Span;
  by: number;
}

/** `s` (a place in `file`) where `move` put it. */
export function movedSpan(file: string, s: Span, move: Move): Span {
  return move.by !== 0 && file === move.file && s.start >= move.span.start && s.end <= move.span.end ? { start: s.start + move.by, end: s.end + move.by } : s;
}

/** `x` (a reference, a field reference: anything with a file and a span) with its span moved. */
export function movedAt<T extends { file: string; span: Span }>(x: T, move: Move): T {
  const span = movedSpan(x.file, x.span, move);
  return span === x.span ? x : { ...x, span };
}

/** `d` with its places (span, related places, fixes) moved. */
export function movedDiagnostic(d: Diagnostic, move: Move): Diagnostic {
  if (move.by === 0) return d;
  const out: Diagnostic = { ...d, span: movedSpan(d.file, d.span, move) };
  if (d.related) out.related = d.related.map((r) => movedAt(r, move));
  if (d.fixes)
    out.fixes = d.fixes.map((f) => {
      if (f.kind !== "insert") return { ...f, span: movedSpan(d.file, f.span, move) };
      const at = movedSpan(d.file, { start: f.offset, end: f.offset }, move);
      return at.start === f.offset ? f : { ...f, offset: at.start };
    });
  return out;
}
