// `awr lsp` as a command: its help, and the usage error without a transport.
import { describe, expect, it } from "vitest";
import { awr } from "../helpers/awr-cli.js";

describe.concurrent("awr lsp", () => {
  it("has help naming the transport", async () => {
    const r = await awr(["lsp", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: awr lsp --stdio");
  });

  it("is a usage error without --stdio", async () => {
    const r = await awr(["lsp"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^error: awr lsp needs --stdio\nhint: /);
  });
});
