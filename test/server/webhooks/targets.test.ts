// Webhook targets (server/webhooks/targets.ts): a shared server refuses to post to loopback,
// private and link-local addresses, whatever name they hide behind.
import { describe, expect, it } from "vitest";
import { isPrivateAddress, targetProblem } from "../../../server/webhooks/index.js";

describe("webhook targets", () => {
  it("knows private, loopback, link-local and unspecified addresses, IPv4-mapped ones too", () => {
    for (const ip of ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "::", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "not-an-ip"]) expect(isPrivateAddress(ip), ip).toBe(true);
    for (const ip of ["93.184.216.34", "8.8.8.8", "172.32.0.1", "2606:4700::1111", "::ffff:8.8.8.8"]) expect(isPrivateAddress(ip), ip).toBe(false);
  });

  it("refuses other schemes, credentials in the URL, and private targets unless allowed", async () => {
    expect(await targetProblem("file:///etc/passwd")).toMatch(/http\(s\)/);
    expect(await targetProblem("https://u:p@93.184.216.34/h")).toMatch(/credentials/);
    expect(await targetProblem("nope")).toBe("not a URL");
    expect(await targetProblem("http://127.0.0.1:8080/h")).toMatch(/private, loopback or link-local address \(127\.0\.0\.1\)/);
    expect(await targetProblem("http://[::1]/h")).toMatch(/\(::1\)/);
    expect(await targetProblem("http://localhost/h")).toMatch(/private, loopback/);
    expect(await targetProblem("http://169.254.169.254/latest/meta-data")).toMatch(/private/);
    expect(await targetProblem("https://93.184.216.34/h")).toBeUndefined();
    expect(await targetProblem("http://127.0.0.1:8080/h", { allowPrivate: true })).toBeUndefined();
  });
});
