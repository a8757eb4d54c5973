// GROUP BY with more groups than the cap (maxGroups) answers by hash partitions of its GROUP BY
// keys, in process one partition after another and through one split per partition with a
// fan-out, and the answers stay DuckDB's. The fixture has 3,800 events (about 400 users, 900
// sessions, 3 days); the cap here is 500 groups.
import { describe, expect, it } from "vitest";
import { explainQuery, type FanOut, type QueryError, type runQuery, type SplitRequest } from "../../shared/query/index";
import { expectSameAsDuckDB, inProcessFanOut, lakeWithDuckDB, queryFailure } from "./query-fixtures";

const lake = lakeWithDuckDB();
const CAP = 500;

const PARTITIONED = [
  // one key, every event its own group
  "SELECT event_id, count(*) AS n FROM events GROUP BY 1 ORDER BY 1",
  // several keys, NULL keys (users and sessions are NULL in a tenth of the rows)
  "SELECT user_id, session_id, count(*) AS n, min(ts) AS first, max(ts) AS last FROM events GROUP BY 1, 2 ORDER BY 1 NULLS FIRST, 2 NULLS FIRST",
  "SELECT user_id, date_trunc('hour', ts) AS h, event_type, count(*) AS n FROM events GROUP BY 1, 2, 3 ORDER BY 1 NULLS FIRST, 2, 3",
  // HAVING, then ORDER BY and LIMIT above the partitions
  "SELECT session_id, count(*) AS n, count(DISTINCT user_id) AS users FROM events GROUP BY 1 HAVING count(*) > 4 ORDER BY n DESC, session_id NULLS FIRST LIMIT 20",
  "SELECT user_id, date_trunc('day', ts) AS d, count(*) AS n FROM events GROUP BY 1, 2 ORDER BY n DESC, 1 NULLS FIRST, 2 LIMIT 7 OFFSET 3",
  // aggregates whose states are more than a number
  "SELECT session_id, count(DISTINCT event_type) AS types, avg(length(event_id)) AS a, min(country) AS mn, max(region) AS mx, sum(length(coalesce(country, ''))) AS s, length(string_agg(event_type, ',')) AS agg_len, approx_count_distinct(event_type) AS approx_types, count(country) AS with_country FROM events GROUP BY 1 ORDER BY 1 NULLS FIRST",
  "SELECT user_id, date_trunc('day', ts) AS d, stddev_samp(length(event_id)) AS sd, median(length(event_id)) AS med, max(country = 'NL') AS nl FROM events GROUP BY 1, 2 ORDER BY 1 NULLS FIRST, 2",
  // SELECT DISTINCT is a GROUP BY of its columns
  "SELECT DISTINCT user_id, date_trunc('hour', ts) AS h FROM events ORDER BY 1 NULLS FIRST, 2",
  // a WHERE that keeps enough groups to pass the cap
  "SELECT event_id, user_id, count(*) AS n FROM events WHERE event_type <> 'signup' GROUP BY 1, 2 ORDER BY 1",
  // an aggregate over the grouped subquery, and a DISTINCT above groups of different partitions
  "SELECT count(*) AS pairs, sum(n) AS events, max(n) AS most FROM (SELECT user_id, session_id, count(*) AS n FROM events GROUP BY 1, 2) t",
  "SELECT DISTINCT n FROM (SELECT event_id, count(*) AS n FROM events GROUP BY 1) t ORDER BY 1",
  // GROUP BY in CTEs joined with each other (weekly retention's shape, by day)
  `WITH first AS (SELECT user_id, date_trunc('day', min(ts)) AS cohort FROM events WHERE user_id IS NOT NULL GROUP BY 1),
activity AS (SELECT DISTINCT user_id, date_trunc('hour', ts) AS hour FROM events WHERE user_id IS NOT NULL)
SELECT f.cohort, date_diff('day', f.cohort, a.hour) AS day_n, count(*) AS user_hours
FROM first f JOIN activity a USING (user_id) GROUP BY 1, 2 ORDER BY 1, 2`,
  `WITH s AS (SELECT session_id, user_id, count(*) AS n FROM events WHERE session_id IS NOT NULL GROUP BY 1, 2)
SELECT s.user_id, count(*) AS sessions, sum(s.n) AS events, max(e.country) AS country
FROM s LEFT JOIN (SELECT user_id, max(country) AS country FROM events GROUP BY 1) e ON e.user_id = s.user_id
GROUP BY 1 ORDER BY 2 DESC, 1 NULLS FIRST LIMIT 25`,
];

/** A GROUP BY over a join: its input (the join) runs again for each partition, in this invocation. */
const OVER_JOIN = [
  "SELECT a.event_id, count(*) AS n, count(DISTINCT b.event_type) AS types FROM events a JOIN events b USING (session_id) WHERE a.event_type <> 'error' GROUP BY 1 ORDER BY 1",
];

function failure(sql: string, options: Parameters<typeof runQuery>[2]): Promise<QueryError> {
  return queryFailure(lake.fixture.catalog, sql, options);
}

