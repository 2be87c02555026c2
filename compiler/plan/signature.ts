// Signed plans (docs/plan.md § Signatures): an Ed25519 signature over the exact bytes of a plan
// file, and the check that a plan was signed by one of the keys a runtime trusts.
//
// It lives beside the codec because it is the same file layout, and under compiler/plan because
// both sides need it: the compiler's CLI signs, the VM (which imports compiler/plan only) verifies.
// It is not IO: bytes and keys in, bytes or a verdict out. Ed25519 signing is deterministic, so a
// plan signed twice with one key is the same file. Keys are created elsewhere (`awr keygen`).
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import {
  ED25519,
  ED25519_KEY_BYTES,
  SIGNATURE_BLOCK_BYTES,
  SIGNED_FORMAT,
  keyFingerprint,
  readPlanHeader,
  readSignatureBlock,
  type PlanSignature,
} from "./file.js";
import { PlanError, PlanTrustError, SigningKeyError } from "./errors.js";
import { PLAN_FORMAT } from "./format.js";

/** A key as the API takes it: PEM text or a `KeyObject`. */
export type KeyInput = string | KeyObject;

/**
 * Signs an unsigned plan of this compiler's format: the same bytes with the header's signed flag
 * set, then the signature block (algorithm, the signer's public key, the signature of every byte
 * before the block).
 */
export function signPlan(unsigned: Uint8Array, privateKey: KeyInput): Uint8Array {
  const key = signingKey(privateKey);
  const header = readPlanHeader(unsigned);
  if (header.format !== PLAN_FORMAT || header.flagsAt === undefined) throw new PlanError("PLAN_INVALID", `only a plan of format ${PLAN_FORMAT} can be signed; this one is format ${header.format} (build it again with this awr)`);
  if (header.signed) throw new PlanError("PLAN_INVALID", "the plan is signed already");
  const end = header.bodyOffset + header.bodyLength;
  if (unsigned.length !== end) throw new PlanError("PLAN_INVALID", `plan is ${unsigned.length} bytes, its header says ${end}`);
  const out = new Uint8Array(end + SIGNATURE_BLOCK_BYTES);
  out.set(unsigned, 0);
  out[header.flagsAt] = out[header.flagsAt]! | 1;
  const signature = sign(null, out.subarray(0, end), key);
  out[end] = ED25519;
  out.set(rawPublicKey(createPublicKey(key)), end + 1);
  out.set(signature, end + 1 + ED25519_KEY_BYTES);
  return out;
}

/**
 * Checks that `bytes` is a plan signed by one of `trusted`, unchanged since: returns who signed it,
 * or throws `PlanTrustError` (PLAN_UNSIGNED, PLAN_UNTRUSTED_KEY, PLAN_BAD_SIGNATURE), or
 * `PlanError` for a file that is not a readable plan at all. Reads no more than the header and the
 * signature block; the body is checked by `decodePlan` as for any plan.
 */
export function verifyPlanSignature(bytes: Uint8Array, trusted: readonly KeyInput[]): PlanSignature {
  const keys = trusted.map(trustedKey);
  const fingerprints = keys.map((k) => keyFingerprint(rawPublicKey(k)));
  const which = fingerprints.length ? `trusted: ${fingerprints.join(", ")}` : "no key is trusted";
  const header = readPlanHeader(bytes);
  if (!header.signed) {
    throw new PlanTrustError("PLAN_UNSIGNED", `the plan is not signed, and only plans signed by a trusted key may run (${which})`);
  }
  const end = header.bodyOffset + header.bodyLength;
  const block = readSignatureBlock(bytes, end);
  const i = fingerprints.indexOf(block.signature.key);
  if (i < 0) throw new PlanTrustError("PLAN_UNTRUSTED_KEY", `the plan is signed by key ${block.signature.key}, which is not trusted (${which})`);
  if (bytes.length !== end + SIGNATURE_BLOCK_BYTES || !verify(null, bytes.subarray(0, end), keys[i]!, block.value)) {
    throw new PlanTrustError("PLAN_BAD_SIGNATURE", `the plan's bytes do not match its signature by key ${block.signature.key}: it was changed after it was signed`);
  }
  return block.signature;
}

/**
 * Whether a signed plan's signature matches its bytes under the key it names (no trust involved:
 * anyone can sign with a key of their own). For `awr inspect`; undefined for an unsigned plan.
 */
export function signatureIntact(bytes: Uint8Array): boolean | undefined {
  const header = readPlanHeader(bytes);
  if (!header.signed) return undefined;
  const end = header.bodyOffset + header.bodyLength;
  const block = readSignatureBlock(bytes, end);
  const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(block.publicKey).toString("base64url") }, format: "jwk" });
  return bytes.length === end + SIGNATURE_BLOCK_BYTES && verify(null, bytes.subarray(0, end), key, block.value);
}

/** The fingerprint of a public (or private) key, as signed plans and `awr inspect` name it. */
export function fingerprintOf(key: KeyInput): string {
  const k = typeof key === "string" ? (isPrivatePem(key) ? createPublicKey(createPrivateKey(key)) : trustedKey(key)) : key.type === "private" ? createPublicKey(key) : key;
  return keyFingerprint(rawPublicKey(ed25519(k, "key")));
}

/** An Ed25519 private key from PEM (PKCS#8, as `awr keygen` or `openssl genpkey -algorithm ed25519` write it). */
export function signingKey(key: KeyInput): KeyObject {
  let k: KeyObject;
  if (typeof key === "string") {
    if (!isPrivatePem(key)) throw new SigningKeyError("not a private key: expected a PEM block \"BEGIN PRIVATE KEY\" (awr keygen writes one to NAME.key)");
    if (key.includes("ENCRYPTED")) throw new SigningKeyError("the private key is encrypted; awr signs with unencrypted PKCS#8 keys (keep the file itself private: mode 0600)");
    try {
      k = createPrivateKey(key);
    } catch (e) {
      throw new SigningKeyError(`not a readable private key: ${(e as Error).message}`);
    }
  } else k = key;
  if (k.type !== "private") throw new SigningKeyError("not a private key");
  return ed25519(k, "private key");
}

/** An Ed25519 public key from PEM (SPKI, `BEGIN PUBLIC KEY`, as `awr keygen` writes NAME.pub). A private key is refused: trust needs only the public half. */
export function trustedKey(key: KeyInput): KeyObject {
  let k: KeyObject;
  if (typeof key === "string") {
    if (isPrivatePem(key)) throw new SigningKeyError("this is a private key; trust takes the public key (NAME.pub), which is all a runtime needs and safe to share");
    try {
      k = createPublicKey(key);
    } catch (e) {
      throw new SigningKeyError(`not a readable public key: ${(e as Error).message}`);
    }
  } else k = key;
  if (k.type !== "public") throw new SigningKeyError("trust takes a public key, not a private one");
  return ed25519(k, "public key");
}

function ed25519(k: KeyObject, what: string): KeyObject {
  if (k.asymmetricKeyType !== "ed25519") throw new SigningKeyError(`the ${what} is ${k.asymmetricKeyType ?? "not an asymmetric key"}, not Ed25519 (make one with awr keygen)`);
  return k;
}

function rawPublicKey(k: KeyObject): Uint8Array {
  return Buffer.from(k.export({ format: "jwk" }).x!, "base64url");
}

function isPrivatePem(text: string): boolean {
  return /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text);
}
