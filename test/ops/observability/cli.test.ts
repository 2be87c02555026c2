// `awr run` with observability, as a user runs it: --metrics-port (scraped while the process holds),
// OTLP export to a local collector when OTEL_EXPORTER_OTLP_ENDPOINT is set, clear usage errors.
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, ROOT, awr } from "../../helpers/awr-cli.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "awr-obs-"));
  cpSync(join(ROOT, "examples", "support-triage"), join(dir, "s"), { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RUN = ["run", "s/main.awr", "--input", "@s/input.json", "--models", "recorded:s/recorded.jsonl", "--store", "memory:", "--json"];

/**
 * `awr <args> --metrics-port 0 --metrics-hold`, spawned in the scratch directory without OTLP
 * export: `url` is the endpoint it says it serves until interrupted (rejected if it exits first),
 * `out` what it printed so far.
 */
function holdingMetrics(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args, "--metrics-port", "0", "--metrics-hold"], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: "1", OTEL_EXPORTER_OTLP_ENDPOINT: "", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out = { stdout: "", stderr: "" };
  child.stdout.setEncoding("utf8").on("data", (t: string) => (out.stdout += t));
  const exited = new Promise<number | null>((r) => child.on("close", r));
  const url = new Promise<string>((resolve, reject) => {
    child.stderr.setEncoding("utf8").on("data", (t: string) => {
      out.stderr += t;
      const m = /serving metrics on (\S+) until interrupted/.exec(out.stderr);
      if (m) resolve(m[1]!);
    });
    void exited.then(() => reject(new Error(`awr ${args[0]} exited before holding: ${out.stderr}`)));
  });
  return { child, exited, url, out };
}

describe("awr run --metrics-port", () => {
  it("serves /metrics with the run, token and cost series; --metrics-hold keeps serving until interrupted", async () => {
    const { child, exited, url: serving, out } = holdingMetrics(RUN);
    try {
      const url = await serving;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(out.stderr).toContain(`metrics: ${url}`);
      const text = await (await fetch(url)).text();
      expect(text).toMatch(/^awr_runs_total\{graph="support_case",status="completed"\} 1$/m);
      expect(text).toMatch(/^awr_model_tokens_total\{model="support_mini",direction="input"\} [1-9]\d*$/m);
      expect(text).toMatch(/^awr_cost_usd_total\{model="support_mini"\} 0\.\d+$/m);
      expect(text).toMatch(/^awr_effect_duration_seconds_count\{kind="tool",name="\w+",outcome="ok"\} [1-9]/m);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ status: "completed" });
  });

  it("awr resume serves metrics too: the re-execution counts as a run, its replayed calls add no tokens", async () => {
    const store = join(dir, "resume.db");
    const first = await awr(["run", "s/main.awr", "--input", "@s/input.json", "--models", "recorded:s/recorded.jsonl", "--store", store, "--json"], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    const { runId } = JSON.parse(first.stdout) as { runId: string };
    const { child, exited, url: serving } = holdingMetrics(["resume", runId, "--store", store, "--models", "recorded:s/recorded.jsonl", "--json"]);
    try {
      const url = await serving;
      const text = await (await fetch(url)).text();
      expect(text).toMatch(/^awr_runs_total\{graph="support_case",status="completed"\} 1$/m);
      expect(text).not.toMatch(/^awr_model_tokens_total\{/m);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });

  it("a bad port or a busy one is a usage error (exit 2), not a stack trace", async () => {
    const bad = await awr([...RUN, "--metrics-port", "http"], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--metrics-port must be a port number (0-65535), got "http"');
    const hold = await awr([...RUN, "--metrics-hold"], { cwd: dir });
    expect(hold.code).toBe(2);
    expect(hold.stderr).toContain("--metrics-hold and --metrics-host need --metrics-port");

    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
    try {
      const port = (busy.address() as AddressInfo).port;
      const r = await awr([...RUN, "--metrics-port", String(port)], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`error: cannot serve metrics on 127.0.0.1:${port}: the port is in use`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      busy.close();
    }
  });
});

describe("awr run with OTEL_EXPORTER_OTLP_ENDPOINT", () => {
  it("exports the run's spans over OTLP/HTTP to the configured collector before exiting", async () => {
    const bodies: { path: string; type: string; body: Buffer }[] = [];
    const collector: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        bodies.push({ path: req.url ?? "", type: String(req.headers["content-type"]), body: Buffer.concat(chunks) });
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((r) => collector.listen(0, "127.0.0.1", r));
    try {
      const { port } = collector.address() as AddressInfo;
      const r = await awr(RUN, { cwd: dir, env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_SERVICE_NAME: "awr-test" } });
      expect(r.code, r.stderr).toBe(0);
      expect(bodies.map((b) => b.path)).toContain("/v1/traces");
      const all = Buffer.concat(bodies.filter((b) => b.path === "/v1/traces").map((b) => b.body)).toString("latin1");
      for (const s of ["awr.run support_case", "awr.step", "chat ", "gen_ai.usage.input_tokens", "awr-test"]) expect(all).toContain(s);
      // Content capture is off by default: no prompt text leaves the process.
      expect(all).not.toContain("gen_ai.input.messages");
    } finally {
      collector.close();
    }
  });
});
