#!/usr/bin/env node
// The `awr` executable: runs the compiled CLI (dist/, built by `npm run build`).
let cli;
try {
  cli = await import("../dist/cli/main.js");
} catch (e) {
  if (e?.code === "ERR_MODULE_NOT_FOUND" && String(e.message).includes("dist")) {
    process.stderr.write('error: awr is not built (dist/cli/main.js is missing)\nhint: run "npm run build" in the awr package\n');
    process.exit(70);
  }
  throw e;
}
process.exitCode = await cli.main(process.argv.slice(2));
