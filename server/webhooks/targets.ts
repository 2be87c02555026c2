// Which URLs a webhook may be posted to. A tenant names the URL (`webhook` on start), and the
// server posts from inside its network: without a check a caller could aim the server at
// loopback, link-local (cloud metadata) or private addresses. `targetProblem` refuses those
// unless private targets are allowed (the embedded default, where the receiver is usually on the
// same machine); the deliverer asks again at every attempt, since a name may resolve elsewhere later.
import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

const PRIVATE = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  PRIVATE.addSubnet(net, bits, "ipv4");
for (const [net, bits] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const)
  PRIVATE.addSubnet(net, bits, "ipv6");

/** Whether an IP address is loopback, private, link-local, shared, multicast or unspecified (an IPv4-mapped IPv6 address as its IPv4). */
export function isPrivateAddress(ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (mapped) return PRIVATE.check(mapped, "ipv4");
  const v = isIP(ip);
  return v === 4 ? PRIVATE.check(ip, "ipv4") : v === 6 ? PRIVATE.check(ip, "ipv6") : true;
}

/** Why a webhook may not go to `url`, or undefined when it may. */
export async function targetProblem(url: string, opts: { allowPrivate?: boolean } = {}): Promise<string | undefined> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "not a URL";
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") return `a webhook is posted over http(s), not ${u.protocol}`;
  if (u.username || u.password) return "a webhook URL carries no credentials";
  if (opts.allowPrivate) return undefined;
  const host = u.hostname.replace(/^\[|\]$/g, "");
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  } catch (e) {
    return `${host} does not resolve (${(e as NodeJS.ErrnoException).code ?? "error"})`;
  }
  const bad = addresses.find(isPrivateAddress);
  return bad !== undefined ? `${host} is a private, loopback or link-local address (${bad}); private webhook targets are not allowed on this server` : undefined;
}
