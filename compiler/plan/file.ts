// The .awrp file: a fixed header, then the msgpack body.
//
// Format 5 (written by this compiler):
//
//   offset     size  field
//   0          4     magic "AWRP"
//   4          2     plan format version, u16 big-endian
//   6          1     n = byte length of the compiler version (UTF-8)
//   7          n     compiler version
//   7+n        1     flags: bit 0 = signed (the other bits must be 0)
//   8+n        32    sha256 of the body
//   40+n       4     body length in bytes, u32 big-endian
//   44+n       ...   body: msgpack of the Plan
//   44+n+L     97    signed plans only: the signature block (signature.ts)
//
// The signature covers every byte before the block, header (with its flag) included.
//
// Formats 3 and 4 (compilers 0.3.x) are still read, so plans built and runs started before an
// upgrade keep working: the same header without the flags byte, format 4 meaning "format 3,
// signed". Their bodies lack only what format 5 added (an await's `key`), which codec.ts fills in
// with its default; the stored bytes — and so a run's plan hash — never change.
//
// Architecture Invariant: the header is validated before one byte of the body is decoded, and the
// first three header fields keep this layout in every format version, so a plan from any other
// version is named (format and compiler) rather than misread.
//
// This module writes and reads the bytes; codec.ts's `decodePlan` adds the body's validation
// against the zod schema (types.ts), so what writes plans (the compiler, `awr build`) loads no zod.

import { createHash } from "node:crypto";
// msgpackr's plain entry: its main entry also loads the native string extractor (msgpackr-extract,
// ~14 modules and a native addon), which only decoding uses — codec.ts loads it.
import { Packr } from "msgpackr/pack";
import { PlanError } from "./errors.js";
import { PLAN_FORMAT, PLAN_FORMAT_SINCE } from "./format.js";
import type { Plan } from "./types.js";

export const PLAN_MAGIC = "AWRP";
const MAGIC = new TextEncoder().encode(PLAN_MAGIC);
const SHA256_BYTES = 32;

/** The header format of a signed plan of compilers 0.3.x (read, never written): its body is format 3. */
export const SIGNED_FORMAT = 4;
/** The format before the flags byte, still read: 3 (unsigned; 4 is the same signed). */
export const LEGACY_FORMAT = 3;
/** Format 5's flags byte: the plan is signed (a signature block follows the body). */
const FLAG_SIGNED = 1;
/** Signature algorithm ids (the block's first byte). */
export const ED25519 = 1;
export const ED25519_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
/** The block after a signed plan's body: algorithm (1), the signer's raw public key (32), the signature (64). */
export const SIGNATURE_BLOCK_BYTES = 1 + ED25519_KEY_BYTES + ED25519_SIGNATURE_BYTES;

/** Who signed a plan: the algorithm and the fingerprint of the signer's key (sha256 of its 32 raw bytes, hex). */
export interface PlanSignature {
  algorithm: "ed25519";
  key: string;
}

export interface PlanHeader {
  magic: string;
  format: number;
  compiler: string;
  /** sha256 of the body, lowercase hex. */
  sha256: string;
  bodyLength: number;
  /** Where the body starts in the file. */
  bodyOffset: number;
  /** Whether a signature block follows the body (format 5 with the signed flag, or format 4). */
  signed: boolean;
  /** Format 5: the offset of the flags byte (where signing sets the signed flag). */
  flagsAt?: number;
  /** A signed plan's signer (not verified here: see `verifyPlanSignature`). */
  signature?: PlanSignature;
}

// Plain msgpack maps (no record extension) so any msgpack reader can read a body; optional fields
// that are undefined are left out (`skipValues` is supported by msgpackr 1.12 but not in its types).
const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: "number", skipValues: [undefined] } as ConstructorParameters<typeof Packr>[0]);

export function encodePlan(plan: Plan): Uint8Array {
  const body = packr.pack(plan);
  const compiler = new TextEncoder().encode(plan.compiler);
  if (compiler.length > 255) throw new Error(`compiler version is longer than 255 bytes: ${plan.compiler}`);
  const out = new Uint8Array(7 + compiler.length + 1 + SHA256_BYTES + 4 + body.length);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint16(4, PLAN_FORMAT);
  out[6] = compiler.length;
  out.set(compiler, 7);
  let at = 7 + compiler.length;
  out[at++] = 0; // flags: unsigned
  out.set(sha256(body), at);
  at += SHA256_BYTES;
  view.setUint32(at, body.length);
  out.set(body, at + 4);
  return out;
}

