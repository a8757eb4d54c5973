// Windows over more rows than one invocation may hold answer through QuerySplit invocations, one
// per hash partition of their PARTITION BY keys, instead of QUERY_TOO_LARGE; the answers are the
// ones a single invocation gives (QUERY_SPLIT_FILES is 2 in tests, so the 12 files split).
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { projectCatalog } from "../../services/query/catalog";
import { projectFanOut } from "../../services/query/fan-out";
import { QueryError, runQuery } from "../../shared/query";
import { call, createKey, createProject } from "./helpers";
import { landManyFiles } from "./lake-helpers";

/** A project whose lake holds landManyFiles' 12 files, with a query key. */
async function projectWithManyFiles() {
  const p = await createProject("window-split");
  const { key } = await createKey(p.adminKey, ["query"]);
  await landManyFiles(p.id);
  return { ...p, query: key };
}

const SESSIONS = `SELECT user_id, count(*) AS n, sum(starts) AS sessions FROM (
  SELECT user_id, CASE WHEN lag(ts) OVER (PARTITION BY user_id ORDER BY ts, event_id) IS NULL
    OR ts - lag(ts) OVER (PARTITION BY user_id ORDER BY ts, event_id) > INTERVAL 30 MINUTE THEN 1 ELSE 0 END AS starts
  FROM events) g GROUP BY 1 ORDER BY 1 NULLS FIRST`;
const FIRST_EVENT = `SELECT event_type, count(*) AS users FROM (SELECT user_id, event_type FROM events
  WHERE user_id IS NOT NULL QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY ts, event_id) = 1) t GROUP BY 1 ORDER BY 1`;
const PREVIOUS = `SELECT event_id, user_id, lag(event_id) OVER (PARTITION BY user_id ORDER BY ts, event_id) AS prev
  FROM events ORDER BY event_id LIMIT 50`;

describe("windows split by hash partition over QuerySplit invocations", () => {
  it("answers windows past the row cap through splits instead of QUERY_TOO_LARGE", async () => {
    const p = await projectWithManyFiles();
    const catalog = () => projectCatalog(env, p.id);
    const cap = 80;
    for (const sql of [SESSIONS, FIRST_EVENT, PREVIOUS]) {
      const reference = await runQuery(sql, catalog());
      expect(reference.statistics.splits, sql).toBe(0);
      const split = await runQuery(sql, catalog(), {
        maxJoinRows: cap,
        fanOut: projectFanOut(env, exports, p.id),
      });
      expect(split.rows, sql).toEqual(reference.rows);
      // 240 rows over a cap of 80: 6 partitions (as many as the 12 files make splits of 2).
      expect(split.statistics.splits, sql).toBe(6);
    }
    const first = await runQuery(FIRST_EVENT, catalog());
    expect(first.rows.reduce((n, r) => n + Number(r[1]), 0)).toBe(23);
    // Without a PARTITION BY key the rows cannot be cut: the cap stands.
    const whole = runQuery("SELECT event_id, row_number() OVER (ORDER BY ts, event_id) AS rn FROM events", catalog(), {
      maxJoinRows: cap,
      fanOut: projectFanOut(env, exports, p.id),
    });
    await expect(whole).rejects.toBeInstanceOf(QueryError);
    await expect(whole).rejects.toMatchObject({ code: "QUERY_TOO_LARGE" });
  });

  it("answers a windowed /v1/query over many files through one split per partition", async () => {
    const p = await projectWithManyFiles();
    for (const sql of [SESSIONS, FIRST_EVENT, PREVIOUS]) {
      const res = await call("/v1/query", { method: "POST", token: p.query, json: { sql } });
      expect(res.status, await res.clone().text()).toBe(200);
      const answer = (await res.json()) as { data: Record<string, unknown>[]; statistics: { splits: number } };
      const single = await runQuery(sql, projectCatalog(env, p.id));
      const rows = single.rows.map((r) => Object.fromEntries(single.meta.map((m, i) => [m.name, r[i]])));
      expect(answer.data, sql).toEqual(rows);
      expect(answer.statistics.splits, sql).toBeGreaterThanOrEqual(2);
    }
  });
});
