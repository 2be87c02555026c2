// Where a program may read files from: its project root, plus directories allowed explicitly. js
// tool modules and context source files resolve inside it; a path outside — directly, through `..`
// or through a symlink (paths are compared after realpath) — is refused. The compiler checks the
// paths written in the sources (AWR2013, AWR5013, through the host); this module is the runtime's
// check, for plans built elsewhere or paths it computes. docs/security.md § Hostile input.
import { existsSync, realpathSync } from "node:fs";
import { basename, delimiter, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

/** The variable that lists extra allowed directories (`path.delimiter`-separated, like PATH). */
export const ALLOW_PATHS_ENV = "AWR_ALLOW_PATHS";

/**
 * The project root of a program whose entry file is in `dir`: the nearest directory at or above it
 * holding `package.json` or `.git`, else `dir` itself.
 */
export function findProjectRoot(dir: string): string {
  const start = resolve(dir);
  for (let d = start; ; d = dirname(d)) {
    if (existsSync(join(d, "package.json")) || existsSync(join(d, ".git"))) return d;
    if (dirname(d) === d) return start;
  }
}

/** The directories `AWR_ALLOW_PATHS` lists (absolute, or relative to `cwd`). */
export function allowPathsFromEnv(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): string[] {
  const raw = env[ALLOW_PATHS_ENV];
  if (!raw) return [];
  return raw
    .split(delimiter)
    .filter((p) => p.trim() !== "")
    .map((p) => resolve(cwd, p));
}

/** `p` with symlinks resolved; for a path that does not exist, its nearest existing ancestor's. */
export function realPath(p: string): string {
  const abs = resolve(p);
  const rest: string[] = [];
  for (let d = abs; ; d = dirname(d)) {
    try {
      return join(realpathSync(d), ...rest.reverse());
    } catch {
      if (dirname(d) === d) return abs;
      rest.push(basename(d));
    }
  }
}

/** True when `file` is `root` or below it (both already real). */
export function within(root: string, file: string): boolean {
  const r = relative(root, file);
  return r === "" || (!r.startsWith(`..${sep}`) && r !== ".." && !isAbsolute(r));
}

/** The directories a program may read from. */
export class PathScope {
  private readonly roots: string[];
  constructor(
    /** The project root (see `findProjectRoot`). */
    readonly root: string,
    /** Further directories allowed (`allowPaths`, `AWR_ALLOW_PATHS`, the stdlib). */
    readonly allowed: readonly string[] = [],
  ) {
    this.roots = [root, ...allowed].map(realPath);
  }

  /** The scope of a program whose plan file ids are relative to `baseDir`. */
  static of(baseDir: string, opts: { projectRoot?: string; allowPaths?: readonly string[]; env?: Record<string, string | undefined> } = {}): PathScope {
    return new PathScope(opts.projectRoot ?? findProjectRoot(baseDir), opts.allowPaths ?? allowPathsFromEnv(opts.env));
  }

  contains(path: string): boolean {
    const real = realPath(path);
    return this.roots.some((r) => within(r, real));
  }

  /** Why `path` (what it is: "js module ./x.mjs of tool t") is refused, and what to do. */
  refusal(what: string, path: string): string {
    const real = realPath(path);
    const via = real !== resolve(path) ? ` (through a symlink, to ${real})` : "";
    return (
      `${what} resolves to ${resolve(path)}${via}, outside the project root ${this.root}` +
      `; move it into the project, or allow its directory (${ALLOW_PATHS_ENV}, or the runtime option allowPaths)`
    );
  }
}
