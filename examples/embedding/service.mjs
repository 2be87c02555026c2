// Embedding the VM in a service: load a compiled plan (no compiler needed), run a graph durably on
// a SQLite store, stream its events, and resume it later from another process if it waits.
//
//   npm run build
//   npx awr build examples/support-triage/main.awr -o /tmp/support.awrp
//   node examples/embedding/service.mjs /tmp/support.awrp
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRuntime, loadPlan, openStore, RecordedModels, Tools } from "awr/vm";

const here = dirname(fileURLToPath(import.meta.url));
const example = join(here, "..", "support-triage");
const planFile = process.argv[2] ?? "/tmp/support.awrp";

const plan = loadPlan(readFileSync(planFile));
const store = openStore(process.env.AWR_STORE ?? "memory:");
const runtime = createRuntime({
  plan,
  store,
  // Offline answers; use new OpenAIGateway({ validate }) for a real endpoint.
  models: RecordedModels.fromFile(join(example, "recorded.jsonl")),
  // js tools are found relative to the directory the plan's files were compiled from.
  tools: new Tools({ baseDir: example }),
});

const input = JSON.parse(readFileSync(join(example, "input.json"), "utf8"));
const runId = `embedding-${Date.now()}`;
const watching = (async () => {
  for await (const e of runtime.events(runId)) if (e.type === "step.finished") console.error(`step ${e.node}: ${e.status} in ${e.durationMs} ms`);
})();
const outcome = await runtime.start("support_case", input, { runId, principal: { id: "svc", roles: ["billing"], attrs: {} } });
await watching;
console.log(JSON.stringify({ runId: outcome.runId, status: outcome.status, output: outcome.output, pending: outcome.pending }, null, 2));
store.close();