/** Splits run in process over the fixture's files, one file each (6 files). */
function fanOut(log: SplitRequest[], maxPartialBytes?: number): FanOut {
  return inProcessFanOut(lake.fixture.catalog, { log, maxPartialBytes, filesPerSplit: 1, maxSplits: 24 });
}

describe("GROUP BY past the group cap in hash partitions of its keys", () => {
  it("refuses what partitions cannot cut: groupless distinct values, one key's distinct values", async () => {
    const groupless = await failure("SELECT count(DISTINCT event_id) AS n FROM events", { maxGroups: 200 });
    expect(groupless.code).toBe("QUERY_TOO_LARGE");
    // Five event types, each with more distinct events than the cap allows (4 × 100 values held).
    const oneKey = await failure("SELECT event_type, count(DISTINCT event_id) AS n FROM events GROUP BY 1", {
      maxGroups: 100,
    });
    expect(oneKey.code).toBe("QUERY_TOO_LARGE");
    expect(oneKey.message).toMatch(/hash partitions of its keys/);
  });

  it("refuses when even the budget of passes would not hold the groups", async () => {
    const error = await failure("SELECT event_id, count(*) AS n FROM events GROUP BY 1", { maxGroups: 20 });
    expect(error.code).toBe("QUERY_TOO_LARGE");
    expect(error.message).toMatch(/passes/);
  });

  for (const sql of PARTITIONED) {
    it(`answers like DuckDB in process, partitions one after another: ${sql}`, async () => {
      const tarn = await expectSameAsDuckDB(lake.fixture, lake.duck, sql, { tarn: { maxGroups: CAP } });
      // A first pass gave up at the cap, then each partition read the input again.
      expect(tarn.result.statistics.rows_read).toBeGreaterThan(2 * lake.fixture.rows.length);
    });
  }

  for (const sql of PARTITIONED) {
    it(`answers like DuckDB through splits, one per partition: ${sql}`, async () => {
      const log: SplitRequest[] = [];
      await expectSameAsDuckDB(lake.fixture, lake.duck, sql, { tarn: { maxGroups: CAP, fanOut: fanOut(log) } });
      const parts = log.filter((r) => r.groupPartition);
      expect(parts.length).toBeGreaterThanOrEqual(2);
      // Each partition split reads the grouped scan's whole file list.
      const count = parts[0]?.groupPartition?.count as number;
      expect(new Set(parts.map((r) => r.groupPartition?.index)).size).toBe(Math.min(count, parts.length));
      expect(parts.every((r) => r.files.length === (parts[0]?.files.length as number))).toBe(true);
    });
  }

  for (const sql of OVER_JOIN) {
    it(`answers like DuckDB over a join, partitions here with or without a fan-out: ${sql}`, async () => {
      const tarn = await expectSameAsDuckDB(lake.fixture, lake.duck, sql, { tarn: { maxGroups: CAP } });
      expect(tarn.result.statistics.rows_read).toBeGreaterThan(4 * lake.fixture.rows.length);
      const log: SplitRequest[] = [];
      await expectSameAsDuckDB(lake.fixture, lake.duck, sql, { tarn: { maxGroups: CAP, fanOut: fanOut(log) } });
      expect(log.some((r) => r.groupPartition)).toBe(false);
    });
  }

  it("runs a partition here when its split's rows are too many to send back", async () => {
    const log: SplitRequest[] = [];
    const sql = PARTITIONED[0] as string;
    const tarn = await expectSameAsDuckDB(lake.fixture, lake.duck, sql, {
      tarn: { maxGroups: CAP, fanOut: fanOut(log, 10) },
    });
    expect(log.some((r) => r.groupPartition)).toBe(true);
    expect(tarn.result.statistics.rows_read).toBeGreaterThan(2 * lake.fixture.rows.length);
  });

  it("cuts a partition again when its keys hash unevenly past the cap", async () => {
    // 900 sessions + NULL at a cap of 300: a first pass passes the cap late, partitions hold ~80 %.
    const sql = "SELECT session_id, count(*) AS n FROM events GROUP BY 1 ORDER BY 1 NULLS FIRST";
    await expectSameAsDuckDB(lake.fixture, lake.duck, sql, { tarn: { maxGroups: 300 } });
  });

  it("builds a join of grouped sides from the one with fewer GROUP BY keys (fewer groups)", async () => {
    // Weekly retention: one group per user on the left, one per user and week on the right.
    const sql = `WITH first AS (SELECT user_id, min(ts) AS t FROM events GROUP BY 1),
activity AS (SELECT DISTINCT user_id, date_trunc('week', ts) AS week FROM events)
SELECT count(*) AS n FROM first JOIN activity USING (user_id)`;
    const plan = await explainQuery(sql, lake.fixture.catalog);
    expect(plan.joins[0]?.build).toBe("left");
    const estimates = plan.joins[0]?.estimated_rows as { left: number; right: number };
    expect(estimates.left).toBeLessThan(estimates.right);
  });

  it("keeps a GROUP BY under the cap in one pass, as before", async () => {
    const tarn = await expectSameAsDuckDB(lake.fixture, lake.duck, PARTITIONED[0] as string);
    expect(tarn.result.statistics.rows_read).toBe(lake.fixture.rows.length);
  });
});
