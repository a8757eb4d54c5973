import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  explainQuery,
  type FanOut,
  type QueryError,
  runQuery,
  type SplitRequest,
  validateQuery,
} from "../../shared/query/index";
import { matchRollupQuery } from "../../shared/rollup/match";
import { expectSameAsDuckDB, inProcessFanOut, lakeWithDuckDB, queryFailure } from "./query-fixtures";
import { joinArb, SQL2_CORPUS, windowArb } from "./query-sql2-corpus";

const lake = lakeWithDuckDB();

describe("SQL, second edition, against DuckDB", () => {
  it("has a corpus of at least 80 queries", () => {
    expect(SQL2_CORPUS.length).toBeGreaterThanOrEqual(80);
  });

  for (const sql of SQL2_CORPUS) {
    it(`answers like DuckDB: ${sql}`, async () => {
      await expectSameAsDuckDB(lake.fixture, lake.duck, sql);
    });
  }

  it("answers random joins like DuckDB", async () => {
    await fc.assert(
      fc.asyncProperty(joinArb, async (sql) => {
        await expectSameAsDuckDB(lake.fixture, lake.duck, sql);
      }),
      { numRuns: Number(process.env.QUERY_FC_RUNS ?? 40), seed: Number(process.env.QUERY_FC_SEED ?? 11) },
    );
  }, 600_000);

  it("answers random window queries like DuckDB", async () => {
    await fc.assert(
      fc.asyncProperty(windowArb, async (sql) => {
        await expectSameAsDuckDB(lake.fixture, lake.duck, sql);
      }),
      { numRuns: Number(process.env.QUERY_FC_RUNS ?? 40), seed: Number(process.env.QUERY_FC_SEED ?? 13) },
    );
  }, 600_000);
});

function failure(sql: string, options?: Parameters<typeof runQuery>[2]): Promise<QueryError> {
  return queryFailure(lake.fixture.catalog, sql, options);
}

/** Splits run in process over the fixture's files, one file a split. */
function fanOut(log: SplitRequest[]): FanOut {
  return inProcessFanOut(lake.fixture.catalog, { log });
}

describe("joins, set operations, subqueries and windows over split scans", () => {
  it("answers the whole second-edition corpus like DuckDB with one split per file", async () => {
    const log: SplitRequest[] = [];
    for (const sql of SQL2_CORPUS) {
      await expectSameAsDuckDB(lake.fixture, lake.duck, sql, { tarn: { fanOut: fanOut(log) } });
    }
    // Join sides and subqueries were split too, each split naming a scan deeper than the top.
    expect(log.some((r) => r.depth > 1)).toBe(true);
  }, 600_000);
});

describe("joins over split scans", () => {
  it("streams a join side's files itself when a split has more rows than it may send", async () => {
    const log: SplitRequest[] = [];
    const sql =
      "SELECT count(*) AS n, count(DISTINCT e.event_type) AS types FROM events e JOIN signup s ON e.user_id = s.user_id WHERE e.ts >= TIMESTAMP '2025-03-01 06:00'";
    await expectSameAsDuckDB(lake.fixture, lake.duck, sql, { tarn: { fanOut: fanOut(log), maxResultRows: 100 } });
    expect(log.length).toBeGreaterThan(1);
  });
});

describe("joins in memory", () => {
  it("refuses a build side past the budget with QUERY_TOO_LARGE and a hint, not a crash", async () => {
    // Past MAX_JOIN_PARTITIONS partitions of the cap: refused rather than read that many times.
    const error = await failure("SELECT count(*) FROM events a JOIN events b ON a.user_id = b.user_id", {
      maxJoinRows: 20,
    });
    expect(error.code).toBe("QUERY_TOO_LARGE");
    expect(error.message).toMatch(/filter that side more/);
    expect(error.message).toMatch(/partitions/);
  });

  // A build side past the cap is joined in hash partitions of its keys: every join type, NULL keys
  // (never equal, kept once by outer joins), two keys, a residual ON condition, all like DuckDB.
  // Each with a cap its build side passes 2–16 times over.
  const partitioned: [string, number][] = [
    [
      "SELECT count(*) AS n, count(DISTINCT a.event_id) AS left_rows FROM events a JOIN events b ON a.user_id = b.user_id AND a.event_type = b.event_type",
      400,
    ],
    [
      "SELECT a.event_type, count(*) AS n, count(b.user_id) AS matched FROM events a LEFT JOIN (SELECT user_id, min(ts) AS first_ts FROM events GROUP BY 1) b ON a.user_id = b.user_id AND a.ts > b.first_ts GROUP BY 1 ORDER BY 1",
      60,
    ],
    [
      "SELECT count(*) AS n, count(a.user_id) AS l, count(b.user_id) AS r FROM (SELECT user_id, count(*) AS c FROM events WHERE event_type = 'click' GROUP BY 1) a FULL JOIN (SELECT user_id, count(*) AS c FROM events WHERE event_type <> 'click' GROUP BY 1) b ON a.user_id = b.user_id",
      60,
    ],
    [
      "SELECT e.environment, count(*) AS n, count(s.user_id) AS signed_up FROM (SELECT user_id, environment FROM events WHERE event_type = 'click') e LEFT JOIN (SELECT DISTINCT user_id FROM events WHERE event_type <> 'click') s ON e.user_id = s.user_id GROUP BY 1 ORDER BY 1",
      60,
    ],
  ];
  for (const [sql, cap] of partitioned) {
    it(`joins a build side past the cap in hash partitions, like DuckDB: ${sql}`, async () => {
      await expectSameAsDuckDB(lake.fixture, lake.duck, sql, { tarn: { maxJoinRows: cap } });
      const error = await failure(sql, { maxJoinRows: 5 });
      expect(error.message).toMatch(/partitions/);
    });
  }

  it("builds the smaller side, so a small table joins a large one within a small budget", async () => {
    const sql = "SELECT count(*) AS n FROM events e JOIN signup s ON e.user_id = s.user_id";
    const small = await runQuery(sql, lake.fixture.catalog, { maxJoinRows: 400 });
    const unlimited = await runQuery(sql, lake.fixture.catalog);
    expect(small.rows).toEqual(unlimited.rows);
  });

  it("pushes a side's filters into its scan, so the manifest prunes that side's files", async () => {
    const before = lake.fixture.listed.length;
    await runQuery(
      "SELECT count(*) FROM signup s JOIN events e ON s.user_id = e.user_id WHERE e.event_type = 'click' AND e.ts >= TIMESTAMP '2025-03-03'",
      lake.fixture.catalog,
    );
    const asked = lake.fixture.listed.slice(before).find((l) => l.table === "events");
    expect(asked?.filter).toEqual({ minTs: Date.UTC(2025, 2, 3), eventTypes: ["click"] });
  });
});

