// Builds the extension: the language client (dist/extension.js, CommonJS, as VS Code loads it) and
// the awr command bundled from the root project's build output (server/awr.mjs, ESM, code-split so
// the lazily imported parts of the CLI stay lazy). Run the root `npm run build` first.
//
// server/ is laid out like a tiny copy of the awr package: `package.json` named "awr" (the CLI finds
// its package root — and from it `stdlib/` and its version — by walking up to that file) and
// `stdlib/`. Native modules are external: better-sqlite3 is only reached by `awr run`/`resume`/
// `runs`/`replay` (host/stores.ts → vm/store/index.ts → vm/store/sqlite.ts), which the extension never
// calls; msgpackr-extract is optional for msgpackr (it falls back to pure JS).
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(dirname(fileURLToPath(import.meta.url))); // vscode-extension/
const root = dirname(here);
const watch = process.argv.includes("--watch");
const started = Date.now();

const cliEntry = join(root, "dist", "cli", "main.js");
if (!existsSync(cliEntry)) {
  console.error(`error: ${cliEntry} is missing\nhint: run "npm run build" in ${root} first`);
  process.exit(1);
}

rmSync(join(here, "dist"), { recursive: true, force: true });
rmSync(join(here, "server"), { recursive: true, force: true });

/** @type {import("esbuild").BuildOptions} */
const client = {
  entryPoints: { extension: join(here, "src", "extension.ts") },
  outdir: join(here, "dist"),
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node18", // VS Code 1.85's extension host
  external: ["vscode"],
  minify: !watch,
  sourcemap: watch ? "inline" : false,
  logLevel: "warning",
};

// With code splitting, a dynamic import() of a CommonJS package becomes a chunk with only a default
// export, so `const { createConnection } = await import("vscode-languageserver/node")` (cli/commands/
// lsp.ts) would get undefined. For dynamic imports of the packages below, this shim re-exports every
// name from a static import, which esbuild's CommonJS interop handles.
const CJS_DYNAMIC = ["vscode-languageserver/node"];
const rootRequire = createRequire(join(root, "package.json"));
/** @type {import("esbuild").Plugin} */
const cjsNamedExports = {
  name: "cjs-named-exports",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      args.kind === "dynamic-import" && CJS_DYNAMIC.includes(args.path) ? { path: args.path, namespace: "awr-shim", pluginData: { resolveDir: args.resolveDir } } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "awr-shim" }, (args) => {
      const names = Object.keys(rootRequire(args.path)).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== "default");
      return {
        contents: `import * as m from ${JSON.stringify(args.path)};\nexport const { ${names.join(", ")} } = m;\nexport default m;\n`,
        resolveDir: args.pluginData.resolveDir,
        loader: "js",
      };
    });
  },
};

/** @type {import("esbuild").BuildOptions} */
const server = {
  plugins: [cjsNamedExports],
  entryPoints: { awr: join(root, "bin", "awr.mjs") },
  outdir: join(here, "server"),
  outExtension: { ".js": ".mjs" },
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node18",
  external: ["better-sqlite3", "msgpackr-extract"],
  // CommonJS dependencies (vscode-languageserver, ...) call require() on Node built-ins.
  banner: { js: 'import { createRequire as __awrCreateRequire } from "node:module"; const require = __awrCreateRequire(import.meta.url);' },
  minify: !watch,
  legalComments: "none",
  logLevel: "warning",
  metafile: true,
};

if (watch) {
  for (const opts of [client, server]) await (await esbuild.context(opts)).watch();
  console.log("watching src/ and ../dist/ ...");
} else {
  await esbuild.build(client);
  const result = await esbuild.build(server);
  // The entry chunk must not import better-sqlite3 statically: `awr lsp` has to start without it.
  const entry = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint)?.[1];
  if (entry?.imports.some((i) => i.path === "better-sqlite3" && i.kind === "import-statement")) {
    console.error("error: server/awr.mjs imports better-sqlite3 at startup");
    process.exit(1);
  }
  const rootManifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  writeFileSync(
    join(here, "server", "package.json"),
    `${JSON.stringify({ name: "awr", version: rootManifest.version, private: true, type: "module", description: "The awr command bundled into the AWR VS Code extension (built by scripts/build.mjs)" }, null, 2)}\n`,
  );
  mkdirSync(join(here, "server", "stdlib"), { recursive: true });
  cpSync(join(root, "stdlib", "std"), join(here, "server", "stdlib", "std"), { recursive: true });
  const size = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  console.log(`built dist/extension.js and server/ (${(size / 1024).toFixed(0)} KiB of JS) in ${Date.now() - started} ms`);
}