/** Reads and checks the header only: magic, format version, completeness. Does not hash the body. */
export function readPlanHeader(bytes: Uint8Array): PlanHeader {
  const magicLen = Math.min(bytes.length, MAGIC.length);
  for (let i = 0; i < magicLen; i++) {
    if (bytes[i] !== MAGIC[i]) {
      throw new PlanError("PLAN_BAD_MAGIC", `not an AWR plan: expected magic "${PLAN_MAGIC}", found ${describeBytes(bytes.subarray(0, 4))}`);
    }
  }
  if (bytes.length === 0) throw new PlanError("PLAN_TRUNCATED", "plan file is empty");
  if (bytes.length < 7) throw new PlanError("PLAN_TRUNCATED", `plan is truncated: ${bytes.length} bytes, too short for the header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const format = view.getUint16(4);
  const n = bytes[6]!;
  const compiler = bytes.length >= 7 + n ? new TextDecoder().decode(bytes.subarray(7, 7 + n)) : undefined;
  if (format !== PLAN_FORMAT && format !== LEGACY_FORMAT && format !== SIGNED_FORMAT) throw versionError(format, compiler);
  const flagsAt = format === PLAN_FORMAT ? 7 + n : undefined;
  const shaAt = 7 + n + (flagsAt === undefined ? 0 : 1);
  const fixedEnd = shaAt + SHA256_BYTES + 4;
  if (compiler === undefined || bytes.length < fixedEnd) {
    throw new PlanError("PLAN_TRUNCATED", `plan is truncated: ${bytes.length} bytes, the header alone needs ${fixedEnd}`);
  }
  const flags = flagsAt === undefined ? 0 : bytes[flagsAt]!;
  if (flags & ~FLAG_SIGNED) throw new PlanError("PLAN_INVALID", `plan header has unknown flags 0x${flags.toString(16)} (this runtime knows 0x1, signed)`);
  const signed = format === SIGNED_FORMAT || (flags & FLAG_SIGNED) !== 0;
  const sha = Buffer.from(bytes.subarray(shaAt, shaAt + SHA256_BYTES)).toString("hex");
  const bodyLength = view.getUint32(shaAt + SHA256_BYTES);
  const header: PlanHeader = { magic: PLAN_MAGIC, format, compiler, sha256: sha, bodyLength, bodyOffset: fixedEnd, signed };
  if (flagsAt !== undefined) header.flagsAt = flagsAt;
  if (signed) header.signature = readSignatureBlock(bytes, fixedEnd + bodyLength).signature;
  return header;
}

/** The signature block of a signed plan that starts at `at` (the end of the body). */
export function readSignatureBlock(bytes: Uint8Array, at: number): { signature: PlanSignature; publicKey: Uint8Array; value: Uint8Array } {
  if (bytes.length < at + SIGNATURE_BLOCK_BYTES) {
    throw new PlanError("PLAN_TRUNCATED", `signed plan is truncated: ${bytes.length} bytes, its body and signature need ${at + SIGNATURE_BLOCK_BYTES}`);
  }
  const algorithm = bytes[at]!;
  if (algorithm !== ED25519) throw new PlanError("PLAN_INVALID", `plan is signed with unknown algorithm ${algorithm} (this runtime knows 1, Ed25519)`);
  const publicKey = bytes.subarray(at + 1, at + 1 + ED25519_KEY_BYTES);
  const value = bytes.subarray(at + 1 + ED25519_KEY_BYTES, at + SIGNATURE_BLOCK_BYTES);
  return { signature: { algorithm: "ed25519", key: keyFingerprint(publicKey) }, publicKey, value };
}

/** The fingerprint of an Ed25519 public key: sha256 of its 32 raw bytes, lowercase hex. */
export function keyFingerprint(rawPublicKey: Uint8Array): string {
  return Buffer.from(sha256(rawPublicKey)).toString("hex");
}

/**
 * The body of a plan file, unpacked but not validated: the header checked, then the length, the
 * checksum and the msgpack. `decodePlan` (codec.ts) validates it.
 */
export function readPlanBody(bytes: Uint8Array): { header: PlanHeader; raw: unknown } {
  const header = readPlanHeader(bytes);
  const trailer = header.signed ? SIGNATURE_BLOCK_BYTES : 0;
  const available = bytes.length - header.bodyOffset - trailer;
  if (available < header.bodyLength) {
    throw new PlanError("PLAN_TRUNCATED", `plan is truncated: body has ${available} of ${header.bodyLength} bytes`);
  }
  if (available > header.bodyLength) {
    throw new PlanError("PLAN_INVALID", `plan has ${available - header.bodyLength} unexpected bytes after the ${trailer ? "signature" : "body"}`);
  }
  const body = bytes.subarray(header.bodyOffset, header.bodyOffset + header.bodyLength);
  if (Buffer.from(sha256(body)).toString("hex") !== header.sha256) {
    throw new PlanError("PLAN_CHECKSUM", "plan body does not match its sha256 checksum: the file is corrupted");
  }
  try {
    return { header, raw: packr.unpack(body) };
  } catch (e) {
    throw new PlanError("PLAN_INVALID", `plan body is not valid msgpack: ${oneLine(e instanceof Error ? e.message : String(e))}`);
  }
}

function versionError(format: number, compiler: string | undefined): PlanError {
  const by = compiler === undefined ? "" : ` (built by compiler ${compiler})`;
  return format > PLAN_FORMAT
    ? new PlanError(
        "PLAN_VERSION",
        `plan format ${format}${by} is newer than this runtime's ${PLAN_FORMAT}; rebuild with a compiler that writes format ${PLAN_FORMAT} (≥ ${PLAN_FORMAT_SINCE}) or upgrade the runtime`,
      )
    : new PlanError(
        "PLAN_VERSION",
        `plan format ${format}${by} is older than this runtime's ${PLAN_FORMAT}; rebuild with compiler ≥ ${PLAN_FORMAT_SINCE}`,
      );
}

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash("sha256").update(bytes).digest();
}

function describeBytes(bytes: Uint8Array): string {
  if (bytes.length === 0) return "nothing";
  const printable = Array.from(bytes).every((b) => b >= 0x20 && b < 0x7f);
  return printable ? JSON.stringify(new TextDecoder().decode(bytes)) : Buffer.from(bytes).toString("hex").replace(/(..)(?!$)/g, "$1 ");
}

export function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}
