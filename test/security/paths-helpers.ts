// Shared by the path-escape tests: a project directory (with package.json, so it is a project root)
// beside an outside directory, both in one scratch directory; compiling through the CLI's FileHost.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { compile } from "../../compiler/compile.js";
import { FileHost } from "../../host/source-host.js";

export interface Scratch {
  /** The project root (holds package.json). */
  project: string;
  /** A directory beside it, outside the project. */
  outside: string;
  write(path: string, text: string): string;
  remove(): void;
}

export function scratch(): Scratch {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "awr-paths-")));
  const project = join(dir, "project");
  const outside = join(dir, "outside");
  mkdirSync(project);
  mkdirSync(outside);
  writeFileSync(join(project, "package.json"), '{ "name": "p", "private": true }');
  return {
    project,
    outside,
    write(path, text) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The codes and messages of compiling `entry` from disk, errors only. */
export function errorsOf(entry: string, allowPaths?: string[]): { code: string; message: string }[] {
  const host = new FileHost(undefined, allowPaths ? { allowPaths } : {});
  return compile([entry], host)
    .diagnostics.filter((d) => d.severity === "error")
    .map((d) => ({ code: d.code, message: d.message }));
}
