import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileHost, packageRoot } from "../../host/source-host.js";

describe("FileHost", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "awr-host-"));
    mkdirSync(join(dir, "lib"));
    mkdirSync(join(dir, "stdlib", "std"), { recursive: true });
    writeFileSync(join(dir, "main.awr"), "import \"./lib/tools\"\n");
    writeFileSync(join(dir, "lib", "tools.awr"), "// tools\n");
    writeFileSync(join(dir, "stdlib", "std", "pii.awr"), "// pii\n");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("finds the package root from its own location", () => {
    expect(packageRoot()).toBe(join(import.meta.dirname, "..", ".."));
  });

  it("resolves std/NAME into the stdlib", () => {
    const host = new FileHost(join(dir, "stdlib"));
    expect(host.resolve("std/pii", join(dir, "main.awr"))).toBe(join(dir, "stdlib", "std", "pii.awr"));
    expect(host.resolve("std/nope", join(dir, "main.awr"))).toBeUndefined();
    expect(host.resolve("std/../../main", join(dir, "main.awr"))).toBeUndefined();
  });

  it("resolves relative paths from the importing file, adding .awr when there is no extension", () => {
    const host = new FileHost(join(dir, "stdlib"));
    const main = join(dir, "main.awr");
    expect(host.resolve("./lib/tools", main)).toBe(join(dir, "lib", "tools.awr"));
    expect(host.resolve("./lib/tools.awr", main)).toBe(join(dir, "lib", "tools.awr"));
    expect(host.resolve("../main", join(dir, "lib", "tools.awr"))).toBe(main);
    expect(host.resolve("./missing.awr", main)).toBeUndefined();
    expect(host.resolve("bare", main)).toBeUndefined();
  });

  it("reads files, strips a BOM, caches, and gives undefined for missing files and directories", () => {
    const host = new FileHost(join(dir, "stdlib"));
    const bom = join(dir, "bom.awr");
    writeFileSync(bom, "\ufefftype A {}");
    expect(host.read(bom)).toBe("type A {}");
    writeFileSync(bom, "changed");
    expect(host.read(bom)).toBe("type A {}");
    expect(host.read(join(dir, "missing.awr"))).toBeUndefined();
    expect(host.read(join(dir, "lib"))).toBeUndefined();
  });

  it("uses the package's stdlib by default", () => {
    const host = new FileHost();
    const std = join(packageRoot(), "stdlib", "std");
    expect(host.resolve("std/pii", join(dir, "main.awr"))).toBe(join(std, "pii.awr"));
  });
});
