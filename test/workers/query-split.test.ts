// Scale-out: a /v1/query over more files than QUERY_SPLIT_FILES (2 in tests) is read by QuerySplit
// invocations of the same Worker, and the merged answer is the one a single invocation gives.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { projectCatalog } from "../../services/query/catalog";
import type { ProjectSplit, SplitAnswer } from "../../services/query/fan-out";
import { runQuery } from "../../shared/query";
import { call, createKey, createProject } from "./helpers";
import { deliver, message, queued } from "./lake-helpers";

const T = Date.UTC(2026, 10, 21, 0);
const HOUR = 3_600_000;
const TYPES = ["page.view", "click", "order.created"];

/** A project with events over 4 hours × 3 types, landed in 4 batches: 12 lake files. */
async function projectWithManyFiles() {
  const p = await createProject("split");
  const { key } = await createKey(p.adminKey, ["query"]);
  const events = [];
  for (let i = 0; i < 240; i++) {
    const type = TYPES[i % 3] as string;
    events.push(
      queued(p.id, `e${i}`, {
        event_type: type,
        ts: T + (i % 4) * HOUR + i * 1000,
        user_id: i % 7 === 0 ? null : `u${i % 23}`,
        country: ["NL", "DE", null, "US"][i % 4] ?? null,
        payload: JSON.stringify({ amount: (i * 37) % 101, path: `/p${i % 5}` }),
      }),
    );
  }
  // One consumer batch per hour: each writes a file per event type (bronze lands by arrival).
  for (let h = 0; h < 4; h++) {
    await deliver([
      message(
        p.id,
        events.filter((e) => Math.floor((e.ts - T) / HOUR) === h),
      ),
    ]);
  }
  const files = await env.DB.prepare("SELECT key, bytes, rows FROM lake_files WHERE project_id = ?")
    .bind(p.id)
    .all<{ key: string; bytes: number; rows: number }>();
  return { ...p, query: key, files: files.results };
}

interface JsonAnswer {
  data: Record<string, unknown>[];
  statistics: Record<string, number | boolean>;
}

async function ask(token: string, sql: string): Promise<JsonAnswer> {
  const res = await call("/v1/query", { method: "POST", token, json: { sql } });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as JsonAnswer;
}

/** The same SQL in this invocation alone (no fan-out), rows as JSON objects. */
async function single(projectId: string, sql: string) {
  const result = await runQuery(sql, projectCatalog(env, projectId));
  const rows = result.rows.map((r) =>
    Object.fromEntries(result.meta.map((m, i) => [m.name, r[i] instanceof Date ? (r[i] as Date).toISOString() : r[i]])),
  );
  return { rows, statistics: result.statistics };
}

describe("a query split over QuerySplit invocations", () => {
  it("reads a scan of many files in several invocations and answers exactly as one would", async () => {
    const p = await projectWithManyFiles();
    expect(p.files.length).toBe(12);
    expect(env.QUERY_SPLIT_FILES).toBe("2");
    const queries = [
      "SELECT event_type, date_trunc('hour', ts) AS h, count(*) AS n, count(DISTINCT user_id) AS users, sum(CAST(payload->>'amount' AS INTEGER)) AS amount, median(CAST(payload->>'amount' AS DOUBLE)) AS mid, min(country) AS lo FROM events GROUP BY 1, 2 ORDER BY 1, 2",
      "SELECT approx_count_distinct(user_id) AS u, count(*) AS n, avg(CAST(payload->>'amount' AS DOUBLE)) AS a FROM events",
      "SELECT event_id, ts, country FROM events ORDER BY ts DESC, event_id LIMIT 7 OFFSET 3",
      "SELECT DISTINCT country FROM events ORDER BY country NULLS FIRST",
      "SELECT count(*) AS n FROM (SELECT user_id, count(*) AS c FROM events GROUP BY 1) t WHERE c > 10",
    ];
    for (const sql of queries) {
      const answer = await ask(p.query, sql);
      const reference = await single(p.id, sql);
      expect(answer.statistics.splits, sql).toBeGreaterThanOrEqual(2);
      expect(answer.statistics.files_read, sql).toBe(reference.statistics.files_read);
      expect(answer.data, sql).toEqual(reference.rows);
    }
    const counted = await ask(p.query, "SELECT count(*) AS n, count(user_id) AS users FROM events");
    expect(counted.data).toEqual([{ n: 240, users: 205 }]);
    expect(counted.statistics.rows_read).toBe(240);
    expect(counted.statistics.bytes_read).toBeGreaterThan(0);
  });

  it("keeps a scan of few files in one invocation", async () => {
    const p = await projectWithManyFiles();
    const answer = await ask(p.query, "SELECT count(*) AS n FROM click WHERE ts < TIMESTAMP '2026-11-21 02:00'");
    expect(answer.data).toEqual([{ n: 40 }]);
    expect(answer.statistics.splits).toBe(0);
  });

  it("answers a query error inside a split as data, with its code", async () => {
    const p = await projectWithManyFiles();
    const request: ProjectSplit = {
      projectId: p.id,
      sql: "SELECT count(DISTINCT event_id) AS n FROM events",
      nowMs: Date.now(),
      depth: 0,
      files: p.files.map((f) => ({ key: f.key, bytes: f.bytes, rows: f.rows, dataset: "x", minTs: 0, maxTs: 2e12 })),
      maxGroups: 2,
      maxRows: 100,
    };
    const answer = (await exports.QuerySplit.scan(request)) as SplitAnswer;
    expect(answer.ok).toBe(false);
    expect(answer.ok ? null : answer.code).toBe("QUERY_TOO_LARGE");
  });

  it("refuses to read another project's files", async () => {
    const mine = await projectWithManyFiles();
    const theirs = await projectWithManyFiles();
    const file = theirs.files[0] as { key: string; bytes: number; rows: number };
    const request: ProjectSplit = {
      projectId: mine.id,
      sql: "SELECT count(*) AS n FROM events",
      nowMs: Date.now(),
      depth: 0,
      files: [{ key: file.key, bytes: file.bytes, rows: file.rows, dataset: "click", minTs: 0, maxTs: 2e12 }],
      maxGroups: 10,
      maxRows: 100,
    };
    const answer = (await exports.QuerySplit.scan(request)) as SplitAnswer;
    expect(answer.ok).toBe(false);
    expect(answer.ok ? null : answer).toMatchObject({ code: "INVALID_SPLIT", message: /not a sized file of project/ });
  });
});
