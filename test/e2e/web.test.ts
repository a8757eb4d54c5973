// The web app in a real browser (Debian's Chromium through playwright-core) against a real `wrangler dev`:
// sign in, build a dashboard with a live tile and a SQL tile, send events and watch the tile change without
// a reload, run SQL and see its table and chart, open a share link signed out, and export a PNG.
// Screenshots land in docs/screenshots/ (the README shows them).
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "./server";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SHOTS = path.resolve(import.meta.dirname, "..", "..", "docs", "screenshots");
const PASSWORD = "a long enough password";

let server: DevServer;
let browser: Browser;
let project: { id: string; name: string; admin_key: string };

async function json<T>(res: Promise<Response>, status = 200): Promise<T> {
  const r = await res;
  if (r.status !== status) throw new Error(`${r.status}: ${await r.text()}`);
  return (await r.json()) as T;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (.ci/run does)`);
  mkdirSync(SHOTS, { recursive: true });
  server = await startDevServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  project = await json(
    server.api("/v1/projects", { method: "POST", token: server.adminKey, json: { name: `web-${Date.now()}` } }),
    201,
  );
  await json(
    server.api("/v1/users", {
      method: "POST",
      token: project.admin_key,
      json: { email: "ana@web.test", password: PASSWORD, role: "analyst" },
    }),
    201,
  );
  // Some history for the SQL tile and the editor.
  const events = ["page.view", "page.view", "page.view", "signup", "order.created"].map((eventType, i) => ({
    eventType,
    userId: `u${i}`,
    data: { payload: { amount: i * 10 } },
  }));
  await json(server.api("/v1/events", { method: "POST", token: project.admin_key, json: events }), 202);
  // Wait until they are in the lake (the queue consumer lands them within a second or so).
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = await json<{ rows: number }>(
      server.api("/v1/query", {
        method: "POST",
        token: project.admin_key,
        json: { sql: "SELECT DISTINCT event_type FROM events" },
      }),
    );
    if (answer.rows === 3) break;
    if (Date.now() > deadline) throw new Error("events did not land in 30 s");
    await new Promise((r) => setTimeout(r, 300));
  }
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function signIn(page: Page) {
  await page.goto(server.url);
  await page.getByLabel("Project (name or id)").fill(project.name);
  await page.getByLabel("Email").fill("ana@web.test");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Dashboards", level: 1 }).waitFor();
}

async function addTile(page: Page, fill: (dialog: ReturnType<Page["getByRole"]>) => Promise<void>) {
  await page.getByRole("button", { name: "Add tile" }).click();
  const dialog = page.getByRole("dialog");
  await fill(dialog);
  await dialog.getByRole("button", { name: "Add tile" }).click();
  await dialog.waitFor({ state: "detached" });
}

describe("the web app in Chromium", () => {
  let shareUrl = "";

  it("signs in, builds a dashboard, and a live tile changes without a reload when events arrive", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await signIn(page);
    await page.screenshot({ path: path.join(SHOTS, "dashboards.png") });

    await page.getByLabel("Name of a new dashboard").fill("Live operations");
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByRole("heading", { name: "Live operations", level: 1 }).waitFor();

    await addTile(page, async (d) => {
      await d.getByLabel("Title", { exact: true }).fill("Events per second");
      await d.getByLabel("Source", { exact: true }).selectOption("metric");
      await d.getByLabel("Metric", { exact: true }).fill("events");
      await d.getByLabel("Window", { exact: true }).selectOption("1s");
      await d.getByLabel("Windows shown", { exact: true }).fill("60");
      await d.getByLabel("Chart", { exact: true }).selectOption("area");
      await d.getByLabel("Width (of 12)", { exact: true }).fill("8");
    });
    await addTile(page, async (d) => {
      await d.getByLabel("Title", { exact: true }).fill("Events by type");
      await d.getByLabel("Chart", { exact: true }).selectOption("bar");
      await d.getByLabel("Width (of 12)", { exact: true }).fill("4");
    });
    await page.getByRole("link", { name: "Done editing" }).click();
    const liveTile = page.locator('[data-tile="events-per-second"]');
    const sqlTile = page.locator('[data-tile="events-by-type"]');
    await sqlTile.locator("svg rect").first().waitFor();
    expect(await sqlTile.locator("svg").getAttribute("aria-label")).toMatch(/bar chart of 3 rows/);
    await page.getByText("● live").waitFor();

    // A marker on the page's window: it survives only if the page is never reloaded.
    await page.evaluate(() => {
      (globalThis as unknown as { marker: number }).marker = 42;
    });
    const before = await liveTile.getAttribute("data-updated");
    for (let i = 0; i < 5; i++) {
      await json(
        server.api("/v1/events", {
          method: "POST",
          token: project.admin_key,
          json: Array.from({ length: 20 + i * 15 }, () => ({ eventType: "live.tick" })),
        }),
        202,
      );
      await page.waitForTimeout(700);
    }
    // Runs in the page: the tile was redrawn by a live frame and now has a line.
    await page.waitForFunction(
      `(() => { const el = document.querySelector('[data-tile="events-per-second"]');
        return el?.getAttribute("data-updated") !== ${JSON.stringify(before)} && !!el?.querySelector("svg path.series"); })()`,
      undefined,
      { timeout: 15_000 },
    );
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(42);
    const label = await liveTile.locator("svg").getAttribute("aria-label");
    expect(label).toMatch(/area chart of \d+ rows/);
    await page.waitForTimeout(1500);
    await page.screenshot({ path: path.join(SHOTS, "dashboard-live.png") });

    // Share: a new link, shown once.
    await page.getByRole("button", { name: "Share" }).click();
    await page.getByRole("button", { name: "Create a link" }).click();
    shareUrl = await page.getByLabel("Share link").inputValue();
    expect(shareUrl).toMatch(/\/s\/dsh_[A-Za-z0-9_-]{43}$/);
    await page.screenshot({ path: path.join(SHOTS, "share.png") });
    await page.getByRole("button", { name: "Close" }).click();

    // Export: the link serves a real PNG.
    await page.getByRole("button", { name: "Export PNG" }).click();
    const link = page.getByRole("link", { name: "Download PNG" });
    await link.waitFor({ timeout: 10_000 });
    const png = await fetch(String(await link.getAttribute("href")));
    expect(png.headers.get("Content-Type")).toBe("image/png");
    const pngBytes = new Uint8Array(await png.arrayBuffer());
    expect([...pngBytes.slice(1, 4)]).toEqual([0x50, 0x4e, 0x47]);
    writeFileSync(path.join(SHOTS, "export.png"), pngBytes);
    await page.close();
  });

  it("runs SQL in the editor and shows the table and the chart", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page);
    await page.getByRole("link", { name: "SQL" }).click();
    await page.getByRole("navigation", { name: "Schema" }).getByText("page.view").first().waitFor();
    await page.getByLabel("Query").fill("SELECT event_type, count(*) AS n FROM events GROUP BY 1 ORDER BY 2 DESC, 1");
    await page.getByRole("button", { name: "Run" }).click();
    const table = page.getByRole("region", { name: "Query results" });
    await table.waitFor();
    expect(await table.locator("tbody tr").count()).toBeGreaterThanOrEqual(4);
    await expect.poll(() => table.locator("tbody tr").first().locator("td").first().textContent()).toBe("live.tick");
    await page.locator("#result-chart svg rect").first().waitFor();
    await page.screenshot({ path: path.join(SHOTS, "sql.png"), fullPage: true });
    await page.close();
  });

  it("opens a share link in a fresh context without credentials", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    expect(await page.evaluate(() => localStorage.length).catch(() => 0)).toBe(0);
    await page.goto(shareUrl);
    await page.getByRole("heading", { name: "Live operations", level: 1 }).waitFor();
    await page.getByText("read-only").waitFor();
    await page.locator('[data-tile="events-by-type"] svg rect').first().waitFor();
    expect(await page.getByRole("button", { name: "Share" }).count()).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, "shared.png") });
    await context.close();

    // The same link in a dark system theme: the page and its charts follow it.
    const dark = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: "dark" });
    const darkPage = await dark.newPage();
    await darkPage.goto(shareUrl);
    await darkPage.locator('[data-tile="events-by-type"] svg rect').first().waitFor();
    const background = await darkPage.evaluate("getComputedStyle(document.body).backgroundColor");
    expect(background).toBe("rgb(13, 17, 23)");
    expect(await darkPage.locator('[data-tile="events-by-type"] svg > rect').first().getAttribute("fill")).toBe(
      "#161b22",
    );
    await darkPage.screenshot({ path: path.join(SHOTS, "shared-dark.png") });
    await dark.close();
  });
});
