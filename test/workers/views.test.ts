// Materialized views: a view stays equal to its SELECT run directly as data changes (new events,
// late events into an old day, erasure-like removals), incrementally; views over views refresh in
// dependency order; cycles are refused; a crash mid-refresh leaves the old version readable.
import { createScheduledController, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { runJob } from "../../queues/jobs-consumer";
import { handleScheduled } from "../../workers/scheduled";
import { createUser, login } from "./access-helpers";
import { call, createKey, createProject } from "./helpers";
import { deliver, message, queued } from "./lake-helpers";
import { defineView, finished, refresh, sql } from "./views-helpers";

const DAY = 86_400_000;
const D0 = Date.UTC(2026, 10, 20);

const REVENUE_SQL =
  "SELECT date_trunc('day', ts) AS day, count(*) AS orders, sum(CAST(payload->>'$.amount' AS DOUBLE)) AS revenue, " +
  'count(DISTINCT user_id) AS buyers FROM "order.created" GROUP BY 1';

let seq = 0;
function order(project: string, ts: number, amount: number, user: string) {
  return queued(project, `o-${seq++}`, {
    event_type: "order.created",
    ts,
    user_id: user,
    payload: JSON.stringify({ amount }),
  });
}

async function shop() {
  const p = await createProject("views");
  const { key } = await createKey(p.adminKey, ["query"]);
  await deliver([
    message(p.id, [
      order(p.id, D0 + 3_600_000, 10, "ann"),
      order(p.id, D0 + 7_200_000, 5.5, "bob"),
      order(p.id, D0 + DAY + 60_000, 20, "ann"),
      queued(p.id, "pv-1", { ts: D0 + 1000 }),
    ]),
  ]);
  return { ...p, key };
}

/** The view's rows and its SELECT's rows, both through /v1/query, in the same order. */
async function bothWays(token: string, view: string, select: string, order = "1") {
  const materialized = await sql(token, `SELECT * FROM ${view} ORDER BY ${order}`);
  const direct = await sql(token, `SELECT * FROM (${select}) AS s ORDER BY ${order}`);
  expect(materialized.status, JSON.stringify(materialized.error)).toBe(200);
  expect(direct.status, JSON.stringify(direct.error)).toBe(200);
  return { materialized: materialized.data, direct: direct.data };
}

async function lastRun(token: string, name: string) {
  const view = (await (await call(`/v1/views/${name}`, { token })).json()) as {
    last_run: { status: string; buckets: number | null; rows: number; published_snapshot: number | null };
    runs: unknown[];
    rows: number;
    files: number;
    fresh_as_of: string | null;
    next_run_at: string | null;
    depends_on: string[];
  };
  return view;
}

describe("materialized views", () => {
  it("a daily revenue view equals its SELECT after the first build, new events and late events (incremental)", async () => {
    const p = await shop();
    const put = await call("/v1/views/daily_revenue", {
      method: "PUT",
      token: p.adminKey,
      json: { sql: REVENUE_SQL, refresh: "daily", mode: "incremental", time_column: "day" },
    });
    expect(put.status).toBe(201);
    const saved = (await put.json()) as { name: string; version: number; depends_on: string[]; job_id: string };
    expect(saved).toMatchObject({ name: "daily_revenue", version: 1, depends_on: ["order.created"] });
    expect((await finished(saved.job_id)).status).toBe("succeeded");

    let both = await bothWays(p.key, "daily_revenue", REVENUE_SQL);
    expect(both.materialized).toEqual(both.direct);
    expect(both.materialized).toEqual([
      { day: "2026-11-20T00:00:00.000Z", orders: 2, revenue: 15.5, buyers: 2 },
      { day: "2026-11-21T00:00:00.000Z", orders: 1, revenue: 20, buyers: 1 },
    ]);
    const first = await lastRun(p.key, "daily_revenue");
    expect(first.last_run).toMatchObject({ status: "succeeded", buckets: 2, rows: 2 });
    expect(first.fresh_as_of).not.toBeNull();
    expect(first.next_run_at).toMatch(/T00:00:00.000Z$/);
    const v1Snapshot = first.last_run.published_snapshot as number;

    // New events on a new day: only that day is recomputed.
    await deliver([message(p.id, [order(p.id, D0 + 2 * DAY + 5, 7, "cy"), order(p.id, D0 + 2 * DAY + 9, 3, "cy")])]);
    expect((await refresh(p.adminKey, "daily_revenue")).status).toBe("succeeded");
    expect((await lastRun(p.key, "daily_revenue")).last_run).toMatchObject({ buckets: 1, rows: 1 });
    both = await bothWays(p.key, "daily_revenue", REVENUE_SQL);
    expect(both.materialized).toEqual(both.direct);
    expect(both.materialized).toHaveLength(3);

    // A late event into the first day: that day is recomputed, the others are kept.
    await deliver([message(p.id, [order(p.id, D0 + 600_000, 100, "dee")])]);
    expect((await refresh(p.adminKey, "daily_revenue")).status).toBe("succeeded");
    expect((await lastRun(p.key, "daily_revenue")).last_run).toMatchObject({ buckets: 1 });
    both = await bothWays(p.key, "daily_revenue", REVENUE_SQL);
    expect(both.materialized).toEqual(both.direct);
    expect(both.materialized[0]).toEqual({ day: "2026-11-20T00:00:00.000Z", orders: 3, revenue: 115.5, buyers: 3 });

    // An erasure-like rewrite removes the file holding the second day's order: the days it spans are recomputed.
    const dayTwo = await env.DB.prepare(
      "SELECT id FROM lake_files WHERE project_id = ? AND dataset = 'order.created' AND min_ts <= ? AND max_ts >= ? AND removed_snapshot IS NULL",
    )
      .bind(p.id, D0 + DAY + 60_000, D0 + DAY + 60_000)
      .all<{ id: number }>();
    const { publish } = await import("../../services/manifest/publish");
    await publish(env.DB, {
      kind: "erase",
      projectId: p.id,
      commitId: crypto.randomUUID(),
      remove: dayTwo.results.map((r) => r.id),
      add: [],
    });
    expect((await refresh(p.adminKey, "daily_revenue")).status).toBe("succeeded");
    expect(dayTwo.results.length).toBeGreaterThan(0);
    expect((await lastRun(p.key, "daily_revenue")).last_run.buckets).toBeGreaterThanOrEqual(1);
    both = await bothWays(p.key, "daily_revenue", REVENUE_SQL);
    expect(both.materialized).toEqual(both.direct);
    expect(both.materialized.map((r) => r.day)).not.toContain("2026-11-21T00:00:00.000Z");
    const remaining = both.materialized.length;

    // Nothing changed: a refresh recomputes nothing and publishes nothing.
    expect((await refresh(p.adminKey, "daily_revenue")).status).toBe("succeeded");
    expect((await lastRun(p.key, "daily_revenue")).last_run).toMatchObject({ buckets: 0, published_snapshot: null });

    // Time travel: the first version is still readable at its snapshot.
    const old = await sql(p.key, "SELECT day, orders FROM daily_revenue ORDER BY day", { snapshot: v1Snapshot });
    expect(old.data).toEqual([
      { day: "2026-11-20T00:00:00.000Z", orders: 2 },
      { day: "2026-11-21T00:00:00.000Z", orders: 1 },
    ]);

    // Joinable like any table, listed with the datasets, and in lineage.
    const joined = await sql(
      p.key,
      "SELECT r.day, r.orders, count(*) AS n FROM daily_revenue r JOIN \"order.created\" o ON date_trunc('day', o.ts) = r.day GROUP BY 1, 2 ORDER BY 1",
    );
    expect(joined.data).toHaveLength(remaining);
    for (const r of joined.data) expect(r.orders).toBe(r.n);
    const datasets = (await (await call("/v1/datasets", { token: p.key })).json()) as {
      datasets: { name: string; rows: number }[];
    };
    expect(datasets.datasets.find((d) => d.name === "daily_revenue")).toMatchObject({ rows: remaining });
    const catalog = (await (await call("/v1/catalog", { token: p.key })).json()) as {
      datasets: { name: string; kind: string; columns: { name: string }[] }[];
    };
    const entry = catalog.datasets.find((d) => d.name === "daily_revenue");
    expect(entry?.kind).toBe("view");
    expect(entry?.columns.map((c) => c.name)).toEqual(["day", "orders", "revenue", "buyers"]);
    const lineage = (await (await call("/v1/lineage?dataset=daily_revenue", { token: p.adminKey })).json()) as {
      events: { eventType: string; job: { name: string }; inputs: { name: string }[] }[];
    };
    const runs = lineage.events.filter((e) => e.job.name === "view.daily_revenue");
    expect(runs.filter((e) => e.eventType === "COMPLETE")).toHaveLength(5);
    expect(runs[0]?.inputs.map((i) => i.name)).toEqual(["order.created"]);
  });

  it("a replace view follows removals of its input, and keeps its columns' types", async () => {
    const p = await shop();
    const byType = "SELECT event_type, count(*) AS n FROM events GROUP BY 1";
    await defineView(p.adminKey, "by_type", { sql: byType });
    let both = await bothWays(p.key, "by_type", byType);
    expect(both.materialized).toEqual([
      { event_type: "order.created", n: 3 },
      { event_type: "page.view", n: 1 },
    ]);
    // The lake loses the page views (as retention or an erasure would): the view follows on refresh.
    const pv = await env.DB.prepare(
      "SELECT id FROM lake_files WHERE project_id = ? AND dataset = 'page.view' AND removed_snapshot IS NULL",
    )
      .bind(p.id)
      .all<{ id: number }>();
    const { publish } = await import("../../services/manifest/publish");
    await publish(env.DB, {
      kind: "retention",
      projectId: p.id,
      commitId: crypto.randomUUID(),
      remove: pv.results.map((r) => r.id),
      add: [],
    });
    expect((await refresh(p.adminKey, "by_type")).status).toBe("succeeded");
    both = await bothWays(p.key, "by_type", byType);
    expect(both.materialized).toEqual(both.direct);
    expect(both.materialized).toEqual([{ event_type: "order.created", n: 3 }]);

    // JSON, TIMESTAMP, DATE, BOOLEAN and DECIMAL columns read back as the SELECT gives them.
    const typed =
      "SELECT event_id, ts, CAST(ts AS DATE) AS d, payload, payload->>'$.amount' AS amount_text, " +
      "CAST(payload->>'$.amount' AS DECIMAL(10,2)) AS amount, user_id = 'ann' AS is_ann FROM \"order.created\"";
    await defineView(p.adminKey, "typed", { sql: typed });
    both = await bothWays(p.key, "typed", typed);
    expect(both.materialized).toEqual(both.direct);
    const json = await sql(p.key, "SELECT payload->>'$.amount' AS a FROM typed ORDER BY 1");
    expect(json.data.map((r) => r.a)).toEqual(["10", "20", "5.5"]);
  });

  it("refreshes views over views in dependency order from the cron, and refuses cycles", async () => {
    const p = await shop();
    const perUser =
      "SELECT user_id, count(*) AS n, sum(CAST(payload->>'$.amount' AS DOUBLE)) AS spent FROM \"order.created\" GROUP BY 1";
    await defineView(p.adminKey, "per_user", { sql: perUser, refresh: "hourly" });
    const bigSql = "SELECT user_id, spent FROM per_user WHERE n >= 2";
    await defineView(p.adminKey, "big_spenders", { sql: bigSql, refresh: "hourly" });
    expect((await lastRun(p.key, "big_spenders")).depends_on).toEqual(["per_user"]);
    expect((await sql(p.key, "SELECT * FROM big_spenders")).data).toEqual([{ user_id: "ann", spent: 30 }]);

    const cycle = await call("/v1/views/per_user", {
      method: "PUT",
      token: p.adminKey,
      json: { sql: "SELECT user_id, spent AS n, spent FROM big_spenders", refresh: "hourly" },
    });
    expect(cycle.status).toBe(400);
    expect(((await cycle.json()) as { error: { message: string } }).error.message).toMatch(
      /per_user → big_spenders → per_user/,
    );
    const self = await call("/v1/views/loop", {
      method: "PUT",
      token: p.adminKey,
      json: { sql: "SELECT 1 AS x FROM loop" },
    });
    expect(self.status).toBe(400);

    // New orders, then the hourly cron: per_user before big_spenders, in one job.
    await deliver([message(p.id, [order(p.id, D0 + 5000, 1, "bob"), order(p.id, D0 + 6000, 2, "cy")])]);
    await env.DB.prepare("UPDATE views SET next_run_at = '2000-01-01T00:00:00.000Z' WHERE project_id = ?")
      .bind(p.id)
      .run();
    await handleScheduled(createScheduledController({ cron: "5 * * * *", scheduledTime: Date.now() }), env);
    const job = await env.DB.prepare(
      "SELECT id, params FROM jobs WHERE project_id = ? AND type = 'view' ORDER BY created_at DESC LIMIT 1",
    )
      .bind(p.id)
      .first<{ id: string; params: string }>();
    expect(JSON.parse(job?.params ?? "{}")).toEqual({ views: ["per_user", "big_spenders"] });
    const done = await finished(job?.id as string);
    expect(done.status).toBe("succeeded");
    expect(((done.result?.refreshed ?? []) as { view: string }[]).map((r) => r.view)).toEqual([
      "per_user",
      "big_spenders",
    ]);
    const both = await bothWays(p.key, "big_spenders", `SELECT user_id, spent FROM (${perUser}) WHERE n >= 2`);
    expect(both.materialized).toEqual(both.direct);
    expect(both.materialized.map((r) => r.user_id)).toEqual(["ann", "bob"]);

    // A view another view reads cannot be deleted first.
    expect((await call("/v1/views/per_user", { method: "DELETE", token: p.adminKey })).status).toBe(409);
    expect((await call("/v1/views/big_spenders", { method: "DELETE", token: p.adminKey })).status).toBe(204);
    expect((await sql(p.key, "SELECT * FROM big_spenders")).status).toBe(400);
    expect((await call("/v1/views/big_spenders", { token: p.key })).status).toBe(404);
  });

  it("keeps the previous version readable when a refresh crashes before publishing, and the next run completes", async () => {
    const p = await shop();
    await defineView(p.adminKey, "daily", { sql: REVENUE_SQL, mode: "incremental", time_column: "day" });
    const before = (await sql(p.key, "SELECT * FROM daily ORDER BY day")).data;
    await deliver([message(p.id, [order(p.id, D0 + 1000, 1, "zed")])]);
    const id = `job_test_${crypto.randomUUID().slice(0, 8)}`;
    await env.DB.prepare("INSERT INTO jobs (id, type, project_id, params, status) VALUES (?, 'view', ?, ?, 'queued')")
      .bind(id, p.id, JSON.stringify({ view: "daily" }))
      .run();
    const crash = () => {
      throw new Error("isolate died mid-refresh");
    };
    expect(await runJob(env, id, { view: { beforePublish: crash } })).toBe("retry");
    expect((await sql(p.key, "SELECT * FROM daily ORDER BY day")).data).toEqual(before);
    const failed = (await lastRun(p.key, "daily")).last_run;
    expect(failed).toMatchObject({ status: "failed" });
    expect(await runJob(env, id)).toBe("done");
    const both = await bothWays(p.key, "daily", REVENUE_SQL);
    expect(both.materialized).toEqual(both.direct);
    expect(both.materialized[0]).toMatchObject({ orders: 3 });
  });

  it("builds a large incremental view in steps across invocations, resuming at the same input snapshot", async () => {
    const p = await shop();
    await deliver([message(p.id, [order(p.id, D0 + 2 * DAY, 4, "cy"), order(p.id, D0 + 3 * DAY, 6, "dee")])]);
    await env.DB.prepare(
      "INSERT INTO views (project_id, name, sql, refresh, mode, time_column, depends_on, columns) VALUES (?, 'steps', ?, 'manual', 'incremental', 'day', ?, '[]')",
    )
      .bind(p.id, REVENUE_SQL, JSON.stringify(["order.created"]))
      .run();
    const id = `job_test_${crypto.randomUUID().slice(0, 8)}`;
    await env.DB.prepare("INSERT INTO jobs (id, type, project_id, params, status) VALUES (?, 'view', ?, ?, 'queued')")
      .bind(id, p.id, JSON.stringify({ view: "steps" }))
      .run();
    // One day a step, two steps an invocation: four days take two invocations.
    expect(await runJob(env, id, { view: { bucketsPerStep: 1, stepsPerInvocation: 2 } })).toBe("done");
    const first = await env.DB.prepare("SELECT result FROM jobs WHERE id = ?").bind(id).first<{ result: string }>();
    const result = JSON.parse(first?.result ?? "{}") as {
      refreshed: { buckets: number; buckets_remaining: number; input_snapshot: number }[];
      continued_by: string;
    };
    expect(result.refreshed[0]).toMatchObject({ buckets: 2, buckets_remaining: 2 });
    const midway = await lastRun(p.key, "steps");
    expect(midway).toMatchObject({ pending_buckets: 2, rows: 2 });
    // Events landing meanwhile do not change what the build computes from: it resumes at its snapshot.
    await deliver([message(p.id, [order(p.id, D0 + 3 * DAY + 5, 50, "eve")])]);
    expect((await finished(result.continued_by)).status).toBe("succeeded");
    const done = await lastRun(p.key, "steps");
    expect(done).toMatchObject({ pending_buckets: 0, rows: 4 });
    expect((await sql(p.key, "SELECT orders FROM steps ORDER BY day")).data.map((r) => r.orders)).toEqual([2, 1, 1, 1]);
    // The next refresh takes in what landed meanwhile.
    expect((await refresh(p.adminKey, "steps")).status).toBe("succeeded");
    const both = await bothWays(p.key, "steps", REVENUE_SQL);
    expect(both.materialized).toEqual(both.direct);
  });

  it("recomputes every day of an incremental view when a dimension it joins (an upload) changes", async () => {
    const p = await shop();
    const { publish } = await import("../../services/manifest/publish");
    const { parquetWriteBuffer } = await import("hyparquet-writer");
    const upload = async (tiers: Record<string, string>, remove: number[]) => {
      const buffer = parquetWriteBuffer({
        columnData: [
          { name: "user_id", data: Object.keys(tiers), type: "STRING" },
          { name: "tier", data: Object.values(tiers), type: "STRING" },
        ],
      });
      const key = `lake/${p.id}/uploads/customers/dt=2026-11-20/${crypto.randomUUID()}.parquet`;
      await env.LAKE.put(key, buffer);
      await publish(env.DB, {
        kind: "upload",
        projectId: p.id,
        commitId: crypto.randomUUID(),
        remove,
        add: [
          {
            key,
            dataset: "customers",
            layer: "uploads",
            dt: "2026-11-20",
            hr: null,
            rows: Object.keys(tiers).length,
            bytes: buffer.byteLength,
            minTs: 0,
            maxTs: 0,
            columns: [
              { name: "user_id", type: "VARCHAR" },
              { name: "tier", type: "VARCHAR" },
            ],
          },
        ],
      });
    };
    await upload({ ann: "gold", bob: "free" }, []);
    const byTier =
      "SELECT date_trunc('day', o.ts) AS day, c.tier, count(*) AS n FROM \"order.created\" o JOIN customers c ON o.user_id = c.user_id GROUP BY 1, 2";
    await defineView(p.adminKey, "by_tier", { sql: byTier, mode: "incremental", time_column: "day" });
    let both = await bothWays(p.key, "by_tier", byTier, "1, 2");
    expect(both.materialized).toEqual(both.direct);
    expect(both.materialized.map((r) => r.tier)).toEqual(["free", "gold", "gold"]);
    const old = await env.DB.prepare(
      "SELECT id FROM lake_files WHERE project_id = ? AND dataset = 'customers' AND removed_snapshot IS NULL",
    )
      .bind(p.id)
      .all<{ id: number }>();
    await upload(
      { ann: "silver", bob: "free" },
      old.results.map((r) => r.id),
    );
    expect((await refresh(p.adminKey, "by_tier")).status).toBe("succeeded");
    expect((await lastRun(p.key, "by_tier")).last_run.buckets).toBe(2);
    both = await bothWays(p.key, "by_tier", byTier, "1, 2");
    expect(both.materialized).toEqual(both.direct);
    expect(both.materialized.map((r) => r.tier)).toEqual(["free", "silver", "silver"]);
  });

  it("takes in events a quarantine replay lands, in the day they belong to", async () => {
    const p = await createProject("views-replay");
    const { key } = await createKey(p.adminKey, ["ingest", "query"]);
    const schema = (required: string[]) => ({
      type: "object",
      required,
      properties: { amount: { type: "number" }, currency: { type: "string" } },
    });
    const put = (required: string[]) =>
      call("/v1/contracts/order.created", { method: "PUT", token: p.adminKey, json: { schema: schema(required) } });
    expect((await put(["amount", "currency"])).status).toBe(201);
    const ev = (id: string, day: number, payload: Record<string, unknown>) => ({
      eventType: "order.created",
      eventId: id,
      timestamp: new Date(D0 + day * DAY + 3_600_000).toISOString(),
      data: { payload },
    });
    const sent = await call("/v1/events", {
      method: "POST",
      token: key,
      json: [
        ev("r1", 0, { amount: 10, currency: "EUR" }),
        ev("r2", 1, { amount: 5, currency: "EUR" }),
        ev("r3", 0, { amount: 7 }),
      ],
    });
    expect(((await sent.json()) as { accepted: number }).accepted).toBe(2);
    const landed = async (n: number) => {
      for (let i = 0; i < 150; i++) {
        const r = await sql(key, 'SELECT count(*) AS n FROM "order.created"');
        if (r.status === 200 && r.data[0]?.n === n) return;
        await new Promise((done) => setTimeout(done, 100));
      }
      throw new Error(`${n} events did not land`);
    };
    await landed(2);
    await defineView(p.adminKey, "replayed", { sql: REVENUE_SQL, mode: "incremental", time_column: "day" });
    // The contract is fixed (currency optional) and the quarantine replayed: r3 lands in day 0.
    expect((await put(["amount"])).status).toBe(201); // a new version
    const replay = await call("/v1/quarantine/replay", {
      method: "POST",
      token: p.adminKey,
      json: { event_type: "order.created" },
    });
    expect(replay.status).toBe(200);
    await landed(3);
    expect((await refresh(p.adminKey, "replayed")).status).toBe("succeeded");
    expect((await lastRun(key, "replayed")).last_run.buckets).toBe(1);
    const both = await bothWays(key, "replayed", REVENUE_SQL);
    expect(both.materialized).toEqual(both.direct);
    expect(both.materialized[0]).toMatchObject({ orders: 2, revenue: 17 });
  });

  it("raises an alert through the project's webhooks when a refresh fails for good", async () => {
    const p = await shop();
    await defineView(p.adminKey, "daily", { sql: REVENUE_SQL });
    const rule = await call("/v1/alerts", {
      method: "POST",
      token: p.adminKey,
      json: {
        name: "ops",
        metric: "events",
        window: "1m",
        condition: { kind: "threshold", op: ">", value: 1_000_000 },
        webhook_url: "http://127.0.0.1:9/unreachable",
      },
    });
    expect(rule.status).toBe(201);
    const id = `job_test_${crypto.randomUUID().slice(0, 8)}`;
    // The job's last attempt (four have failed before).
    await env.DB.prepare(
      "INSERT INTO jobs (id, type, project_id, params, status, attempts) VALUES (?, 'view', ?, ?, 'queued', 4)",
    )
      .bind(id, p.id, JSON.stringify({ view: "daily" }))
      .run();
    const broken = () => {
      throw new Error("R2 refused the write");
    };
    expect(await runJob(env, id, { view: { beforePublish: broken } })).toBe("done");
    const job = await env.DB.prepare("SELECT status FROM jobs WHERE id = ?").bind(id).first<{ status: string }>();
    expect(job?.status).toBe("failed");
    const alerts = await env.DB.prepare(
      "SELECT metric, status, delivery, reason FROM live_alert_events WHERE project_id = ? AND metric = 'view:daily'",
    )
      .bind(p.id)
      .all<{ metric: string; status: string; delivery: string; reason: string }>();
    expect(alerts.results).toHaveLength(1);
    expect(alerts.results[0]).toMatchObject({ status: "firing" });
    expect(alerts.results[0]?.reason).toMatch(/view daily refresh failed.*R2 refused the write/);
    // The previous version is still what the view answers.
    const both = await bothWays(p.key, "daily", REVENUE_SQL);
    expect(both.materialized).toEqual(both.direct);
  });

  it("answers a query that is a view's SELECT from the view only while the answer is identical, and EXPLAIN says so", async () => {
    const p = await shop();
    const daily = "SELECT date_trunc('day', ts) AS day, count(*) AS orders FROM \"order.created\" GROUP BY 1";
    await defineView(p.adminKey, "daily_orders", { sql: daily });
    const ask = async (text: string) => {
      const res = await call("/v1/query", { method: "POST", token: p.key, json: { sql: text } });
      return (await res.json()) as {
        data: Record<string, unknown>[];
        statistics: { source: string; files_read: number };
      };
    };
    const fromView = await ask(`${daily}\n ORDER BY day;`);
    expect(fromView.statistics.source).toBe("view");
    expect(fromView.data).toEqual([
      { day: "2026-11-20T00:00:00.000Z", orders: 2 },
      { day: "2026-11-21T00:00:00.000Z", orders: 1 },
    ]);
    const plan = async (text: string) => (await ask(`EXPLAIN ${text}`)).data.map((r) => r.plan as string);
    expect(await plan(`${daily} ORDER BY day`)).toContain("view: daily_orders");
    expect((await plan(daily))[0]).toMatch(/^answered by: view/);
    // Another question, or an ORDER BY the view cannot bind: the scan answers.
    expect((await ask(`${daily} ORDER BY count(*)`)).statistics.source).toBe("scan");
    // New input: the view is stale until its next refresh, so the scan answers (with the new rows).
    await deliver([message(p.id, [order(p.id, D0 + 3 * DAY, 1, "new")])]);
    const stale = await ask(`${daily} ORDER BY day`);
    expect(stale.statistics.source).toBe("scan");
    expect(stale.data).toHaveLength(3);
    expect((await plan(`${daily} ORDER BY day`)).find((l) => l.startsWith("view:"))).toMatch(
      /stale: 1 input files changed/,
    );
    expect((await refresh(p.adminKey, "daily_orders")).status).toBe("succeeded");
    const fresh = await ask(`${daily} ORDER BY day`);
    expect(fresh.statistics.source).toBe("view");
    expect(fresh.data).toEqual(stale.data);
    // A view that stores a column at another type (sum of integers: HUGEINT kept as BIGINT) never answers for its SELECT.
    const sums = "SELECT user_id, sum(CAST(payload->>'$.amount' AS BIGINT)) AS total FROM \"order.created\" GROUP BY 1";
    await defineView(p.adminKey, "sums", { sql: sums });
    expect((await ask(sums)).statistics.source).toBe("scan");
    expect((await plan(sums)).find((l) => l.startsWith("view:"))).toMatch(/stores total as BIGINT, not HUGEINT/);
  });

  it("never serves a view to someone row-level policies bind: their SELECT is scanned and filtered", async () => {
    const p = await shop();
    const perUser = 'SELECT user_id, count(*) AS n FROM "order.created" GROUP BY 1';
    await defineView(p.adminKey, "per_user_n", { sql: perUser });
    const user = await createUser(p.adminKey, "ann@views.test", "analyst");
    await call(`/v1/users/${user.id}`, { method: "PATCH", token: p.adminKey, json: { attributes: { me: "ann" } } });
    const policy = await call("/v1/policies/own", {
      method: "PUT",
      token: p.adminKey,
      json: {
        dataset: "order.created",
        applies_to: { roles: ["analyst"] },
        filter: "user_id = current_user_attribute('me')",
      },
    });
    expect(policy.status).toBe(201);
    const token = await login(p.id, "ann@views.test");
    const direct = await call("/v1/views/per_user_n", { token }); // the definition is readable
    expect(direct.status).toBe(200);
    const read = await call("/v1/query", { method: "POST", token, json: { sql: "SELECT * FROM per_user_n" } });
    expect(read.status).toBe(403);
    const asked = await call("/v1/query", { method: "POST", token, json: { sql: `${perUser} ORDER BY 1` } });
    const body = (await asked.json()) as { data: unknown[]; statistics: { source: string } };
    expect(body.statistics.source).toBe("scan");
    expect(body.data).toEqual([{ user_id: "ann", n: 2 }]);
    // Unbound, the same question is answered from the view.
    const admin = await call("/v1/query", { method: "POST", token: p.key, json: { sql: `${perUser} ORDER BY 1` } });
    expect(((await admin.json()) as { statistics: { source: string } }).statistics.source).toBe("view");
  });

  it("validates definitions: SQL, names, time columns, permissions", async () => {
    const p = await shop();
    const put = (name: string, json: unknown, token = p.adminKey) =>
      call(`/v1/views/${name}`, { method: "PUT", token, json });
    expect((await put("bad", { sql: "SELECT nope FROM events" })).status).toBe(400);
    expect((await put("bad", { sql: "DELETE FROM events" })).status).toBe(400);
    expect((await put("Bad-Name", { sql: "SELECT 1 AS x" })).status).toBe(400);
    expect((await put("events", { sql: "SELECT 1 AS x" })).status).toBe(400);
    expect((await put("inc", { sql: REVENUE_SQL, mode: "incremental" })).status).toBe(400);
    expect((await put("inc", { sql: REVENUE_SQL, mode: "incremental", time_column: "orders" })).status).toBe(400);
    expect((await put("dup", { sql: "SELECT 1 AS x, 2 AS x" })).status).toBe(400);
    expect((await put("ok", { sql: REVENUE_SQL }, p.key)).status).toBe(403);
    expect((await call("/v1/views/nope/refresh", { method: "POST", token: p.adminKey })).status).toBe(404);
    expect((await call("/v1/views", { token: p.key })).status).toBe(200);
  });
});
