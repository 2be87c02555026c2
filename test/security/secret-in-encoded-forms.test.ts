// Attack: a tool sends or returns its secret encoded — URL-encoded the strict way (`'` → %27),
// form-encoded (space → +), with lowercase hex, JSON-escaped (once or twice), in base64 (a Basic
// auth header `base64(user:secret)`, also base64url) — and a value-only redaction misses every one.
import { afterAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Tools } from "../../vm/tools/index.js";
import { absent, failure, jsTool, moduleDir, never, obj, request, STR, toolPlan } from "./helpers.js";

// Quotes, backslash, spaces, plus, slash, parentheses, `!*~` and a non-ASCII letter: every encoder
// below writes it differently.
const SECRET = `p'a$$ "w0rd"\\ +/(x)!*~é-Q9z`;
const B64 = (s: string) => Buffer.from(s).toString("base64");
const B64URL = (s: string) => Buffer.from(s).toString("base64url");
const strict = (s: string) => encodeURIComponent(s).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const form = (s: string) => new URLSearchParams({ k: s }).toString().slice(2);
const lower = (s: string) => s.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());

/** Every encoding of the secret that must not survive, by name. */
const FORMS: Record<string, string> = {
  raw: SECRET,
  uriComponent: encodeURIComponent(SECRET),
  rfc3986: strict(SECRET),
  form: form(SECRET),
  formLowerHex: lower(form(SECRET)),
  uri: encodeURI(SECRET),
  json: JSON.stringify(SECRET).slice(1, -1),
  jsonTwice: JSON.stringify(JSON.stringify(SECRET)).slice(1, -1),
  base64: B64(SECRET),
  basicAuth0: B64(`user:${SECRET}`),
  basicAuth1: B64(`admin:${SECRET}`),
  basicAuth2: B64(`me:${SECRET}`),
  base64url: B64URL(`user:${SECRET}`),
};

const mods = moduleDir({
  "enc.mjs": `
const s = process.env.AWR_SEC_PASS;
const strict = (v) => encodeURIComponent(v).replace(/[!'()*~]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
const form = (v) => new URLSearchParams({ k: v }).toString().slice(2);
const lower = (v) => v.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
const b64 = (v) => Buffer.from(v).toString("base64");
export function encodings() {
  return {
    raw: "x " + s, uriComponent: "q=" + encodeURIComponent(s), rfc3986: "q=" + strict(s), form: "q=" + form(s) + "&z=1",
    formLowerHex: lower(form(s)), uri: encodeURI(s), json: JSON.stringify({ p: s }), jsonTwice: JSON.stringify(JSON.stringify({ p: s })),
    base64: b64(s), basicAuth0: "Basic " + b64("user:" + s), basicAuth1: "Basic " + b64("admin:" + s), basicAuth2: "Basic " + b64("me:" + s),
    base64url: Buffer.from("user:" + s).toString("base64url"),
  };
}
export function throwsObject() {
  // not an Error: its message is the object as JSON, where the secret is JSON-escaped
  throw { reason: "denied", password: s };
}
`,
});

let server: Server;
let base = "";
const tools = new Tools({ baseDir: mods.dir, secrets: { AWR_SEC_PASS: SECRET, AWR_SEC_USER: "svc-user" } });
afterAll(async () => {
  await tools.close();
  mods.remove();
  if (server) await new Promise((r) => server.close(r));
});

/** True when `text` (or its base64 decoding) still gives away the secret or half of it. */
function leaks(text: string): boolean {
  const half = (s: string) => [s.slice(0, Math.ceil(s.length / 2)), s.slice(-Math.ceil(s.length / 2))];
  const decoded = [text, ...text.split(/[\s"]+/).map((w) => Buffer.from(w.replace(/^Basic/, ""), "base64").toString("latin1"))];
  const decodedUtf8 = text.split(/[\s"]+/).map((w) => Buffer.from(w, "base64").toString("utf8"));
  for (const t of [...decoded, ...decodedUtf8]) for (const needle of [SECRET, ...half(SECRET)]) if (t.includes(needle)) return true;
  for (const f of Object.values(FORMS)) for (const needle of [f, ...half(f)]) if (needle.length >= 6 && text.includes(needle)) return true;
  return false;
}

describe("secrets in encoded forms", () => {
  it("the sanity of the oracle: each raw form leaks", () => {
    for (const [name, f] of Object.entries(FORMS)) expect(leaks(`header ${f} trailer`), name).toBe(true);
  });

  it("every encoding a js tool returns is redacted", async () => {
    const v = (await tools.call(request("enc", jsTool("enc.mjs", "encodings", ["AWR_SEC_PASS"])), never)) as Record<string, string>;
    for (const name of Object.keys(FORMS)) {
      expect(leaks(v[name]!), `${name}: ${v[name]}`).toBe(false);
      expect(v[name], name).toContain("[secret AWR_SEC_PASS]");
    }
  });

  it("a thrown non-Error object: the JSON-escaped secret in the message is redacted", async () => {
    const f = await failure(tools.call(request("enc", jsTool("enc.mjs", "throwsObject", ["AWR_SEC_PASS"])), never));
    expect(f.message).toContain('"password":"[secret AWR_SEC_PASS]"');
    absent("the failure", JSON.stringify(f), SECRET);
    expect(leaks(JSON.stringify(f))).toBe(false);
  });

  it("an http tool whose server echoes the form-encoded query and the Basic auth header", async () => {
    server = createServer((req, res) => {
      res.writeHead(401, { "content-type": "text/plain" });
      res.end(`rejected ${req.url} with ${req.headers.authorization}`);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const plan = toolPlan({
      params: obj({ q: STR }),
      returns: STR,
      // `q` goes in the query string (form-encoded by URLSearchParams); the password in the URL hole
      impl: { kind: "http", method: "GET", url: `${base}/login?pw={env:AWR_SEC_PASS}`, headers: { authorization: "Basic {env:AWR_SEC_BASIC}" } },
    });
    const basic = B64(`svc-user:${SECRET}`);
    const t = new Tools({ baseDir: mods.dir, secrets: { AWR_SEC_PASS: SECRET, AWR_SEC_BASIC: basic } });
    const f = await failure(t.call(request("login", plan, { q: SECRET }), never));
    await t.close();
    expect(f.kind).toBe("auth");
    expect(f.message).toContain("[secret AWR_SEC_PASS]");
    expect(leaks(f.message), f.message).toBe(false);
  });
});
