// `awr keys create|list|revoke` as a user runs it (the built CLI): the key is printed once and works
// against the same store's KeyStore; list never shows it; a revoked key proves nothing.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyStore } from "../../../server/auth/keys.js";
import { openServerDb } from "../../../server/db.js";
import { awr } from "../../helpers/awr-cli.js";

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "awr-keys-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const verify = async (key: string) => {
  const db = await openServerDb("runs.db", { cwd: dir });
  try {
    return await (await KeyStore.open(db)).verify(key);
  } finally {
    await db.close();
  }
};

describe("awr keys", () => {
  it("creates a key (printed once), lists it without the key, revokes it", async () => {
    const made = await awr(["keys", "create", "--tenant", "acme", "--role", "operator,viewer", "--role", "approver", "--name", "ci", "--store", "runs.db", "--json"], { cwd: dir });
    expect(made.code, made.stderr).toBe(0);
    const out = JSON.parse(made.stdout) as { key: string; id: string; tenant: string; roles: string[]; name: string };
    expect(out).toMatchObject({ key: expect.stringMatching(/^awr_/), id: expect.any(String), tenant: "acme", roles: ["operator", "viewer", "approver"], name: "ci" });
    expect(await verify(out.key)).toMatchObject({ id: out.id, tenant: "acme" });

    const text = await awr(["keys", "create", "--tenant", "bolt", "--store", "runs.db"], { cwd: dir });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^awr_[0-9a-f]{16}_\S{43}\n\nkey [0-9a-f]{16} of tenant bolt: shown once, only its hash is stored\n$/);

    const list = await awr(["keys", "list", "--tenant", "acme", "--store", "runs.db", "--json"], { cwd: dir });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).not.toContain(out.key.slice(21));
    expect((JSON.parse(list.stdout) as { id: string }[]).map((k) => k.id)).toEqual([out.id]);
    const all = await awr(["keys", "list", "--store", "runs.db"], { cwd: dir });
    expect(all.stdout.trim().split("\n")).toHaveLength(2);

    const revoked = await awr(["keys", "revoke", out.id, "--store", "runs.db"], { cwd: dir });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toBe(`revoked key ${out.id}\n`);
    expect(await verify(out.key)).toBeUndefined();
    const twice = await awr(["keys", "revoke", out.id, "--store", "runs.db"], { cwd: dir });
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain(`no live key ${out.id}`);
    expect((await awr(["keys", "list", "--store", "runs.db"], { cwd: dir })).stdout).toContain("revoked");
  });

  it("a key made in a store that did not exist yet leaves a run store the other commands open", async () => {
    const made = await awr(["keys", "create", "--tenant", "acme", "--store", "fresh.db", "--json"], { cwd: dir });
    expect(made.code, made.stderr).toBe(0);
    const runs = await awr(["runs", "--store", "fresh.db", "--json"], { cwd: dir });
    expect(runs.code, runs.stderr).toBe(0);
    expect(JSON.parse(runs.stdout)).toEqual([]);
  });

  it("usage errors exit 2: no --tenant, a bad tenant, a memory: store, an unknown subcommand, a missing store for list", async () => {
    for (const args of [
      ["keys", "create", "--store", "runs.db"],
      ["keys", "create", "--tenant", "a b", "--store", "runs.db"],
      ["keys", "create", "--tenant", "a", "--store", "memory:"],
      ["keys", "rotate"],
      ["keys", "list", "--store", "nowhere.db"],
    ]) {
      const r = await awr(args, { cwd: dir });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/^error: /);
    }
    const help = await awr(["keys", "--help"]);
    for (const s of ["Usage: awr keys create --tenant T", "Options:", "Examples:", "Exit codes:"]) expect(help.stdout).toContain(s);
    expect((await awr(["--help"])).stdout).toMatch(/^ {2}keys\b/m);
  });
});
