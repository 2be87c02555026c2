// The HTML report in headless Chromium (Debian's chromium, driven by playwright-core): the graph,
// the timeline, the totals and the audit table render, clicking a node filters the timeline,
// injected markup stays text, nothing is fetched, no console error, and the pixels are not blank.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failedRunPage } from "./fixture.js";

// `npm run test:browser` (not `npm test`): Debian's chromium, or AWR_CHROMIUM.
const CHROMIUM = process.env["AWR_CHROMIUM"] ?? "/usr/bin/chromium";

// DOM globals used inside page callbacks (the tests' tsconfig has no DOM library).
declare const document: { createElement(tag: "canvas"): { width: number; height: number; getContext(k: "2d"): { drawImage(i: unknown, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } } };
declare const Image: new () => { src: string; width: number; height: number; decode(): Promise<void> };
declare function getComputedStyle(e: unknown): { fill: string };
type Hideable = { hidden: boolean };

let browser: Browser;
let dir: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: the HTML report test needs Debian's chromium (apt-get install chromium)`);
  dir = mkdtempSync(join(tmpdir(), "awr-report-"));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"] });
}, 30_000);

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Distinct colours of a PNG, counted by the browser itself (a canvas in a blank page). */
async function distinctColours(png: Buffer): Promise<{ colours: number; width: number; height: number }> {
  const page = await browser.newPage();
  try {
    return await page.evaluate(async (b64: string) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = document.createElement("canvas");
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext("2d");
      ctx.drawImage(img, 0, 0);
      const data = ctx.getImageData(0, 0, img.width, img.height).data;
      const seen = new Set<number>();
      for (let i = 0; i < data.length; i += 4) seen.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
      return { colours: seen.size, width: img.width, height: img.height };
    }, png.toString("base64"));
  } finally {
    await page.close();
  }
}

describe("the HTML report in Chromium", () => {
  let page: Page;
  const problems: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    const { html } = await failedRunPage();
    const file = join(dir, "run.html");
    writeFileSync(file, html);
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("dialog", (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href);
  }, 30_000);

  it("draws one graph element per node, coloured by outcome, with a visible box", async () => {
    const nodes = await page.$$eval("svg.awr-graph g.node.step", (gs) =>
      gs.map((g) => {
        const rect = g.querySelector("rect")!;
        const box = g.getBoundingClientRect();
        return { node: g.getAttribute("data-node"), cls: g.getAttribute("class"), fill: getComputedStyle(rect).fill, w: box.width, h: box.height };
      }),
    );
    expect(nodes.map((n) => n.node).sort()).toEqual(["advise", "ask", "classify_it", "find", "never", "send", "sub"]);
    const by = Object.fromEntries(nodes.map((n) => [n.node, n]));
    expect(by["advise"]!.cls).toContain("outcome-ok");
    expect(by["send"]!.cls).toContain("outcome-failed");
    expect(by["ask"]!.cls).toContain("outcome-not_run");
    expect(by["never"]!.cls).toContain("outcome-not_run");
    // The outcome classes really colour the boxes: three different fills for ok, failed, not run.
    expect(new Set([by["advise"]!.fill, by["send"]!.fill, by["ask"]!.fill]).size).toBe(3);
    for (const n of nodes) {
      expect(n.w).toBeGreaterThan(40);
      expect(n.h).toBeGreaterThan(20);
    }
  });

  it("renders the timeline rows with bars, the totals and the audit table", async () => {
    const rows = await page.$$eval("table.timeline tr.tl-row", (trs) =>
      trs.map((tr) => ({ type: tr.getAttribute("data-type"), status: tr.getAttribute("data-status"), name: tr.querySelector("td.name .label")!.textContent, bar: tr.querySelector(".bar")!.getBoundingClientRect().width })),
    );
    expect(rows).toHaveLength(13);
    expect(rows.filter((r) => r.type === "step").map((r) => r.name)).toEqual(["classify_it", "find", "advise", "sub", "up", "send"]);
    expect(rows.find((r) => r.name === "tool notify")).toMatchObject({ status: "failed" });
    for (const r of rows.filter((x) => x.type !== "mark")) expect(r.bar).toBeGreaterThan(1);
    expect(await page.textContent("#total-cost .v")).toBe("0.0202");
    expect(await page.textContent("#total-model-calls .k")).toBe("model calls, 1 failed");
    expect(await page.textContent("#total-input-tokens .v")).toBe("1,200");
    const audit = await page.$$eval("table.audit tr.audit-row", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)));
    expect(audit).toHaveLength(2);
    expect(audit[0]).toContain("redact");
    expect(audit[0]).toContain("$.msg (email)");
  });

  it("keeps injected markup as text and fetches nothing", async () => {
    expect(await page.title()).toMatch(/^awr trace .* \(main, failed\)$/);
    expect(await page.$$("body img")).toHaveLength(0);
    expect(await page.textContent("#run-error")).toContain(`<img src=x onerror="document.title='pwned'">`);
    expect(requests.filter((u) => !u.startsWith("file:"))).toEqual([]);
    expect(problems).toEqual([]);
  });

  it("filters the timeline to a node when it is clicked, and back", async () => {
    await page.click('svg.awr-graph g.node.step[data-node="send"]');
    const visible = await page.$$eval("tr.tl-row", (trs) => trs.filter((t) => !(t as unknown as Hideable).hidden).map((t) => t.querySelector("td.name .label")!.textContent));
    expect(visible).toEqual(["send", "tool notify"]);
    expect(await page.textContent("#focus-note")).toContain("send");
    await page.click('svg.awr-graph g.node.step[data-node="send"]');
    expect(await page.$$eval("tr.tl-row", (trs) => trs.filter((t) => !(t as unknown as Hideable).hidden).length)).toBe(13);
    await page.check("#only-problems");
    const problemsOnly = await page.$$eval("tr.tl-row", (trs) => trs.filter((t) => !(t as unknown as Hideable).hidden).map((t) => t.getAttribute("data-status")));
    expect(problemsOnly.length).toBeGreaterThan(0);
    expect(problemsOnly).not.toContain("ok");
    await page.uncheck("#only-problems");
    expect(problems).toEqual([]);
  });

  it("paints the graph and the timeline: screenshots that are not blank", async () => {
    const graph = await page.locator("svg.awr-graph").screenshot();
    const g = await distinctColours(graph);
    expect(g.width).toBeGreaterThan(200);
    expect(g.height).toBeGreaterThan(200);
    expect(g.colours).toBeGreaterThan(20); // fills, strokes, text and anti-aliasing, not one flat colour
    const timeline = await page.locator("table.timeline").screenshot();
    const t = await distinctColours(timeline);
    expect(t.height).toBeGreaterThan(13 * 14);
    expect(t.colours).toBeGreaterThan(20);
  });
});
