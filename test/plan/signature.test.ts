// Signing and verifying plan bytes (compiler/plan/signature.ts): the signed flag and the signature
// block, each reason a plan is refused under a trust list, and signed plans of compilers 0.3.x
// (format 4) still verifying.
import { createHash, createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decodePlan, encodePlan, readPlanHeader } from "../../compiler/plan/codec.js";
import { PlanError, PlanTrustError, SigningKeyError, type PlanTrustErrorCode } from "../../compiler/plan/errors.js";
import { fingerprintOf, signPlan, signatureIntact, signingKey, trustedKey, verifyPlanSignature } from "../../compiler/plan/signature.js";
import { PLAN_FORMAT } from "../../compiler/plan/types.js";
import { format3Bytes } from "./legacy-plan.js";
import { samplePlan } from "./sample-plan.js";

function keys() {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    privatePem: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
    publicPem: publicKey.export({ type: "spki", format: "pem" }) as string,
  };
}
const alice = keys();
const mallory = keys();

function trustError(f: () => unknown): PlanTrustError {
  try {
    f();
  } catch (e) {
    if (e instanceof PlanTrustError) return e;
    throw e;
  }
  throw new Error("expected a PlanTrustError");
}
function refused(bytes: Uint8Array, trusted: string[], code: PlanTrustErrorCode, mention: RegExp) {
  const e = trustError(() => verifyPlanSignature(bytes, trusted));
  expect(e.code).toBe(code);
  expect(e._tag).toBe("PlanTrustError");
  expect(e.message).toMatch(mention);
}

/** What an attacker does to a plan file: change the body, then fix the header's checksum. */
function editWithChecksum(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const h = readPlanHeader(bytes);
  const out = Buffer.from(bytes);
  const body = out.subarray(h.bodyOffset, h.bodyOffset + h.bodyLength);
  const at = body.indexOf(from);
  expect(at).toBeGreaterThanOrEqual(0);
  body.write(to, at);
  createHash("sha256").update(body).digest().copy(out, h.bodyOffset - 36);
  return out;
}

