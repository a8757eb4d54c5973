import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { runJob } from "../../queues/jobs-consumer";
import { call, createKey, createProject } from "./helpers";
import { deliver, message, queued } from "./lake-helpers";

const H = 3_600_000;
const T = Date.UTC(2026, 10, 20, 8);
const iso = (ms: number) => new Date(ms).toISOString().replace("T", " ").slice(0, 19);

/** Events over four hours, two event types, several users, sessions, countries and environments. */
async function projectWithEvents() {
  const p = await createProject("gold");
  const { key: query } = await createKey(p.adminKey, ["query"]);
  for (let b = 0; b < 4; b++) {
    await deliver([
      message(
        p.id,
        Array.from({ length: 12 }, (_, i) =>
          queued(p.id, `e${b}-${i}`, {
            ts: T + b * H + i * 60_000,
            event_type: i % 3 === 0 ? "order.created" : "page.view",
            user_id: i % 4 === 0 ? null : `u${(b + i) % 5}`,
            session_id: `s${b}-${i % 2}`,
            country: ["NL", "US", null][i % 3] ?? null,
            environment: i % 5 === 0 ? "staging" : "prod",
            region: b % 2 === 0 ? "eu" : null,
          }),
        ),
      ),
    ]);
  }
  return { ...p, query };
}

async function rollup(projectId: string) {
  const id = `job_rollup_${crypto.randomUUID().slice(0, 8)}`;
  await env.DB.prepare(
    "INSERT INTO jobs (id, type, project_id, params, status) VALUES (?, 'rollup', ?, '{}', 'queued')",
  )
    .bind(id, projectId)
    .run();
  expect(await runJob(env, id)).toBe("done");
  const row = await env.DB.prepare("SELECT status, error, result FROM jobs WHERE id = ?")
    .bind(id)
    .first<{ status: string; error: string | null; result: string }>();
  expect(row?.error ?? null).toBeNull();
  expect(row?.status).toBe("succeeded");
  return JSON.parse(row?.result as string) as Record<string, number>;
}

interface JsonAnswer {
  meta: { name: string; type: string }[];
  data: Record<string, unknown>[];
  statistics: Record<string, number | boolean>;
}

async function ask(token: string, sql: string, extra: Record<string, unknown> = {}): Promise<JsonAnswer> {
  const res = await call("/v1/query", { method: "POST", token, json: { sql, ...extra } });
  expect(res.status, sql).toBe(200);
  return (await res.json()) as JsonAnswer;
}

/** The same query pinned to the newest snapshot: time travel never uses rollups, so this reads the raw files. */
async function askRaw(p: { id: string; query: string }, sql: string) {
  const snapshot = (await env.DB.prepare("SELECT max(id) AS id FROM snapshots WHERE project_id = ?")
    .bind(p.id)
    .first<{ id: number }>()) as { id: number };
  const raw = await ask(p.query, sql, { snapshot: snapshot.id });
  expect(raw.statistics.rollup, sql).toBe(false);
  return raw;
}

