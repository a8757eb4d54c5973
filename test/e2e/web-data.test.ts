// The web app's data pages in a real browser (Debian's Chromium through playwright-core) against a real
// `wrangler dev` and a real local chat-completions server (fake-llm.ts): upload a CSV and watch its progress
// reach done, the datasets list, a dataset's profile and quality, a question in plain language (and the
// model being away), contracts with their compatibility verdicts, views and row-level policies.
// Screenshots land in docs/screenshots/ (the README shows them).
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeLlm, startFakeLlm } from "./fake-llm";
import { type DevServer, startDevServer } from "./server";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SHOTS = path.resolve(import.meta.dirname, "..", "..", "docs", "screenshots");
const PASSWORD = "a long enough password";
const CSV = "user_id,plan,seats\nann,pro,5\nbob,free,1\ncy,pro,12\n";

let server: DevServer;
let llm: FakeLlm;
let browser: Browser;
let project: { id: string; name: string; admin_key: string };

async function json<T>(res: Promise<Response>, status = 200): Promise<T> {
  const r = await res;
  if (r.status !== status) throw new Error(`${r.status}: ${await r.text()}`);
  return (await r.json()) as T;
}

async function sql(text: string) {
  return json<{ rows: number; data: Record<string, unknown>[] }>(
    server.api("/v1/query", { method: "POST", token: project.admin_key, json: { sql: text } }),
  );
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (.ci/run does)`);
  mkdirSync(SHOTS, { recursive: true });
  llm = await startFakeLlm();
  server = await startDevServer(["--var", `LLM_BASE_URL:${llm.url}`, "--var", "LLM_MODEL:fake-analyst-1"]);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  project = await json(
    server.api("/v1/projects", { method: "POST", token: server.adminKey, json: { name: `web-data-${Date.now()}` } }),
    201,
  );
  await json(
    server.api("/v1/users", {
      method: "POST",
      token: project.admin_key,
      json: { email: "ada@web.test", password: PASSWORD, role: "admin" },
    }),
    201,
  );
  const events = ["signup", "signup", "order.created"].map((eventType, i) => ({
    eventType,
    userId: `u${i}`,
    data: { payload: { plan: i % 2 ? "pro" : "free" } },
  }));
  await json(server.api("/v1/events", { method: "POST", token: project.admin_key, json: events }), 202);
  const deadline = Date.now() + 30_000;
  while ((await sql("SELECT count(*) AS n FROM events")).data[0]?.n !== 3) {
    if (Date.now() > deadline) throw new Error("events did not land in 30 s");
    await new Promise((r) => setTimeout(r, 300));
  }
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await llm?.stop();
});

async function signIn(page: Page) {
  await page.goto(server.url);
  await page.getByLabel("Project (name or id)", { exact: true }).fill(project.name);
  await page.getByLabel("Email", { exact: true }).fill("ada@web.test");
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Dashboards", level: 1 }).waitFor();
}

describe("the web app's data pages in Chromium", () => {
  it("uploads a CSV, the progress bar reaches done, and the dataset is listed with its profile", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await signIn(page);
    // The job frames the page received on its live socket: the bar is fed by the jobs stream.
    const jobFrames: { status: string; progress: number }[] = [];
    page.on("websocket", (ws) =>
      ws.on("framereceived", ({ payload }) => {
        const frame = JSON.parse(String(payload)) as { type: string; job?: { status: string; progress: number } };
        if (frame.type === "job" && frame.job) jobFrames.push(frame.job);
      }),
    );
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Upload" }).click();
    await page.getByRole("heading", { name: "Upload a file", level: 1 }).waitFor();
    await page
      .getByLabel("File (or drop it here)", { exact: true })
      .setInputFiles({ name: "customers.csv", mimeType: "text/csv", buffer: Buffer.from(CSV) });
    // The name and format are taken from the file.
    expect(await page.getByLabel("Dataset name", { exact: true }).inputValue()).toBe("customers");
    expect(await page.getByLabel("Format", { exact: true }).inputValue()).toBe("csv");
    // Every label the bar shows, in order (runs in the page).
    await page.evaluate(`(() => {
      const stage = document.getElementById("upload-stage");
      window.stages = [];
      new MutationObserver(() => window.stages.push(stage.textContent)).observe(stage, { childList: true, characterData: true, subtree: true });
    })()`);
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    await page.getByRole("link", { name: "Open the dataset" }).waitFor({ timeout: 60_000 });
    await expect.poll(() => jobFrames.at(-1)).toMatchObject({ status: "succeeded", progress: 100 });
    expect(await page.locator("#upload-progress").evaluate((el) => (el as unknown as { value: number }).value)).toBe(
      100,
    );
    const stages = (await page.evaluate("window.stages")) as string[];
    expect(stages[0]).toMatch(/^Sending customers\.csv/);
    expect(stages.at(-1)).toBe("Done");
    await page.getByText("Done: 3 rows in “customers”").waitFor();
    await page.screenshot({ path: path.join(SHOTS, "upload.png") });

    // The uploaded table is really there, and the dataset page shows its stored profile.
    expect((await sql("SELECT sum(seats) AS s FROM customers")).data).toEqual([{ s: 18 }]);
    await page.getByRole("link", { name: "Open the dataset" }).click();
    await page.getByRole("heading", { name: "customers", level: 1 }).waitFor();
    await page.locator("#profile-rows").getByText("3", { exact: true }).waitFor();
    const seats = page.getByRole("region", { name: "Column profiles" }).locator('tr[data-column="seats"] td');
    await seats.first().waitFor();
    const cells = await seats.allTextContents();
    expect(cells[1]).toBe("BIGINT");
    expect(cells[4]).toBe("1");
    expect(cells[5]).toBe("12");
    expect(cells[6]).toBe("6");
    expect(await page.locator("#quality-score").textContent()).toMatch(/^\d+%$/);
    await page.screenshot({ path: path.join(SHOTS, "dataset.png"), fullPage: true });

    // Expectations: an admin sets one as JSON, runs it, and sees it fail on the row over the limit.
    await page.getByText("Edit expectations").click();
    await page
      .getByLabel("Expectations (JSON array)", { exact: true })
      .fill(
        JSON.stringify([{ id: "seats_range", type: "between", column: "seats", min: 0, max: 10, severity: "warn" }]),
      );
    await page.getByRole("button", { name: "Save expectations" }).click();
    await page.getByText("Expectations are set but have not run yet").waitFor();
    await page.getByRole("button", { name: "Run expectations" }).click();
    const results = page.getByRole("region", { name: "Latest expectation results" });
    await results.waitFor();
    const row = await results.locator("tbody tr").first().locator("td").allTextContents();
    expect(row.slice(0, 3)).toEqual(["✗ failed", "seats_range", "between"]);
    expect(row[6]).toBe("1");

    // A ragged file fails its job: the page says why (with the line) and that nothing was published.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Upload" }).click();
    await page
      .getByLabel("File (or drop it here)", { exact: true })
      .setInputFiles({ name: "ragged.csv", mimeType: "text/csv", buffer: Buffer.from("a,b\n1,2\n3\n4,5\n") });
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    const failure = page.getByRole("alert").filter({ hasText: "The upload failed" });
    await failure.waitFor({ timeout: 60_000 });
    expect(await failure.textContent()).toMatch(/line 3.*Nothing was published\./);
    expect(await page.locator("#upload-stage").textContent()).toBe("Failed");
    const names = await json<{ datasets: { name: string }[] }>(
      server.api("/v1/datasets", { token: project.admin_key }),
    );
    expect(names.datasets.map((d) => d.name)).not.toContain("ragged");
    await page.close();
  });

  it("sends a file larger than the single-request size in parts, with one progress bar to done", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    await signIn(page);
    // Parts of 5 MiB (the API's minimum) for anything over 1 MiB, for this session only.
    await page.evaluate(`(() => {
      sessionStorage.setItem("tarn.upload.single-max-bytes", String(1024 * 1024));
      sessionStorage.setItem("tarn.upload.part-bytes", String(5 * 1024 * 1024));
    })()`);
    const rows = 400_000;
    let body = "user_id,plan,seats\n";
    for (let i = 0; i < rows; i++) body += `user${i},${i % 3 ? "pro" : "free"},${i % 10}\n`;
    const bytes = Buffer.from(body);
    expect(bytes.length).toBeGreaterThan(5 * 1024 * 1024);
    const parts: string[] = [];
    page.on("request", (r) => {
      if (r.method() === "PUT" && r.url().includes("/v1/uploads/multipart/")) parts.push(new URL(r.url()).pathname);
    });
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Upload" }).click();
    await page
      .getByLabel("File (or drop it here)", { exact: true })
      .setInputFiles({ name: "big_seats.csv", mimeType: "text/csv", buffer: bytes });
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    await page.getByRole("link", { name: "Open the dataset" }).waitFor({ timeout: 120_000 });
    expect(parts.map((p) => p.split("/").pop())).toEqual(["1", "2"]);
    await page.getByText(`Done: ${rows.toLocaleString("en-US")} rows in “big_seats”`).waitFor();
    const expected = Array.from({ length: rows }, (_, i) => i % 10).reduce((a, b) => a + b, 0);
    expect((await sql("SELECT count(*) AS n, sum(seats) AS s FROM big_seats")).data).toEqual([
      { n: rows, s: expected },
    ]);
    await page.close();
  }, 180_000);

  it("lists the datasets of every kind, filters them, and opens an event type's profile", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    await signIn(page);
    await page.getByRole("link", { name: "Datasets", exact: true }).click();
    const table = page.getByRole("region", { name: "Datasets" });
    await table.locator('tr[data-dataset="customers"]').waitFor();
    const customers = await table.locator('tr[data-dataset="customers"] td').allTextContents();
    expect(customers.slice(0, 3)).toEqual(["customers", "upload", "3"]);
    expect(await table.locator('tr[data-dataset="signup"] td').nth(1).textContent()).toBe("event type");
    expect(await table.locator('tr[data-dataset="signup"] td').nth(2).textContent()).toBe("2");
    await page.screenshot({ path: path.join(SHOTS, "datasets.png") });

    await page.getByLabel("Kind", { exact: true }).selectOption("upload");
    await expect.poll(() => table.locator("tbody tr").count()).toBe(2);
    await page.getByLabel("Kind", { exact: true }).selectOption("");
    await page.getByLabel("Filter by name", { exact: true }).fill("sign");
    await expect.poll(() => table.locator("tbody tr").count()).toBe(1);

    // An event type has no profile until one is computed: the button does it and the page fills in.
    await table.getByRole("link", { name: "signup" }).click();
    await page.getByRole("heading", { name: "signup", level: 1 }).waitFor();
    await page.getByText("No profile yet").waitFor();
    await page.getByRole("button", { name: "Recompute profile" }).click();
    await page.getByText("Profiling: done.").waitFor({ timeout: 60_000 });
    await page.locator("#profile-rows").getByText("2", { exact: true }).waitFor();

    // Insights of the event type: with the model away they are templated, and the page says so.
    llm.script({ status: 500 }, { status: 500 });
    await page.getByRole("button", { name: "Find insights" }).click();
    await page.locator("#insights-summary").waitFor({ timeout: 30_000 });
    await page.getByText("Worded by a template").waitFor();
    const trends = page.getByRole("region", { name: "Trends" }).locator("tbody tr td:nth-child(2)");
    const directions = await trends.allTextContents();
    expect(directions.length).toBeGreaterThanOrEqual(1);
    for (const d of directions) expect(["up", "down", "flat"]).toContain(d);
    expect(await page.getByRole("list", { name: "Recommendations" }).locator("li").count()).toBeGreaterThanOrEqual(1);
    await page.close();

    // The same pages follow a dark system theme.
    const dark = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: "dark" });
    const darkPage = await dark.newPage();
    await signIn(darkPage);
    await darkPage.goto(`${server.url}/datasets?name=customers`);
    await darkPage.locator("#quality-score").waitFor();
    expect(await darkPage.evaluate("getComputedStyle(document.body).backgroundColor")).toBe("rgb(13, 17, 23)");
    await darkPage.screenshot({ path: path.join(SHOTS, "dataset-dark.png") });
    await dark.close();
  });

  it("shows a viewer the datasets and profiles but none of the controls its role cannot use", async () => {
    await json(
      server.api("/v1/users", {
        method: "POST",
        token: project.admin_key,
        json: { email: "vic@web.test", password: PASSWORD, role: "viewer" },
      }),
      201,
    );
    // user_id of signups is personal data: masked for a viewer, and the page says so.
    await json(
      server.api("/v1/datasets/signup", {
        method: "PUT",
        token: project.admin_key,
        json: { columns: { user_id: { classification: "confidential", pii: true } } },
      }),
    );
    const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    await page.goto(server.url);
    await page.getByLabel("Project (name or id)").fill(project.name);
    await page.getByLabel("Email").fill("vic@web.test");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    const nav = page.getByRole("navigation", { name: "Main" });
    await nav.getByRole("link", { name: "Datasets" }).waitFor();
    expect(await nav.getByRole("link").allTextContents()).toEqual(["Dashboards", "Datasets", "Views", "Alerts"]);
    await page.goto(`${server.url}/datasets?name=customers`);
    await page.locator("#quality-score").waitFor();
    for (const name of ["Recompute profile", "Run expectations", "Query in SQL", "Ask about it"])
      expect(await page.getByRole("button", { name }).or(page.getByRole("link", { name })).count()).toBe(0);
    expect(await page.getByText("Edit expectations").count()).toBe(0);
    await page.goto(`${server.url}/datasets?name=signup`);
    const userId = page.getByRole("region", { name: "Columns" }).locator("tr", { hasText: "user_id" });
    await userId.waitFor();
    expect(await userId.locator("td").allTextContents()).toEqual(
      expect.arrayContaining(["user_id", "confidential", "yes"]),
    );
    expect((await userId.locator("td").allTextContents()).at(-1)).toBe("yes");
    // A contract is readable by a viewer; the form that changes it is not shown.
    await page.goto(`${server.url}/admin/contracts?type=signup`);
    await page.getByRole("heading", { name: "signup", level: 1 }).waitFor();
    expect(await page.getByRole("button", { name: "Save version" }).count()).toBe(0);
    await page.close();
  });

  it("answers a question with its SQL, explanation and rows, and says plainly when the model is away", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await signIn(page);
    await page.getByRole("link", { name: "Ask", exact: true }).click();
    llm.script(
      { reply: "```sql\nSELECT plan, count(*) AS customers FROM customers GROUP BY plan ORDER BY plan\n```" },
      { reply: "Two customers are on pro and one on free." },
    );
    await page.getByLabel("Question", { exact: true }).fill("How many customers per plan?");
    await page.getByLabel("About", { exact: true }).selectOption("customers");
    await page.getByRole("button", { name: "Ask", exact: true }).click();
    await page.locator("#answer-sql").waitFor({ timeout: 30_000 });
    expect(await page.locator("#answer-sql").textContent()).toMatch(/SELECT plan, count\(\*\) AS customers/);
    await page.getByText("Two customers are on pro and one on free.").waitFor();
    const rows = page.getByRole("region", { name: "Answer rows" }).locator("tbody tr");
    expect(await rows.allTextContents()).toEqual(["free1", "pro2"]);
    await page.locator("#answer-chart svg rect").first().waitFor();
    await page.screenshot({ path: path.join(SHOTS, "ask.png"), fullPage: true });

    // The SQL goes to the editor as it is.
    await page.getByRole("link", { name: "Open in the SQL editor" }).click();
    expect(await page.getByLabel("Query").inputValue()).toMatch(/FROM customers GROUP BY plan/);

    // SQL that fails Tarn's checks twice (the answer and its one repair): refused, nothing ran, the SQL shown.
    await page.getByRole("link", { name: "Ask", exact: true }).click();
    llm.script({ reply: "```sql\nDROP TABLE customers\n```" }, { reply: "```sql\nDELETE FROM customers\n```" });
    await page.getByLabel("Question", { exact: true }).fill("Remove every customer");
    await page.getByRole("button", { name: "Ask", exact: true }).click();
    const refused = page.getByRole("alert").filter({ hasText: "could not turn this question into valid SQL" });
    await refused.waitFor({ timeout: 30_000 });
    await refused.getByText("The refused SQL").click();
    expect(await refused.locator("pre").textContent()).toMatch(/DELETE FROM customers/);
    expect((await sql("SELECT count(*) AS n FROM customers")).data).toEqual([{ n: 3 }]);

    // The model failing (the call and its one retry): a plain message, not a stack of codes.
    await page.getByRole("link", { name: "Ask", exact: true }).click();
    llm.script({ status: 500 }, { status: 500 });
    // From the keyboard: focus the question, type, Ctrl+Enter asks.
    await page.getByLabel("Question", { exact: true }).focus();
    await page.keyboard.type("Anything new today?");
    await page.keyboard.press("Control+Enter");
    await page
      .getByRole("alert")
      .getByText("The language model is unavailable right now.")
      .waitFor({ timeout: 30_000 });
    await page.close();
  });

  it("shows contracts, stores a version, and shows a breaking change's reasons without storing it", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page);
    await page.getByRole("link", { name: "Contracts" }).click();
    await page.getByText("No contracts yet").waitFor();
    await page.getByLabel("Event type", { exact: true }).fill("signup");
    await page.getByRole("button", { name: "Write a contract" }).click();
    await page.getByRole("heading", { name: "First version" }).waitFor();
    const schema = { type: "object", properties: { plan: { type: "string" } } };
    await page.getByLabel("JSON Schema of data.payload", { exact: true }).fill(JSON.stringify(schema));
    await page.getByLabel("Owner", { exact: true }).fill("growth");
    await page.getByRole("button", { name: "Save version" }).click();
    await page.getByText("Version 1 stored (enforce): backward compatible.").waitFor();
    const head = await json<{ version: number; owner: string }>(
      server.api("/v1/contracts/signup", { token: project.admin_key }),
    );
    expect(head).toMatchObject({ version: 1, owner: "growth" });

    // A new required field is breaking: refused with the reasons, nothing stored.
    const breaking = {
      type: "object",
      properties: { plan: { type: "integer" }, seats: { type: "integer" } },
      required: ["seats"],
    };
    await page.getByLabel("JSON Schema of data.payload", { exact: true }).fill(JSON.stringify(breaking, null, 2));
    await page.getByRole("button", { name: "Save version" }).click();
    const verdict = page.locator("#contract-verdict");
    await verdict.getByText("Breaking change: not stored.").waitFor();
    expect(await verdict.locator("li").count()).toBeGreaterThanOrEqual(1);
    expect(await verdict.textContent()).toMatch(/seats/);
    expect(
      (await json<{ version: number }>(server.api("/v1/contracts/signup", { token: project.admin_key }))).version,
    ).toBe(1);
    await page.screenshot({ path: path.join(SHOTS, "contracts.png"), fullPage: true });

    // Stored on purpose: version 2 appears in the list of versions as breaking, forced.
    await page.getByLabel("store even if breaking", { exact: true }).check();
    await page.getByRole("button", { name: "Save version" }).click();
    await page.getByText("Version 2 stored (enforce): a breaking change, stored as asked.").waitFor();
    const versions = page.getByRole("region", { name: "Versions, as stored" }).locator("tbody tr");
    await expect.poll(() => versions.count()).toBe(2);
    expect(await versions.allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^2enforcebreaking \(forced\)/)]),
    );

    // A canary version: the previous one stays enforced until it is promoted from the page.
    await page.getByLabel("Mode", { exact: true }).selectOption("canary");
    await page
      .getByLabel("JSON Schema of data.payload", { exact: true })
      .fill(JSON.stringify({ type: "object", properties: { plan: { type: "integer" }, seats: { type: "integer" } } }));
    await page.getByRole("button", { name: "Save version" }).click();
    await page.getByText("Version 3 stored (canary): backward compatible.").waitFor();
    await page.getByText("Canary version 3:").waitFor();
    await page.getByRole("button", { name: "Promote to enforce" }).click();
    await page.getByText("version 3 · enforce · enforcing version 3").waitFor();
    await page.close();
  });

  it("defines a view, refreshes and deletes one, and manages row-level policies", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page);
    await page.getByRole("link", { name: "Views" }).click();
    await page.getByText("No views.").waitFor();
    await page.getByLabel("View name", { exact: true }).fill("plans");
    await page.getByLabel("SELECT", { exact: true }).fill("SELECT plan, count(*) AS n FROM customers GROUP BY plan");
    await page.getByRole("button", { name: "Save view" }).click();
    await page.getByText("plans is built.").waitFor({ timeout: 60_000 });
    expect((await sql("SELECT plan, n FROM plans ORDER BY plan")).data).toEqual([
      { plan: "free", n: 1 },
      { plan: "pro", n: 2 },
    ]);
    const row = page.locator('tr[data-view="plans"]');
    await row.waitFor();
    await page.getByRole("button", { name: "Refresh view plans" }).click();
    await page.getByText("plans refreshed.").waitFor({ timeout: 60_000 });
    await expect.poll(async () => (await row.locator("td").nth(3).textContent()) ?? "").toBe("2");
    await page.screenshot({ path: path.join(SHOTS, "views.png") });

    // A second view, deleted from the page: its table goes away.
    await page.getByLabel("View name", { exact: true }).fill("seat_total");
    await page.getByLabel("SELECT", { exact: true }).fill("SELECT sum(seats) AS seats FROM customers");
    await page.getByRole("button", { name: "Save view" }).click();
    await page.getByText("seat_total is built.").waitFor({ timeout: 60_000 });
    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: "Delete view seat_total" }).click();
    await page.getByText("Deleted seat_total.").waitFor();
    await expect.poll(() => page.locator('tr[data-view="seat_total"]').count()).toBe(0);
    const left = await json<{ views: { name: string }[] }>(server.api("/v1/views", { token: project.admin_key }));
    expect(left.views.map((v) => v.name)).toEqual(["plans"]);

    await page.getByRole("link", { name: "Policies" }).click();
    await page.getByText("No row-level policies").waitFor();
    await page.getByLabel("Name", { exact: true }).fill("pro_only");
    await page.getByLabel("Dataset", { exact: true }).fill("customers");
    await page.getByLabel("Roles (comma-separated)", { exact: true }).fill("viewer, analyst");
    await page.getByLabel("Filter (SQL boolean expression)", { exact: true }).fill("plan = 'pro'");
    await page.getByRole("button", { name: "Save policy" }).click();
    await page.getByText("Saved policy pro_only.").waitFor();
    const policies = await json<{ policies: { name: string; filter: string; applies_to: { roles: string[] } }[] }>(
      server.api("/v1/policies", { token: project.admin_key }),
    );
    expect(policies.policies).toMatchObject([
      { name: "pro_only", filter: "plan = 'pro'", applies_to: { roles: ["viewer", "analyst"] } },
    ]);
    await page.getByRole("region", { name: "Policies" }).getByText("plan = 'pro'").waitFor();
    await page.screenshot({ path: path.join(SHOTS, "policies.png") });
    page.on("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: "Delete policy pro_only" }).click();
    await page.getByText("No row-level policies").waitFor();

    // The jobs page lists the work done so far, and a job started elsewhere appears and finishes live.
    await page.getByRole("link", { name: "Jobs", exact: true }).click();
    const jobs = page.getByRole("region", { name: "Jobs" });
    await jobs.locator("tbody tr").first().waitFor();
    const types = await jobs.locator("tbody tr td:nth-child(2)").allTextContents();
    expect(types).toEqual(expect.arrayContaining(["upload", "profile", "view"]));
    await page.evaluate(() => {
      (globalThis as unknown as { marker: number }).marker = 7;
    });
    const started = await json<{ id: string }>(
      server.api("/v1/datasets/customers/profile", { method: "POST", token: project.admin_key }),
      202,
    );
    const jobRow = jobs.locator(`tr[data-job="${started.id}"]`);
    await jobRow.locator("td", { hasText: "succeeded" }).waitFor({ timeout: 60_000 });
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(7);
    await page.screenshot({ path: path.join(SHOTS, "jobs.png") });
    await page.close();
  });
});