describe("signed plans", () => {
  const unsigned = encodePlan(samplePlan());
  const signed = signPlan(unsigned, alice.privatePem);

  it("a signed plan is the unsigned file with the signed flag set and a 97-byte signature block; it decodes to the same plan", () => {
    expect(signed.length).toBe(unsigned.length + 97);
    const h = readPlanHeader(signed);
    const flagsAt = h.flagsAt!;
    expect(signed[flagsAt]).toBe(1);
    expect(unsigned[flagsAt]).toBe(0);
    expect(Buffer.from(signed.subarray(0, flagsAt)).equals(Buffer.from(unsigned.subarray(0, flagsAt)))).toBe(true);
    expect(Buffer.from(signed.subarray(flagsAt + 1, unsigned.length)).equals(Buffer.from(unsigned.subarray(flagsAt + 1)))).toBe(true);
    expect(h.format).toBe(PLAN_FORMAT);
    expect(h.signed).toBe(true);
    expect(h.signature).toEqual({ algorithm: "ed25519", key: fingerprintOf(alice.publicPem) });
    expect(readPlanHeader(unsigned).signature).toBeUndefined();
    expect(decodePlan(signed)).toStrictEqual(decodePlan(unsigned));
    expect(decodePlan(signed).format).toBe(PLAN_FORMAT);
  });

  it("signing is deterministic, and the fingerprint of a key is the same from its private and public halves", () => {
    expect(Buffer.from(signPlan(unsigned, alice.privatePem)).equals(Buffer.from(signed))).toBe(true);
    expect(fingerprintOf(alice.privatePem)).toBe(fingerprintOf(alice.publicPem));
    expect(fingerprintOf(alice.publicPem)).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprintOf(mallory.publicPem)).not.toBe(fingerprintOf(alice.publicPem));
  });

  it("verifies against a trusted key and names the signer", () => {
    expect(verifyPlanSignature(signed, [mallory.publicPem, alice.publicPem])).toEqual({ algorithm: "ed25519", key: fingerprintOf(alice.publicPem) });
    expect(signatureIntact(signed)).toBe(true);
    expect(signatureIntact(unsigned)).toBeUndefined();
  });

  it("refuses an unsigned plan", () => {
    refused(unsigned, [alice.publicPem], "PLAN_UNSIGNED", /not signed/);
  });

  it("refuses a plan signed by a key that is not trusted, naming both keys", () => {
    const other = signPlan(unsigned, mallory.privatePem);
    refused(other, [alice.publicPem], "PLAN_UNTRUSTED_KEY", new RegExp(`signed by key ${fingerprintOf(mallory.publicPem)}.*trusted: ${fingerprintOf(alice.publicPem)}`));
    refused(signed, [], "PLAN_UNTRUSTED_KEY", /no key is trusted/);
  });

  it("refuses a signed plan edited afterwards even with its checksum recomputed (decodePlan alone accepts it)", () => {
    const forged = editWithChecksum(signed, "urgent", "URGENT");
    expect(JSON.stringify(decodePlan(forged))).toContain("URGENT");
    refused(forged, [alice.publicPem], "PLAN_BAD_SIGNATURE", /changed after it was signed/);
    expect(signatureIntact(forged)).toBe(false);
  });

  it("refuses a signed plan whose header was edited (the compiler version), or that was re-signed by a stranger who swapped the key", () => {
    const header = Buffer.from(signed);
    header[7] = header[7]! ^ 1;
    refused(header, [alice.publicPem], "PLAN_BAD_SIGNATURE", /changed after/);
    // Mallory signs his edit and writes Alice's public key into the block: his signature fails under her key.
    const edited = signPlan(editWithChecksum(unsigned, "urgent", "URGENT"), mallory.privatePem);
    const end = edited.length - 97;
    Buffer.from(signed.subarray(signed.length - 96, signed.length - 64)).copy(Buffer.from(edited.buffer, edited.byteOffset), end + 1);
    refused(edited, [alice.publicPem], "PLAN_BAD_SIGNATURE", /changed after/);
  });

  it("refuses a downgrade: the signature block cut off and the signed flag cleared is an unsigned plan", () => {
    const cut = Buffer.from(signed.subarray(0, signed.length - 97));
    cut[readPlanHeader(signed).flagsAt!] = 0;
    expect(decodePlan(cut)).toStrictEqual(samplePlan());
    refused(cut, [alice.publicPem], "PLAN_UNSIGNED", /not signed/);
  });

  it("a flag this runtime does not know is refused, not ignored", () => {
    const odd = Buffer.from(unsigned);
    odd[readPlanHeader(unsigned).flagsAt!] = 2;
    expect(() => readPlanHeader(odd)).toThrow(/unknown flags 0x2/);
  });

  it("a signed plan of compilers 0.3.x (format 4: format 3 signed, no flags byte) still verifies and decodes", () => {
    // Signed as 0.3.x did: the format-3 file with 4 in the header, the block signing every byte before it.
    const old = format3Bytes(samplePlan());
    const out = new Uint8Array(old.length + 97);
    out.set(old, 0);
    new DataView(out.buffer).setUint16(4, 4);
    const pub = createPublicKey(alice.publicPem).export({ format: "jwk" }).x!;
    out[old.length] = 1;
    out.set(Buffer.from(pub, "base64url"), old.length + 1);
    out.set(sign(null, out.subarray(0, old.length), alice.privatePem), old.length + 33);
    expect(readPlanHeader(out)).toMatchObject({ format: 4, signed: true });
    expect(verifyPlanSignature(out, [alice.publicPem])).toEqual({ algorithm: "ed25519", key: fingerprintOf(alice.publicPem) });
    expect(decodePlan(out)).toStrictEqual(samplePlan());
    expect(() => signPlan(out, alice.privatePem)).toThrow(/format 4 \(build it again/);
  });

  it("a signed plan that is truncated, or has bytes after its signature, is not a readable plan", () => {
    expect(() => decodePlan(signed.subarray(0, signed.length - 1))).toThrow(PlanError);
    expect(() => verifyPlanSignature(signed.subarray(0, signed.length - 1), [alice.publicPem])).toThrow(/truncated/);
    const longer = Buffer.concat([signed, Buffer.from([0])]);
    expect(() => decodePlan(longer)).toThrow(/unexpected bytes after the signature/);
    refused(longer, [alice.publicPem], "PLAN_BAD_SIGNATURE", /changed after/);
  });

  it("a signed plan cannot be signed again", () => {
    expect(() => signPlan(signed, alice.privatePem)).toThrow(/signed already/);
  });

  it("keys: signing takes an Ed25519 private key, trust an Ed25519 public key; each refuses the other and other algorithms", () => {
    expect(signingKey(alice.privatePem).asymmetricKeyType).toBe("ed25519");
    expect(() => signingKey(alice.publicPem)).toThrow(SigningKeyError);
    expect(() => trustedKey(alice.privatePem)).toThrow(/private key; trust takes the public key/);
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 });
    expect(() => trustedKey(rsa.publicKey.export({ type: "spki", format: "pem" }) as string)).toThrow(/rsa, not Ed25519/);
    expect(() => signingKey(rsa.privateKey.export({ type: "pkcs8", format: "pem" }) as string)).toThrow(/rsa, not Ed25519/);
    expect(() => trustedKey("hello")).toThrow(/not a readable public key/);
    const encrypted = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pw" }) as string;
    expect(() => signingKey(encrypted)).toThrow(/encrypted/);
  });
});
