// The VS Code extension's manifest (statically) and its .vsix package: activation events, the
// language and grammar contributions, and the bundled awr server inside the package, which must run
// on its own (no node_modules) as `awr lsp --stdio`.
//
// The .vsix is built here (esbuild + vsce, a few seconds, offline) with the extension's own
// dependencies, which the root `npm ci` installs through its prepare script.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUNDLED_SERVER } from "../../vscode-extension/src/awr.js";
import { ROOT } from "../helpers/awr-cli.js";
import { type ZipEntry, zipEntries, zipRead } from "./zip.js";

const EXT = join(ROOT, "vscode-extension");
const manifest = JSON.parse(readFileSync(join(EXT, "package.json"), "utf8"));
const VSCE = join(EXT, "node_modules", "@vscode", "vsce", "vsce");
const HAS_DEPS = existsSync(VSCE) && existsSync(join(EXT, "node_modules", "esbuild"));

describe("vscode-extension/package.json", () => {
  it("identifies the extension", () => {
    expect(manifest).toMatchObject({ name: "awr-vscode", publisher: "awr", version: "0.1.0", license: "MIT" });
    expect(manifest.displayName).toBeTruthy();
    expect(manifest.description).toBeTruthy();
    expect(manifest.repository?.url).toMatch(/^https:\/\//);
    for (const f of ["LICENSE", "README.md", "CHANGELOG.md", ".vscodeignore", "package-lock.json"]) expect(existsSync(join(EXT, f)), f).toBe(true);
  });

  it("activates on .awr files and in workspaces that contain them", () => {
    expect(manifest.activationEvents).toEqual(expect.arrayContaining(["onLanguage:awr", "workspaceContains:**/*.awr"]));
    expect(manifest.main).toBe("./dist/extension.js");
    expect(manifest.engines.vscode).toMatch(/^\^1\.\d+\.\d+$/);
  });

  it("contributes the awr language, its configuration and its grammar", () => {
    const [lang] = manifest.contributes.languages;
    expect(lang).toMatchObject({ id: "awr", extensions: [".awr"], configuration: "./language-configuration.json" });
    expect(lang.aliases).toContain("AWR");
    const [grammar] = manifest.contributes.grammars;
    expect(grammar).toEqual({ language: "awr", scopeName: "source.awr", path: "./syntaxes/awr.tmLanguage.json" });
    for (const p of [lang.configuration, grammar.path]) expect(existsSync(join(EXT, p)), p).toBe(true);
    const g = JSON.parse(readFileSync(join(EXT, grammar.path), "utf8"));
    expect(g.scopeName).toBe("source.awr");
    const conf = JSON.parse(readFileSync(join(EXT, lang.configuration), "utf8"));
    expect(conf.comments).toEqual({ lineComment: "//", blockComment: ["/*", "*/"] });
    expect(conf.autoClosingPairs).toEqual(expect.arrayContaining([expect.objectContaining({ open: '#"', close: '"#' })]));
  });

  it("contributes the commands and the server settings", () => {
    const commands = Object.fromEntries(manifest.contributes.commands.map((c: { command: string; title: string; category: string }) => [c.command, `${c.category}: ${c.title}`]));
    expect(commands).toMatchObject({ "awr.showGraph": "AWR: Show graph", "awr.runTests": "AWR: Run tests in file" });
    const props = manifest.contributes.configuration.properties;
    expect(props["awr.server.path"]).toMatchObject({ type: "string", default: "" });
    expect(props["awr.server.args"]).toMatchObject({ type: "array", default: [] });
  });

  it("pins its tooling and is packaged by the root script", () => {
    expect(manifest.devDependencies["@vscode/vsce"]).toBe("3.7.1");
    expect(manifest.dependencies["vscode-languageclient"]).toMatch(/^\^9\./);
    const lock = JSON.parse(readFileSync(join(EXT, "package-lock.json"), "utf8"));
    expect(lock.packages["node_modules/@vscode/vsce"].version).toBe("3.7.1");
    const root = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(root.scripts["package:vscode"]).toContain("npm ci --prefix vscode-extension");
    const ignore = readFileSync(join(EXT, ".vscodeignore"), "utf8");
    expect(ignore).toContain("!server/**");
    expect(ignore).toContain("!dist/extension.js");
  });
});

let vsix: Buffer | undefined;
let entries: ZipEntry[] = [];
let tmp = "";
describe("the .vsix built by npm run package:vscode's steps", () => {
  beforeAll(() => {
    if (!HAS_DEPS) throw new Error("vscode-extension's dependencies are missing: run npm run test:vscode (it installs them with npm ci --prefix vscode-extension)");
    tmp = mkdtempSync(join(tmpdir(), "awr-vsix-"));
    const build = spawnSync(process.execPath, [join(EXT, "scripts", "build.mjs")], { cwd: EXT, encoding: "utf8" });
    expect(build.status, build.stderr).toBe(0);
    const file = join(tmp, "awr.vsix");
    const pack = spawnSync(process.execPath, [VSCE, "package", "--no-dependencies", "--out", file], { cwd: EXT, encoding: "utf8" });
    expect(pack.status, `${pack.stdout}\n${pack.stderr}`).toBe(0);
    vsix = readFileSync(file);
    entries = zipEntries(vsix);
  }, 120_000);
  afterAll(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  const entry = (name: string) => entries.find((e) => e.name === name);
  const read = (name: string) => {
    const e = entry(name);
    if (!e) throw new Error(`${name} is not in the .vsix`);
    return zipRead(vsix!, e);
  };

  it("holds the manifest with the activation events and contributions", () => {
    const packed = JSON.parse(read("extension/package.json").toString("utf8"));
    expect(packed.activationEvents).toEqual(expect.arrayContaining(["onLanguage:awr", "workspaceContains:**/*.awr"]));
    expect(packed.contributes.languages[0]).toMatchObject({ id: "awr", extensions: [".awr"] });
    expect(packed.contributes.grammars[0]).toMatchObject({ scopeName: "source.awr" });
    // every path the manifest names is inside the package
    for (const p of [packed.main, packed.contributes.grammars[0].path, packed.contributes.languages[0].configuration]) {
      expect(entry(join("extension", p).replace(/\\/g, "/")), p).toBeDefined();
    }
    expect(read("extension.vsixmanifest").toString("utf8")).toContain('Id="awr-vscode"');
  });

  it("bundles the awr server, its package root and the stdlib, and nothing else", () => {
    const server = `extension/${BUNDLED_SERVER.replace(/\\/g, "/")}`;
    expect(entry(server)).toBeDefined();
    expect(JSON.parse(read("extension/server/package.json").toString("utf8"))).toMatchObject({ name: "awr", type: "module" });
    expect(entry("extension/server/stdlib/std/pii.awr")).toBeDefined();
    const names = entries.map((e) => e.name);
    expect(names.filter((n) => n.includes("node_modules/"))).toEqual([]);
    expect(names.filter((n) => /^extension\/(src|scripts)\//.test(n) || n.endsWith(".ts"))).toEqual([]);
    expect(vsix!.length).toBeLessThan(5 * 1024 * 1024);
  });

  describe("the packaged server, extracted without node_modules", () => {
    let serverDir = "";
    beforeAll(() => {
      serverDir = join(tmp, "x");
      for (const e of entries.filter((e) => e.name.startsWith("extension/server/"))) {
        const out = join(serverDir, e.name.slice("extension/".length));
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, zipRead(vsix!, e));
      }
    });
    const awr = (args: string[]) => spawnSync(process.execPath, [join(serverDir, BUNDLED_SERVER), ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });

    it("exports a graph and runs tests (awr graph / awr test, as the commands do)", () => {
      const g = awr(["graph", "examples/support-triage/main.awr", "--format", "mermaid"]);
      expect(g.stderr).toBe("");
      expect(g.stdout).toMatch(/^flowchart TD\n {2}%% graph support_case\n/);
      const t = awr(["test", "examples/support-triage/main.awr"]);
      expect(t.status, t.stderr).toBe(0);
      expect(t.stdout.trim().split("\n").at(-1)).toBe("6 passed, 0 failed");
    });

    it("draws a graph from the packaged client: elkjs is bundled into dist/extension.js and lays it out", () => {
      const g = awr(["graph", "examples/support-triage/main.awr", "--format", "json"]);
      expect(g.status, g.stderr).toBe(0);
      const client = join(tmp, "client");
      mkdirSync(join(client, "dist"), { recursive: true });
      writeFileSync(join(client, "dist", "extension.js"), read("extension/dist/extension.js"));
      writeFileSync(join(client, "graph.json"), g.stdout);
      // VS Code provides \`vscode\` (a stand-in whose every member is a class: the language client
      // extends some at load); nothing else may be needed from outside the bundle.
      const script = `const Module = require("node:module");
const load = Module._load;
const vscode = new Proxy({}, { get: (_, k) => (k === "__esModule" ? false : class {}) });
Module._load = function (request, ...rest) { return request === "vscode" ? vscode : load.call(this, request, ...rest); };
const ext = require("./dist/extension.js");
ext.graphHtml({ title: "t", graph: ext.parseGraphJson(require("node:fs").readFileSync("graph.json", "utf8")), cspSource: "x", nonce: "n" }).then((html) => process.stdout.write(html));`;
      const r = spawnSync(process.execPath, ["-e", script], { cwd: client, encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/<path class="edge error" data-from="refund" data-to="escalate" d="M/);
      expect(r.stdout.match(/<g class="node step"/g)).toHaveLength(7);
    });

    it("speaks LSP over stdio: initialize, diagnostics for an open document, shutdown and exit", async () => {
      const child = spawn(process.execPath, [join(serverDir, BUNDLED_SERVER), "lsp", "--stdio"], { stdio: ["pipe", "pipe", "pipe"] });
      let buf = Buffer.alloc(0);
      const messages: { id?: number; method?: string; params?: any; result?: any }[] = [];
      const waiters: (() => void)[] = [];
      child.stdout.on("data", (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
          const head = buf.indexOf("\r\n\r\n");
          if (head < 0) break;
          const len = Number(/Content-Length: (\d+)/i.exec(buf.subarray(0, head).toString())?.[1]);
          if (buf.length < head + 4 + len) break;
          messages.push(JSON.parse(buf.subarray(head + 4, head + 4 + len).toString("utf8")));
          buf = buf.subarray(head + 4 + len);
          waiters.splice(0).forEach((w) => w());
        }
      });
      const send = (m: object) => {
        const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...m }), "utf8");
        child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
        child.stdin.write(body);
      };
      const until = async <T>(find: () => T | undefined): Promise<T> => {
        const deadline = Date.now() + 20_000;
        for (;;) {
          const hit = find();
          if (hit !== undefined) return hit;
          if (Date.now() > deadline) throw new Error(`timed out; got ${JSON.stringify(messages.map((m) => m.method ?? m.id))}`);
          await new Promise<void>((r) => {
            waiters.push(r);
            setTimeout(r, 200);
          });
        }
      };
      const exited = new Promise<number | null>((r) => child.on("close", r));
      const uri = `file://${join(tmp, "broken.awr")}`;

      send({ id: 1, method: "initialize", params: { processId: process.pid, rootUri: null, capabilities: {} } });
      const init = await until(() => messages.find((m) => m.id === 1));
      expect(init.result.capabilities).toMatchObject({ hoverProvider: true, definitionProvider: true });
      send({ method: "initialized", params: {} });
      send({ method: "textDocument/didOpen", params: { textDocument: { uri, languageId: "awr", version: 1, text: "graph g(x: string) -> string {\n  return y\n}\n" } } });
      const diags = await until(() => messages.find((m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri && m.params.diagnostics.length));
      expect(diags.params.diagnostics.map((d: { code: string }) => d.code)).toContain("AWR2001");
      send({ id: 2, method: "shutdown" });
      await until(() => messages.find((m) => m.id === 2));
      send({ method: "exit" });
      expect(await exited).toBe(0);
    }, 30_000);
  });
});
