import { describe, expect, it } from "vitest";
import { ProjectScope, dirOf, joinPath, normalize, within } from "../../compiler/semantic/project-paths.js";
import type { SourceHost } from "../../compiler/semantic/program.js";

const host = (over: Partial<SourceHost> = {}): SourceHost => ({ read: () => undefined, resolve: () => undefined, ...over });

describe("project paths (compiler)", () => {
  it("normalize folds . and .., keeping a relative path's leading ..", () => {
    expect(normalize("a/./b/../c")).toBe("a/c");
    expect(normalize("../x/../../y")).toBe("../../y");
    expect(normalize("/p/proj/../../etc/passwd")).toBe("/etc/passwd");
    expect(normalize("C:\\p\\proj\\..\\x")).toBe("C:/p/x");
    expect(joinPath("", "./tools/x.mjs")).toBe("tools/x.mjs");
    expect(dirOf("main.awr")).toBe("");
    expect(dirOf("/p/main.awr")).toBe("/p");
  });

  it("within: the root itself and below, not a sibling with the same prefix", () => {
    expect(within("/p/proj", "/p/proj")).toBe(true);
    expect(within("/p/proj", "/p/proj/a/b.awr")).toBe(true);
    expect(within("/p/proj", "/p/project2/b.awr")).toBe(false);
    expect(within("", "lib/x.awr")).toBe(true);
    expect(within("", "../x.awr")).toBe(false);
  });

  it("the scope asks the host for the root, real paths and allowed directories", () => {
    const links: Record<string, string> = { "/p/proj/kb": "/elsewhere/kb" };
    const h = host({
      projectRoot: () => "/p/proj",
      realpath: (f) => Object.entries(links).reduce((s, [from, to]) => (s.startsWith(from) ? to + s.slice(from.length) : s), f),
      allowedPaths: () => ["/srv/shared"],
    });
    const scope = ProjectScope.of("/p/proj/src/main.awr", h)!;
    expect(scope.contains("/p/proj/lib/x.awr")).toBe(true);
    expect(scope.contains("/p/proj/kb/a.md")).toBe(false);
    expect(scope.contains("/srv/shared/t.mjs")).toBe(true);
    expect(scope.contains("/p/other.awr")).toBe(false);
  });

  it("without a projectRoot answer the root is the entry's directory", () => {
    const scope = ProjectScope.of("app/main.awr", host())!;
    expect(scope.contains("app/lib/x.awr")).toBe(true);
    expect(scope.contains("other/x.awr")).toBe(false);
  });
});
