// host/: a runtime from plain configuration (no CliIo, no flags), store specs, and the
// configuration errors it refuses with a code.
import { Effect } from "effect";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { compile, PlanTrustError, type Plan } from "../../compiler/index.js";
import { HostConfigError } from "../../host/errors.js";
import { checkTrust, openModels, openRuntime } from "../../host/runtime.js";
import { FileHost } from "../../host/source-host.js";
import { DEFAULT_STORE, defaultStoreSpec, openStore, storeLocation } from "../../host/stores.js";
import { MemoryStore, SqliteStore, type VmEvent } from "../../vm/index.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "awr-host-runtime-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function planOf(source: string): Plan {
  const file = join(dir, "main.awr");
  writeFileSync(file, source);
  const { plan, diagnostics } = compile([file], new FileHost(), { plan: true });
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return plan!;
}

const DOUBLE = `graph double(x: int) -> int {
  state { y: int = 0 }
  node n { set y = x * 2 }
  edge start -> n
  edge n -> end
  return y
}
`;

describe("store specs", () => {
  it("memory:, a path relative to the working directory, the default, and AWR_STORE", () => {
    expect(storeLocation("memory:", dir)).toEqual({ kind: "memory" });
    expect(storeLocation("x/runs.db", dir)).toEqual({ kind: "sqlite", path: join(dir, "x", "runs.db") });
    expect(storeLocation(undefined, dir)).toEqual({ kind: "sqlite", path: join(dir, DEFAULT_STORE) });
    expect(defaultStoreSpec({ AWR_STORE: " memory: " })).toBe("memory:");
    expect(defaultStoreSpec({ AWR_STORE: "" })).toBeUndefined();
    expect(defaultStoreSpec({})).toBeUndefined();
  });

  it("postgres:// and postgresql://: the connection string for pg, the schema (default awr), a label without the password", () => {
    expect(storeLocation("postgres://u:p@h:5433/db?sslmode=require&schema=staging", dir)).toEqual({
      kind: "postgres",
      url: "postgres://u:p@h:5433/db?sslmode=require",
      schema: "staging",
      label: "postgres://u@h:5433/db (schema staging)",
    });
    expect(storeLocation("POSTGRESQL://h/db", dir)).toMatchObject({ kind: "postgres", schema: "awr", label: "postgresql://h/db (schema awr)" });
    expect(() => storeLocation("postgres://u:p@h/db?schema=Bad-Name", dir)).toThrow(expect.objectContaining({ code: "STORE_INVALID" }));
    expect(() => storeLocation("postgres://u:p@[bad/db", dir)).toThrow(HostConfigError);
    // Not echoed: the spec may hold a password.
    expect(() => storeLocation("postgres://u:s3cret@[bad/db", dir)).toThrow(/^the PostgreSQL store spec is not a valid connection string$/);
  });

  it("opens the adapter a spec names", async () => {
    const memory = await openStore("memory:", { cwd: dir });
    expect(memory).toBeInstanceOf(MemoryStore);
    memory.close();
    const sqlite = await openStore("runs.db", { cwd: dir });
    expect(sqlite).toBeInstanceOf(SqliteStore);
    sqlite.close();
  });
});

describe("openRuntime", () => {
  it("builds a runtime from plain configuration that runs a plan and calls onEvent", async () => {
    const store = await openStore("memory:", { cwd: dir });
    const events: VmEvent["type"][] = [];
    const { runtime, close, metricsUrl } = await openRuntime({ plan: { plan: planOf(DOUBLE) }, root: dir, store, cwd: dir, env: {}, onEvent: (e) => events.push(e.type) });
    try {
      expect(metricsUrl).toBeUndefined();
      const o = await runtime.start("double", { x: 4 });
      expect(o).toMatchObject({ status: "completed", output: 8 });
      expect(events).toContain("run.completed");
    } finally {
      await close();
      store.close();
    }
  });

  it("refuses an unsigned plan when trusted keys are given, before anything runs", async () => {
    const store = await openStore("memory:", { cwd: dir });
    const config = { plan: { plan: planOf(DOUBLE), source: "main.awr" }, root: dir, store, cwd: dir, env: {}, trust: ["not a key"] };
    await expect(openRuntime(config)).rejects.toThrow(PlanTrustError);
    await expect(checkTrust(config.plan, [])).rejects.toThrow("main.awr is compiled from .awr sources, which carry no signature");
    expect(await Effect.runPromise(store.queries.list({}))).toEqual([]);
    store.close();
  });

  it("refuses a models spec it does not know, and a missing recordings file, with codes", async () => {
    await expect(openModels("anthropic", { cwd: dir, env: {} })).rejects.toThrow(expect.objectContaining({ code: "MODELS_UNKNOWN", subject: "anthropic" }));
    await expect(openModels("recorded:none.jsonl", { cwd: dir, env: {} })).rejects.toThrow(expect.objectContaining({ code: "RECORDINGS_UNREADABLE", message: "no recordings file none.jsonl" }));
  });
});