const sortData = (rows: Record<string, unknown>[]) =>
  [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

const ELIGIBLE = [
  "SELECT count(*) AS n FROM events",
  "SELECT event_type, count(*) AS n, approx_count_distinct(user_id) AS users FROM events GROUP BY event_type ORDER BY event_type",
  "SELECT date_trunc('hour', ts) AS h, count(*) AS n, approx_count_distinct(session_id) AS sessions FROM events GROUP BY 1 ORDER BY 1",
  "SELECT date_trunc('day', ts) AS d, country, environment, region, source, count(*) AS n FROM events GROUP BY 1, 2, 3, 4, 5",
  `SELECT country, count(*) AS n FROM "page.view" WHERE ts >= TIMESTAMP '${iso(T + H)}' AND ts < TIMESTAMP '${iso(T + 3 * H)}' GROUP BY 1 ORDER BY n DESC, country LIMIT 2`,
  "SELECT approx_count_distinct(user_id) AS users FROM events WHERE event_type IN ('order.created')",
  `SELECT event_type, count(*) AS n FROM events WHERE ts >= TIMESTAMP '${iso(T + 10 * H)}' GROUP BY 1`,
  `SELECT count(*) AS n, approx_count_distinct(user_id) AS u FROM events WHERE ts >= TIMESTAMP '${iso(T + 10 * H)}'`,
  // One per level not used above (those use event_type, country and the full level).
  "SELECT country, environment, count(*) AS n FROM events GROUP BY 1, 2 ORDER BY n DESC, 1, 2 LIMIT 3",
  "SELECT environment, source, approx_count_distinct(user_id) AS u FROM events GROUP BY 1, 2",
  "SELECT environment, region, count(*) AS n FROM events GROUP BY 1, 2",
  "SELECT environment, count(*) AS n, approx_count_distinct(user_id) AS u FROM events GROUP BY 1 ORDER BY 1",
  "SELECT date_trunc('hour', ts) AS h, source, count(*) AS n FROM events GROUP BY 1, 2 ORDER BY 1, 2",
  "SELECT region, event_type, approx_count_distinct(session_id) AS s FROM events GROUP BY 1, 2",
];

const LEVELS = [
  "event_type",
  "event_type,environment",
  "event_type,source",
  "event_type,country",
  "event_type,region",
  "event_type,environment,source",
  "event_type,environment,region",
  "event_type,environment,country",
  "event_type,environment,source,country,region",
];

describe("rollups (gold)", () => {
  it("builds hourly groups once, and a retry or a second run changes nothing", async () => {
    const p = await projectWithEvents();
    const first = await rollup(p.id);
    expect(first).toMatchObject({ hours_built: 4, events: 48, hours_remaining: 0 });
    const hours = await env.DB.prepare(
      "SELECT hour_ms, events, built_snapshot FROM rollup_hours WHERE project_id = ? ORDER BY hour_ms",
    )
      .bind(p.id)
      .all<{ hour_ms: number; events: number }>();
    expect(hours.results.map((h) => [h.hour_ms, h.events])).toEqual([0, 1, 2, 3].map((b) => [T + b * H, 12]));
    const groups = async () =>
      (
        await env.DB.prepare(
          "SELECT hour_ms, level, event_type, environment, source, country, region, count, users_hll FROM rollups WHERE project_id = ? ORDER BY 1, 2, 3, 4, 5, 6, 7",
        )
          .bind(p.id)
          .all()
      ).results;
    const before = await groups();
    // Every level is built in the same run, and each counts every event once.
    for (const level of LEVELS) {
      expect(
        before.filter((g) => g.level === level).reduce((n, g) => n + (g.count as number), 0),
        level,
      ).toBe(48);
    }
    expect(new Set(before.map((g) => g.level))).toEqual(new Set(LEVELS));
    const second = await rollup(p.id);
    expect(second).toMatchObject({ hours_built: 0, hours_valid: 4 });
    expect(await groups()).toEqual(before);
  });

  it("answers eligible queries from rollups exactly as from the raw files", async () => {
    const p = await projectWithEvents();
    await rollup(p.id);
    for (const sql of ELIGIBLE) {
      const raw = await askRaw(p, sql);
      const gold = await ask(p.query, sql);
      expect(gold.statistics, sql).toMatchObject({ rollup: true, source: "rollup", files_read: 0 });
      expect(gold.meta, sql).toEqual(raw.meta);
      if (/ORDER BY/.test(sql)) expect(gold.data, sql).toEqual(raw.data);
      else expect(sortData(gold.data), sql).toEqual(sortData(raw.data));
    }
  });

  it("falls back to the raw files when an hour's rollup is missing or stale, until the next rollup", async () => {
    const p = await projectWithEvents();
    const sql = "SELECT event_type, count(*) AS n FROM events GROUP BY 1 ORDER BY 1";
    // (A different text: the result cache keeps answers until the manifest changes, and a rollup does not change it.)
    const none = await ask(p.query, `${sql} LIMIT 5`);
    expect(none.statistics.rollup).toBe(false);
    const unbuilt = (await ask(p.query, `EXPLAIN ${sql}`)) as unknown as {
      explain: { source: string; rollup: { eligible: boolean; reason: string } };
    };
    expect(unbuilt.explain.source).toBe("scan");
    expect(unbuilt.explain.rollup).toMatchObject({
      eligible: false,
      reason: "some hour in range has no valid rollup yet",
    });
    await rollup(p.id);
    const built = (await ask(p.query, `EXPLAIN ${sql}`)) as unknown as {
      explain: { source: string; rollup: { eligible: boolean; level: string } };
    };
    expect(built.explain).toMatchObject({ source: "rollup", rollup: { eligible: true } });
    const gold = await ask(p.query, sql);
    expect(gold.statistics.rollup).toBe(true);
    expect(gold.data).toEqual([
      { event_type: "order.created", n: 16 },
      { event_type: "page.view", n: 32 },
    ]);
    // A late event lands in an hour that was rolled up: that hour is stale now.
    await deliver([message(p.id, [queued(p.id, "late", { ts: T + H + 30_000, event_type: "page.view" })])]);
    const stale = await ask(p.query, sql);
    expect(stale.statistics.rollup).toBe(false);
    expect(stale.data).toEqual([
      { event_type: "order.created", n: 16 },
      { event_type: "page.view", n: 33 },
    ]);
    // Hours the new file does not touch, and other event types, still come from gold.
    const other = await ask(p.query, `SELECT count(*) AS n FROM events WHERE ts >= TIMESTAMP '${iso(T + 2 * H)}'`);
    expect(other).toMatchObject({ data: [{ n: 24 }], statistics: { rollup: true } });
    const orders = await ask(p.query, `SELECT count(*) AS n FROM "order.created"`);
    expect(orders).toMatchObject({ data: [{ n: 16 }], statistics: { rollup: true } });
    const rebuilt = await rollup(p.id);
    expect(rebuilt).toMatchObject({ hours_built: 1, hours_valid: 3 });
    const fresh = await ask(p.query, `${sql} LIMIT 10`);
    expect(fresh.statistics.rollup).toBe(true);
    expect(fresh.data).toEqual(stale.data);
  });

  it("stays exact across compaction: compacted hours are rebuilt, never counted twice", async () => {
    const p = await projectWithEvents();
    await rollup(p.id);
    const compact = `job_compact_${crypto.randomUUID().slice(0, 8)}`;
    await env.DB.prepare(
      "INSERT INTO jobs (id, type, project_id, params, status) VALUES (?, 'compact', ?, '{}', 'queued')",
    )
      .bind(compact, p.id)
      .run();
    expect(await runJob(env, compact)).toBe("done");
    const sql = "SELECT date_trunc('hour', ts) AS h, count(*) AS n FROM events GROUP BY 1 ORDER BY 1";
    const after = await ask(p.query, sql);
    expect(after.statistics.rollup).toBe(false);
    expect(await rollup(p.id)).toMatchObject({ hours_built: 4, events: 48 });
    const gold = await ask(p.query, `${sql} LIMIT 100`);
    expect(gold.statistics.rollup).toBe(true);
    expect(gold.data).toEqual(after.data);
    expect(gold.data.map((r) => r.n)).toEqual([12, 12, 12, 12]);
  });

  it("never serves other queries, time travel or unknown tables from rollups", async () => {
    const p = await projectWithEvents();
    await rollup(p.id);
    for (const sql of [
      "SELECT count(user_id) AS n FROM events",
      "SELECT count(DISTINCT user_id) AS n FROM events",
      "SELECT colo, count(*) FROM events GROUP BY 1",
      `SELECT count(*) FROM events WHERE ts >= TIMESTAMP '${iso(T + H + 60_000)}'`,
      "SELECT count(*) FROM events WHERE country = 'NL'",
      "SELECT event_type, count(*) AS n FROM events GROUP BY 1 ORDER BY n LIMIT 1",
    ]) {
      expect((await ask(p.query, sql)).statistics.rollup, sql).toBe(false);
    }
    expect((await askRaw(p, "SELECT count(*) FROM events")).statistics.rollup).toBe(false);
    const unknown = await call("/v1/query", {
      method: "POST",
      token: p.query,
      json: { sql: 'SELECT count(*) FROM "nope"' },
    });
    expect(unknown.status).toBe(400);
  });

  it("keeps each project's rollups to itself", async () => {
    const a = await projectWithEvents();
    const b = await projectWithEvents();
    await rollup(a.id);
    await rollup(b.id);
    const answer = await ask(a.query, "SELECT count(*) AS n FROM events");
    expect(answer).toMatchObject({ data: [{ n: 48 }], statistics: { rollup: true } });
  });
});
