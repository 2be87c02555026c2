// `PostgresStore` from the `awr/vm` package entry: importing the entry does not load `pg` (an
// embedder on SQLite never pays for it); `PostgresStore.open` loads it and gives the real store.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Effect } from "effect";
import { afterEach, describe, expect, it } from "vitest";
import { PG_URL, dropSchema, freshSchema } from "./helpers.js";

const ROOT = join(import.meta.dirname, "..", "..");
const HOOK = pathToFileURL(join(ROOT, "bench", "lib", "module-count.mjs")).href;

/** The node_modules packages a process that runs `code` (an ES module, cwd the repository) loads. */
function packagesLoaded(code: string): { packages: Set<string>; stdout: string } {
  const r = spawnSync(process.execPath, ["--import", HOOK, "--input-type=module", "-e", code], { cwd: ROOT, encoding: "utf8", env: { ...process.env, AWR_MODULES_LIST: "1" } });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/^\[awr-modules \d+\]/m);
  const packages = new Set([...r.stderr.matchAll(/^\[awr-module\] .*?\/node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)].map((m) => m[1]!));
  return { packages, stdout: r.stdout };
}

let schema: string | undefined;
afterEach(async () => {
  if (schema) await dropSchema(schema);
  schema = undefined;
});

describe("PostgresStore from awr/vm", () => {
  it("importing awr/vm does not load pg", () => {
    const { packages, stdout } = packagesLoaded(`const m = await import("awr/vm"); console.log(typeof m.PostgresStore.open, typeof m.SqliteStore);`);
    expect(stdout.trim()).toBe("function function");
    expect(packages.has("effect")).toBe(true);
    expect(packages.has("pg")).toBe(false);
  });

  it("PostgresStore.open loads pg and opens the store", async () => {
    schema = freshSchema("awr_pg");
    const url = `${PG_URL}`;
    const { packages, stdout } = packagesLoaded(
      `import { PostgresStore } from "awr/vm";
       const s = await PostgresStore.open(${JSON.stringify(url)}, { schema: ${JSON.stringify(schema)} });
       console.log(s.label);
       await s.close();`,
    );
    expect(packages.has("pg")).toBe(true);
    expect(stdout).toContain(`(schema ${schema})`);
    // In this process too: the stand-in gives the class's instances, with the three ports.
    const { PostgresStore } = await import("../../ops/vm-entry.js");
    const store = await PostgresStore.open(url, { schema });
    try {
      expect(await Effect.runPromise(store.queries.list())).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
