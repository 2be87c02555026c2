import type { Command } from "../command.js";
import { Exit, UsageError } from "../io.js";
import { STORE_HELP, MODELS_HELP } from "../runs.js";

export const serve: Command = {
  name: "serve",
  summary: "Serve a folder's programs over HTTP: runs, event streams, deployments",
  options: {
    port: { type: "string", short: "p" },
    host: { type: "string" },
    store: { type: "string" },
    models: { type: "string" },
    "insecure-no-auth": { type: "boolean" },
    "max-runs": { type: "string" },
    "max-runs-per-tenant": { type: "string" },
    "webhook-secret": { type: "string" },
    "rate-limit": { type: "string" },
    "jwt-issuer": { type: "string" },
    jwks: { type: "string" },
    "jwt-audience": { type: "string" },
    "jwt-tenant-claim": { type: "string" },
    "jwt-roles-claim": { type: "string" },
  },
  help: `Serve the programs of DIR over HTTP (docs/server.md): each entry program (a .awr file no other
file imports, or a .awrp plan) is a deployment named after its file stem; runs are stored in the
store and executed in this process; the same runs awr runs, awr trace and awr replay see.

Usage: awr serve [DIR] [--port 8080] [--host 127.0.0.1] [--store SPEC] [--max-runs N]
                 [--webhook-secret whsec_…] [--jwt-issuer URL --jwks URL|FILE] [--insecure-no-auth]

Options:
  -p, --port <n>          The port (default 8080; 0: any free port, printed)
  --host <addr>           The address to listen on (default 127.0.0.1)
${STORE_HELP.replace(".awr/runs.db", "DIR/.awr/runs.db")}
${MODELS_HELP}
  --max-runs <n>          Runs executing at once in this server (default 1000); a start past it
                          is answered 429 with Retry-After (waiting runs do not count)
  --max-runs-per-tenant <n>  The same per tenant (default 100)
  --rate-limit <n>        Requests per second per API key or token (default 100; 0: none); past it,
                          429 with Retry-After
  --webhook-secret <whsec_…>  Sign and send webhooks (run.completed, run.failed, run.suspended,
                          run.needs_attention) per Standard Webhooks; default AWR_WEBHOOK_SECRET.
                          Without a secret a start request's "webhook" is refused (422)
  --jwt-issuer <iss>      Also accept JWT bearer tokens of this issuer, verified against --jwks
  --jwks <url|file>       The issuer's JSON Web Key Set (a URL, or a JWKS file)
  --jwt-audience <aud>    The audience tokens must name (optional)
  --jwt-tenant-claim <c>  The claim holding the tenant (default tenant; a dotted path works)
  --jwt-roles-claim <c>   The claim holding the roles (default roles)
  --insecure-no-auth      Answer every request as one anonymous caller (tenant "default");
                          refused on an address that is not loopback. Without it every request
                          needs Authorization: Bearer <key> (awr keys create --store …)
  -h, --help              Show this help

The address is printed on stdout once the server listens. SIGINT or SIGTERM stops it gracefully:
it stops accepting, ends event streams, lets requests and executions finish (up to 10 s; the rest
are cancelled and stay resumable), then closes the store.

Examples:
  awr serve examples/support-triage --insecure-no-auth --models recorded:examples/support-triage/recorded.jsonl
  curl -s localhost:8080/v1/deployments

Exit codes:
  0    stopped by SIGINT or SIGTERM
  2    usage error, programs with errors, or a store or port that cannot be used
`,
  async run(args, io) {
    if (args.positionals.length > 1) throw new UsageError(`expected at most one DIR, got ${args.positionals.length}`, 'run "awr serve --help" for usage');
    const portArg = (args.values.port as string | undefined) ?? "8080";
    if (!/^\d{1,5}$/.test(portArg) || Number(portArg) > 65535) throw new UsageError(`--port must be a port number (0-65535), got "${portArg}"`);
    const limit = (flag: string): number | undefined => {
      const v = args.values[flag];
      if (v === undefined) return undefined;
      if (typeof v !== "string" || !/^[1-9]\d{0,6}$/.test(v)) throw new UsageError(`--${flag} must be a positive whole number, got "${String(v)}"`);
      return Number(v);
    };
    const maxRuns = limit("max-runs");
    const maxRunsPerTenant = limit("max-runs-per-tenant");
    const rateArg = args.values["rate-limit"];
    if (rateArg !== undefined && (typeof rateArg !== "string" || !/^\d{1,7}$/.test(rateArg))) throw new UsageError(`--rate-limit must be a whole number of requests per second (0: none), got "${String(rateArg)}"`);
    const rateLimit = rateArg === undefined ? undefined : Number(rateArg) === 0 ? (false as const) : { max: Number(rateArg), timeWindowMs: 1000 };
    const str = (flag: string): string | undefined => (typeof args.values[flag] === "string" ? (args.values[flag] as string) : undefined);
    const issuer = str("jwt-issuer");
    const jwks = str("jwks");
    if ((issuer === undefined) !== (jwks === undefined)) throw new UsageError("--jwt-issuer and --jwks go together: the issuer tokens must name, and where its keys are");
    const { serve: start, ServeSetupError, webhookSecretFrom } = await import("../../server/index.js");
    let webhookSecret: string | undefined;
    try {
      webhookSecret = webhookSecretFrom(str("webhook-secret"), io.env);
    } catch (e) {
      throw new UsageError(`--webhook-secret: ${(e as Error).message}`);
    }
    const jwt =
      issuer === undefined || jwks === undefined
        ? undefined
        : {
            issuer,
            jwks,
            ...(str("jwt-audience") === undefined ? {} : { audience: str("jwt-audience")! }),
            ...(str("jwt-tenant-claim") === undefined ? {} : { tenantClaim: str("jwt-tenant-claim")! }),
            ...(str("jwt-roles-claim") === undefined ? {} : { rolesClaim: str("jwt-roles-claim")! }),
          };
    let serving;
    try {
      serving = await start({
        dir: args.positionals[0] ?? ".",
        port: Number(portArg),
        host: (args.values.host as string | undefined) ?? "127.0.0.1",
        ...(typeof args.values.store === "string" ? { store: args.values.store } : {}),
        ...(typeof args.values.models === "string" ? { models: args.values.models } : {}),
        insecureNoAuth: args.values["insecure-no-auth"] === true,
        ...(maxRuns === undefined ? {} : { maxRuns }),
        ...(maxRunsPerTenant === undefined ? {} : { maxRunsPerTenant }),
        ...(webhookSecret === undefined ? {} : { webhookSecret }),
        ...(rateLimit === undefined ? {} : { rateLimit }),
        ...(jwt === undefined ? {} : { jwt }),
        cwd: io.cwd,
        env: io.env,
      });
    } catch (e) {
      if (e instanceof ServeSetupError) throw new UsageError(e.message);
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") throw new UsageError(`cannot listen: ${(e as Error).message}`);
      throw e;
    }
    io.stdout.write(`awr serve: listening on ${serving.url} (${serving.deployments.length} deployment${serving.deployments.length === 1 ? "" : "s"}${serving.deployments.length ? `: ${serving.deployments.join(", ")}` : ""})\n`);
    await new Promise<void>((resolve) => {
      const stop = (sig: NodeJS.Signals) => {
        process.off("SIGINT", stop).off("SIGTERM", stop);
        io.stderr.write(`awr serve: ${sig}: stopping\n`);
        resolve();
      };
      process.on("SIGINT", stop).on("SIGTERM", stop);
    });
    await serving.close();
    return Exit.ok;
  },
};
