// awr keygen, awr build --sign, awr inspect of a signed plan, and the --trust flag's own errors.
// (The refusals themselves: test/security/plan-signing.test.ts.)
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { generateKeyPairSync } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fingerprintOf, readPlanHeader } from "../../compiler/plan/index.js";
import { awr } from "../helpers/awr-cli.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
let dir = "";
let fingerprint = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "awr-sign-cli-"));
  cpSync(join(FIXTURES, "clean.awr"), join(dir, "main.awr"));
  const k = await awr(["keygen", "keys/release"], { cwd: dir });
  expect(k.code, k.stderr).toBe(0);
  fingerprint = fingerprintOf(readFileSync(join(dir, "keys", "release.pub"), "utf8"));
  expect(k.stdout).toBe(`wrote keys/release.key (private key, mode 0600: keep it secret) and keys/release.pub (public key)\nfingerprint ${fingerprint}\n`);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.concurrent("awr keygen", () => {
  it("writes an Ed25519 private key readable only by its owner and a public key", () => {
    const key = readFileSync(join(dir, "keys", "release.key"), "utf8");
    expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(statSync(join(dir, "keys", "release.key")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, "keys", "release.pub"), "utf8")).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(fingerprintOf(key)).toBe(fingerprint);
  });

  it("never replaces an existing key", async () => {
    const before = readFileSync(join(dir, "keys", "release.key"));
    const r = await awr(["keygen", "keys/release"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: keys/release.key exists; awr keygen never replaces a key");
    expect(readFileSync(join(dir, "keys", "release.key")).equals(before)).toBe(true);
  });

  it("has help and is listed by awr --help with exit code 77", async () => {
    const h = await awr(["keygen", "--help"]);
    for (const s of ["Usage: awr keygen <NAME>", "Options:", "Examples:", "Exit codes:", "0600"]) expect(h.stdout).toContain(s);
    const main = await awr(["--help"]);
    expect(main.stdout).toMatch(/^ {2}keygen\b/m);
    expect(main.stdout).toMatch(/^ {2}77 +a plan refused by --trust/m);
  });
});

describe.concurrent("awr build --sign and awr inspect", () => {
  it("writes a signed plan (the header's signed flag set) that inspect shows with its signer's fingerprint", async () => {
    const b = await awr(["build", "main.awr", "-o", "signed.awrp", "--sign", "keys/release.key"], { cwd: dir });
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toMatch(new RegExp(`wrote signed\\.awrp \\(\\d+ bytes, signed by key ${fingerprint}\\)\\n$`));
    expect(readPlanHeader(readFileSync(join(dir, "signed.awrp")))).toMatchObject({ format: 5, signed: true });
    const text = await awr(["inspect", "signed.awrp"], { cwd: dir });
    expect(text.stdout.split("\n")[1]).toBe(`signed by ed25519 key ${fingerprint} (signature intact)`);
    const json = JSON.parse((await awr(["inspect", "--json", "signed.awrp"], { cwd: dir })).stdout);
    expect(json).toMatchObject({ format: 5, signed: true, signature: { algorithm: "ed25519", key: fingerprint, intact: true } });

    // One byte of the compiler version changed: still readable, the signature no longer matches.
    const bytes = readFileSync(join(dir, "signed.awrp"));
    bytes[7] = bytes[7]! ^ 1;
    writeFileSync(join(dir, "broken.awrp"), bytes);
    const broken = await awr(["inspect", "broken.awrp"], { cwd: dir });
    expect(broken.stdout.split("\n")[1]).toContain("SIGNATURE BROKEN: the plan was changed after it was signed");
  });

  it("an unsigned plan is shown as not signed, and has no signature in its JSON header", async () => {
    expect((await awr(["build", "main.awr", "-o", "plain.awrp"], { cwd: dir })).code).toBe(0);
    expect((await awr(["inspect", "plain.awrp"], { cwd: dir })).stdout.split("\n")[1]).toBe("not signed");
    expect(JSON.parse((await awr(["inspect", "--json", "plain.awrp"], { cwd: dir })).stdout)).not.toHaveProperty("signature");
  });

  it("--sign refuses a public key, another algorithm's key and a missing file, before compiling", async () => {
    const pub = await awr(["build", "main.awr", "-o", "x.awrp", "--sign", "keys/release.pub"], { cwd: dir });
    expect(pub.code).toBe(2);
    expect(pub.stderr).toContain("--sign keys/release.pub: not a private key");
    writeFileSync(join(dir, "rsa.key"), generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs8", format: "pem" }) as string);
    const rsa = await awr(["build", "main.awr", "-o", "x.awrp", "--sign", "rsa.key"], { cwd: dir });
    expect(rsa.code).toBe(2);
    expect(rsa.stderr).toContain("the private key is rsa, not Ed25519");
    const missing = await awr(["build", "main.awr", "-o", "x.awrp", "--sign", "nope.key"], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read the signing key nope.key: ENOENT");
  });
});

describe.concurrent("--trust", () => {
  it("is an option of run, resume, resolve and replay", async () => {
    for (const cmd of ["run", "resume", "resolve", "replay"]) {
      const h = await awr([cmd, "--help"]);
      expect(h.stdout, cmd).toContain("--trust <key.pub>");
      expect(h.stdout, cmd).toMatch(/^ {2}77 /m);
    }
  });

  it("takes public key files: a private key, a missing file or a file that is no key is a usage error", async () => {
    const run = (trust: string) => awr(["run", "main.awr", "--input", "{}", "--store", "memory:", "--trust", trust], { cwd: dir });
    const priv = await run("keys/release.key");
    expect(priv.code).toBe(2);
    expect(priv.stderr).toContain("trusted key keys/release.key: this is a private key; trust takes the public key");
    const missing = await run("nope.pub");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read the trusted key nope.pub: ENOENT");
    const junk = await run("main.awr");
    expect(junk.code).toBe(2);
    expect(junk.stderr).toContain("trusted key main.awr: not a readable public key");
  });
});
