// What the extension needs to know about the `awr` command and .awr sources, without `vscode`:
// how to start awr (the bundled one or the user's), which graphs a file declares, and the summary
// line of `awr test`. Unit-tested from the root project (test/vscode-extension/).
import { isAbsolute, join, win32 } from "node:path";

export interface AwrSettings {
  /** `awr.server.path`: an awr executable; empty for the bundled one. */
  serverPath: string;
  /** `awr.server.args`: arguments before the awr command (node options for the bundled server). */
  serverArgs: readonly string[];
  /** `awr.server.runtime`: the node that runs the bundled server; empty for VS Code's own. */
  runtime: string;
}

export interface Invocation {
  command: string;
  args: string[];
  env: Record<string, string | undefined>;
  /** true when the extension's own bundled awr is used */
  bundled: boolean;
  /**
   * Run through a shell: on Windows a configured awr is usually npm's `awr.cmd` shim (or `awr`,
   * found as awr.cmd through PATHEXT), which Node cannot spawn without one (EINVAL since the
   * batch-file fix of Node 18.20/20.12). `command` and `args` are then quoted for cmd.exe.
   */
  shell: boolean;
}

/** An argument as cmd.exe reads it: quoted when it holds a space or a character cmd treats specially. */
export function cmdQuote(arg: string): string {
  return arg === "" || /[\s"&|<>^()%!,;=]/.test(arg) ? `"${arg.replace(/"/g, '""')}"` : arg;
}

/** The bundled awr, relative to the extension's root (also checked by the manifest test). */
export const BUNDLED_SERVER = join("server", "awr.mjs");

/**
 * How to run `awr <awrArgs>`. The bundled awr runs on VS Code's own Node.js (`execPath` with
 * ELECTRON_RUN_AS_NODE) unless a runtime is configured; a configured `awr.server.path` is run as is.
 */
export function awrInvocation(
  settings: AwrSettings,
  awrArgs: readonly string[],
  ctx: { extensionPath: string; execPath: string; workspaceFolder?: string; env?: Record<string, string | undefined>; platform?: NodeJS.Platform },
): Invocation {
  const env: Record<string, string | undefined> = { ...(ctx.env ?? process.env) };
  const serverPath = settings.serverPath.trim();
  if (serverPath) {
    const windows = (ctx.platform ?? process.platform) === "win32";
    const pathJoin = windows ? win32.join : join;
    const command = !(windows ? win32.isAbsolute(serverPath) : isAbsolute(serverPath)) && ctx.workspaceFolder && /[\\/]/.test(serverPath) ? pathJoin(ctx.workspaceFolder, serverPath) : serverPath;
    const args = [...settings.serverArgs, ...awrArgs];
    if (windows) return { command: cmdQuote(command), args: args.map(cmdQuote), env, bundled: false, shell: true };
    return { command, args, env, bundled: false, shell: false };
  }
  const runtime = settings.runtime.trim();
  if (!runtime) env.ELECTRON_RUN_AS_NODE = "1";
  return {
    command: runtime || ctx.execPath,
    args: [...settings.serverArgs, join(ctx.extensionPath, BUNDLED_SERVER), ...awrArgs],
    env,
    bundled: true,
    shell: false,
  };
}

/**
 * The names of the graphs declared in an .awr source, in order. Comments, strings and templates are
 * blanked first so a `graph x` inside them does not count; declarations start a line, as the parser
 * resynchronises at them.
 */
export function graphNames(text: string): string[] {
  const code = blankNonCode(text);
  const names: string[] = [];
  for (const m of code.matchAll(/^[ \t]*graph[ \t]+([A-Za-z_][A-Za-z0-9_]*)/gm)) names.push(m[1]!);
  return names;
}

/** `text` with comments, strings and template strings replaced by spaces (newlines kept). */
export function blankNonCode(text: string): string {
  let out = "";
  let i = 0;
  const blank = (s: string) => s.replace(/[^\n]/g, " ");
  while (i < text.length) {
    const rest = text.startsWith.bind(text);
    let end = -1;
    if (rest("//", i)) end = text.indexOf("\n", i) === -1 ? text.length : text.indexOf("\n", i);
    else if (rest("/*", i)) end = text.indexOf("*/", i + 2) === -1 ? text.length : text.indexOf("*/", i + 2) + 2;
    else if (rest('#"', i)) end = text.indexOf('"#', i + 2) === -1 ? text.length : text.indexOf('"#', i + 2) + 2;
    else if (text[i] === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"' && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      end = Math.min(j + 1, text.length);
    }
    if (end === -1) {
      out += text[i];
      i++;
    } else {
      out += blank(text.slice(i, end));
      i = end;
    }
  }
  return out;
}

export interface TestSummary {
  passed: number;
  failed: number;
}

/** The last "N passed, N failed" line of `awr test` output. */
export function testSummary(output: string): TestSummary | undefined {
  const all = [...output.matchAll(/^(\d+) passed, (\d+) failed\s*$/gm)];
  const last = all[all.length - 1];
  return last ? { passed: Number(last[1]), failed: Number(last[2]) } : undefined;
}

/** Removes ANSI colour codes (awr colours only a TTY, but a user's awr may be forced). */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, "");
}