describe("EXPLAIN over several tables", () => {
  it("names the tables read, each scan, and the join's build side", async () => {
    const plan = await explainQuery(
      "SELECT count(*) FROM events e JOIN signup s USING (user_id) WHERE e.ts >= TIMESTAMP '2025-03-02' AND e.user_id IN (SELECT user_id FROM error)",
      lake.fixture.catalog,
    );
    expect(plan.tables.sort()).toEqual(["error", "events", "signup"]);
    expect(plan.joins).toHaveLength(1);
    expect(plan.joins[0]).toMatchObject({
      type: "inner",
      keys: 1,
      build: "right",
      tables: { left: ["events"], right: ["signup"] },
    });
    const events = plan.scans.find((s) => s.table === "events");
    expect(events?.time_range?.from).toBe("2025-03-02T00:00:00.000Z");
  });
});

describe("every dataset a table", () => {
  it("reaches an event type called events as datasets.events, while events stays every event", async () => {
    const renamed = {
      ...lake.fixture.catalog,
      async listFiles(table: string, filter: Parameters<typeof lake.fixture.catalog.listFiles>[1]) {
        const files = await lake.fixture.catalog.listFiles(table === "events" ? "events" : table, {
          ...filter,
          eventTypes: filter.eventTypes?.map((t) => (t === "events" ? "error" : t)),
        });
        return files?.map((f) => (f.dataset === "error" ? { ...f, dataset: "events" } : f)) ?? null;
      },
    };
    const all = await runQuery("SELECT count(*) AS n FROM events", renamed);
    const typed = await runQuery("SELECT count(*) AS n FROM datasets.events", renamed);
    const quoted = await runQuery('SELECT count(*) AS n FROM datasets."events" d WHERE d.ts IS NOT NULL', renamed);
    expect(all.rows).toEqual([[3800]]);
    expect(typed.rows).toEqual([[400]]);
    expect(quoted.rows).toEqual([[400]]);
    expect(validateQuery("SELECT * FROM datasets.click", ["click"]).valid).toBe(true);
  });
});

describe("refusals name the construct, its line and column", () => {
  const cases: [string, RegExp, { line: number; column: number }][] = [
    ["SELECT *\nFROM events NATURAL JOIN click", /NATURAL/, { line: 2, column: 13 }],
    ["WITH RECURSIVE r AS (SELECT 1 AS x) SELECT * FROM r", /RECURSIVE/, { line: 1, column: 6 }],
    ["SELECT event_id,\n  median(ts) OVER () FROM events", /median/, { line: 2, column: 3 }],
    ["SELECT sum(1) OVER (ORDER BY ts\n GROUPS 1 PRECEDING) FROM events", /GROUPS/, { line: 2, column: 2 }],
    [
      "SELECT count(*) FROM signup s WHERE EXISTS (SELECT 1 FROM click c WHERE c.ts > s.ts)",
      /correlated/i,
      { line: 1, column: 37 },
    ],
    ["SELECT 1 FROM signup QUALIFY country = 'NL'", /QUALIFY/, { line: 1, column: 22 }],
  ];
  for (const [sql, message, position] of cases) {
    it(`refuses ${JSON.stringify(sql)}`, async () => {
      const error = await failure(sql);
      expect(error.code).toBe("INVALID_SQL");
      expect(error.message).toMatch(message);
      expect(error.position).toEqual(position);
    });
  }
});

describe("rollups and the second edition", () => {
  it("never answer a query with windows, QUALIFY, subqueries or datasets.<type> from rollups", () => {
    for (const sql of [
      "SELECT event_type, count(*) AS n FROM events GROUP BY 1 QUALIFY rank() OVER (ORDER BY count(*) DESC) <= 3",
      "SELECT event_type, count(*) AS n, rank() OVER (ORDER BY count(*)) AS r FROM events GROUP BY 1",
      "SELECT event_type, count(*) AS n FROM events WHERE user_id IN (SELECT user_id FROM signup) GROUP BY 1",
      "SELECT count(*) AS n, (SELECT count(*) FROM signup) AS s FROM events",
      "SELECT s.event_type, count(*) AS n FROM events s JOIN signup t USING (user_id) GROUP BY 1",
      "SELECT event_type, count(*) AS n FROM events GROUP BY 1 UNION ALL SELECT 'x', 1",
    ]) {
      expect(matchRollupQuery(sql), sql).toBeNull();
    }
    expect(matchRollupQuery("SELECT count(*) AS n FROM datasets.events")?.eventTypes).toEqual(new Set(["events"]));
    expect(matchRollupQuery("SELECT event_type, count(*) AS n FROM events GROUP BY 1")).not.toBeNull();
  });
});
