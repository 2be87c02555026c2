// Attack: a failure message quotes a response body shortened to 200 characters; when the secret
// straddles the cut, redaction after truncation no longer finds the whole value and the first half
// of the secret leaks. Redaction must come before truncation, and a secret's prefix at a cut
// ("…", "...", the end of the text) is redacted too.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Tools } from "../../vm/tools/index.js";
import { absent, failure, never, obj, request, STR, toolPlan } from "./helpers.js";

const TOKEN = "tok-AAAA1111-BBBB2222-CCCC3333-DDDD";
let server: Server;
let base = "";
beforeAll(async () => {
  server = createServer((req, res) => {
    const at = Number(new URL(req.url!, "http://x").searchParams.get("at"));
    res.writeHead(500, { "content-type": "text/plain" });
    // the token starts `at` characters into the body: near 200, the clip cuts it
    res.end(`${"e".repeat(at)}${req.headers.authorization}`);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

describe("a secret cut by a truncation", () => {
  for (const at of [180, 185, 190]) {
    it(`an error body clipped inside the secret (secret at ${at}) leaves no prefix of it`, async () => {
      const plan = toolPlan({ params: obj({ at: STR }), returns: STR, impl: { kind: "http", method: "GET", url: `${base}/x`, headers: { authorization: "{env:AWR_SEC_TOKEN}" } } });
      const tools = new Tools({ baseDir: ".", secrets: { AWR_SEC_TOKEN: TOKEN } });
      const f = await failure(tools.call(request("t", plan, { at: String(at) }), never));
      await tools.close();
      expect(f.message).toContain("…");
      expect(f.message).toContain("[secr");
      absent("the message", f.message, TOKEN);
      expect(f.message).not.toContain(TOKEN.slice(0, 8));
    });
  }

});
