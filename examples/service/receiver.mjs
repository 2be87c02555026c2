// A webhook receiver for `awr serve --webhook-secret …` (README.md): checks each delivery's
// Standard Webhooks signature with the `standardwebhooks` package and prints the event.
//
//   AWR_WEBHOOK_SECRET=whsec_… node examples/service/receiver.mjs     # listens on 127.0.0.1:9000
//
// A delivery with a bad or missing signature is answered 400 (the server retries it, then gives
// up); a good one 204. test/server/example-service.test.ts imports `startReceiver`.
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { Webhook } from "standardwebhooks";

/**
 * Listens on `host:port` (port 0: any free port) and calls `onEvent` with each verified event
 * (`{ type, timestamp, data }`). Resolves to `{ url, close }` once it listens.
 */
export async function startReceiver({ secret, port = 9000, host = "127.0.0.1", onEvent = print, onRefused = () => {} }) {
  const webhook = new Webhook(secret);
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      let event;
      try {
        // Checks webhook-id, webhook-timestamp (within 5 minutes) and webhook-signature.
        event = webhook.verify(body, req.headers);
      } catch (e) {
        onRefused(e);
        res.writeHead(400).end();
        return;
      }
      res.writeHead(204).end();
      onEvent(event, req.headers["webhook-id"]);
    });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const { port: bound } = server.address();
  return { url: `http://${host}:${bound}/hook`, close: () => new Promise((r) => server.close(() => r())) };
}

function print(event, id) {
  const { runId, status, output, pending } = event.data ?? {};
  console.log(`${event.type} ${runId} ${status} (webhook-id ${id}, signature ok)`);
  if (pending) console.log(`  waiting for: ${JSON.stringify(pending)}`);
  if (output !== undefined) console.log(`  output: ${JSON.stringify(output)}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const secret = process.env.AWR_WEBHOOK_SECRET;
  if (!secret) {
    console.error("set AWR_WEBHOOK_SECRET to the server's whsec_… secret");
    process.exit(2);
  }
  const r = await startReceiver({ secret, port: Number(process.env.PORT ?? 9000), onRefused: (e) => console.error(`refused a delivery: ${e.message}`) });
  console.log(`receiver: listening on ${r.url}`);
}
