// What the crash tests share: the program compiled to a plan in a fresh directory (with its js tool
// module beside it), and a child process that says "ready" before its run starts and can be killed.
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { compile } from "../../../compiler/compile.js";
import { encodePlan } from "../../../compiler/plan/index.js";
import { FileHost } from "../../../host/source-host.js";

export const HERE = import.meta.dirname;

/** crash/program.awr and effects.mjs copied into a new temporary directory, and the compiled plan there. */
export function crashProgram(prefix: string): { dir: string; planFile: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const f of ["program.awr", "effects.mjs"]) copyFileSync(join(HERE, f), join(dir, f));
  const r = compile([join(dir, "program.awr")], new FileHost(), { plan: true });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const planFile = join(dir, "program.awrp");
  writeFileSync(planFile, encodePlan(r.plan!));
  return { dir, planFile };
}

export interface Child {
  /** Settles when the process ends: its stdout and the signal that ended it (a non-zero exit rejects). */
  done: Promise<{ signal: NodeJS.Signals | null; stdout: string }>;
  /** Settles when the child printed "ready" (or ended). */
  ready: Promise<void>;
  kill(): void;
}

/** `node <script> ...args` with `env` added; rejects (failing the test at once) when it exits non-zero. */
export function crashChild(script: string, args: string[], env: Record<string, string>, what: string): Child {
  const p = spawn(process.execPath, [join(HERE, script), ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let onReady: () => void = () => {};
  const ready = new Promise<void>((r) => (onReady = r));
  p.stdout.setEncoding("utf8").on("data", (t: string) => {
    stdout += t;
    if (stdout.includes("ready\n")) onReady();
  });
  p.stderr.setEncoding("utf8").on("data", (t: string) => (stderr += t));
  // A child that fails rejects (the test fails at once) instead of throwing inside the handler,
  // which would leave the test waiting for its timeout.
  const done = new Promise<{ signal: NodeJS.Signals | null; stdout: string }>((res, rej) =>
    p.on("close", (code, signal) => {
      onReady();
      if (code !== 0 && signal === null) rej(new Error(`child ${what} exited ${code}: ${stderr}`));
      else res({ signal, stdout });
    }),
  );
  return { done, ready, kill: () => p.kill("SIGKILL") };
}
