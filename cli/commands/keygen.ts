// `awr keygen NAME`: an Ed25519 key pair for signing plans (`awr build --sign NAME.key`) and
// trusting them (`awr run --trust NAME.pub`). The private key is written 0600 and never replaces a file.
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fingerprintOf } from "../../compiler/plan/signature.js";
import { type Command, onePositional } from "../command.js";
import { Exit, UsageError, displayPath } from "../io.js";

export const keygen: Command = {
  name: "keygen",
  summary: "Make an Ed25519 key pair for signing plans",
  options: {},
  help: `Make an Ed25519 key pair for signing plans: NAME.key (the private key, PKCS#8 PEM, file mode
0600) and NAME.pub (the public key, SPKI PEM). Sign with the private key, give the public one to
the runtimes that should run your plans; the key's fingerprint is printed (awr inspect shows the
fingerprint of the key a plan is signed by). Existing files are never replaced.

Usage: awr keygen <NAME>

Keep NAME.key out of the repository and off the machines that only run plans: whoever holds it
can sign plans those machines trust. \`openssl genpkey -algorithm ed25519\` makes an equivalent key.

Options:
  -h, --help  Show this help

Examples:
  awr keygen release
  awr build main.awr -o main.awrp --sign release.key
  awr run main.awrp --trust release.pub --input @input.json

Exit codes:
  0  both files written
  2  usage error, NAME.key or NAME.pub exists, or a file cannot be written
`,
  run(args, io) {
    const name = onePositional("keygen", args, "key name");
    if (name.trim() === "" || name.endsWith("/")) throw new UsageError("the key name must name a file, e.g. awr keygen release");
    const base = resolve(io.cwd, name.replace(/\.(key|pub)$/, ""));
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const privatePem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    const publicPem = publicKey.export({ type: "spki", format: "pem" }) as string;
    const keyFile = `${base}.key`;
    const pubFile = `${base}.pub`;
    try {
      mkdirSync(dirname(base), { recursive: true });
      // "wx": fails if the file exists, so a key is never overwritten (a lost private key is gone).
      writeFileSync(keyFile, privatePem, { mode: 0o600, flag: "wx" });
    } catch (e) {
      throw writeError(e, keyFile, io.cwd);
    }
    try {
      writeFileSync(pubFile, publicPem, { mode: 0o644, flag: "wx" });
    } catch (e) {
      throw writeError(e, pubFile, io.cwd, `${displayPath(keyFile, io.cwd)} was written; its public key is: ${publicPem.replace(/\n/g, " ").trim()}`);
    }
    io.stdout.write(`wrote ${displayPath(keyFile, io.cwd)} (private key, mode 0600: keep it secret) and ${displayPath(pubFile, io.cwd)} (public key)\n`);
    io.stdout.write(`fingerprint ${fingerprintOf(publicPem)}\n`);
    return Exit.ok;
  },
};

function writeError(e: unknown, file: string, cwd: string, hint?: string): UsageError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "EEXIST") return new UsageError(`${displayPath(file, cwd)} exists; awr keygen never replaces a key`, hint ?? "choose another name, or move the old key pair away first");
  return new UsageError(`cannot write ${displayPath(file, cwd)}: ${code ?? (e as Error).message}`, hint);
}
