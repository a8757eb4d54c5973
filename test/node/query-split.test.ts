import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type FanOut,
  type FileRef,
  FinalSplitError,
  QueryError,
  runSplit,
  type SplitRequest,
} from "../../shared/query/index";
import { cutSplits, partialBytes } from "../../shared/query/partial";
import { CORPUS, groupedArb, plainArb } from "./query-corpus";
import { expectSameAsDuckDB, inProcessFanOut, lakeWithDuckDB, tarnAnswer } from "./query-fixtures";

const lake = lakeWithDuckDB();

/** Splits in process over the fixture's files (one file a split unless told otherwise). */
function fanOut(options: Parameters<typeof inProcessFanOut>[1] = {}): FanOut {
  return inProcessFanOut(lake.fixture.catalog, options);
}

describe("cutting a scan into splits", () => {
  const files = (rows: number[]): FileRef[] =>
    rows.map((n, i) => ({ key: `f${i}`, dataset: "d", rows: n, minTs: 0, maxTs: 0 }));
  const sizes = (splits: FileRef[][]) => splits.map((s) => s.map((f) => f.rows));

  it("keeps within the file limit, evenly, in order", () => {
    const splits = cutSplits(files(Array(10).fill(100)), { filesPerSplit: 4, rowsPerSplit: 1e9, maxSplits: 32 });
    expect(sizes(splits).map((s) => s.length)).toEqual([3, 4, 3]);
    expect(splits.flat().map((f) => f.key)).toEqual(files(Array(10).fill(100)).map((f) => f.key));
  });

  it("balances rows when files differ in size", () => {
    const splits = cutSplits(files([900, 100, 100, 100, 100, 100, 100, 100, 100, 100]), {
      filesPerSplit: 100,
      rowsPerSplit: 1000,
      maxSplits: 32,
    });
    expect(sizes(splits)).toEqual([[900], [100, 100, 100, 100, 100, 100, 100, 100, 100]]);
  });

  it("grows splits rather than pass the most a request may make", () => {
    const many = files(Array.from({ length: 100 }, (_, i) => 50 + (i % 7) * 300));
    const splits = cutSplits(many, { filesPerSplit: 2, rowsPerSplit: 1e9, maxSplits: 24 });
    expect(splits.length).toBeLessThanOrEqual(24);
    expect(splits.length).toBeGreaterThanOrEqual(20);
    expect(splits.flat()).toEqual(many);
  });

  it("never splits a single file", () => {
    expect(cutSplits(files([5000]), { filesPerSplit: 1, rowsPerSplit: 10, maxSplits: 32 })).toHaveLength(1);
  });
});

describe("a scan split over sub-invocations", () => {
  it("answers the whole corpus like DuckDB, with one split per file", async () => {
    let split = 0;
    for (const sql of CORPUS) {
      const tarn = await expectSameAsDuckDB(lake.fixture, lake.duck, sql, { tarn: { fanOut: fanOut() } });
      if (tarn.result.statistics.splits > 0) split++;
    }
    // Every query over `events` or page.view that reads more than one file is split.
    expect(split).toBeGreaterThan(CORPUS.length / 2);
  }, 120_000);

  it("answers random grouped queries like DuckDB", async () => {
    await fc.assert(
      fc.asyncProperty(groupedArb, fc.integer({ min: 1, max: 3 }), async (sql, size) => {
        await expectSameAsDuckDB(lake.fixture, lake.duck, sql, { tarn: { fanOut: fanOut({ filesPerSplit: size }) } });
      }),
      { numRuns: Number(process.env.QUERY_FC_RUNS ?? 50), seed: Number(process.env.QUERY_FC_SEED ?? 11) },
    );
  }, 600_000);

  it("answers random filtered projections like DuckDB", async () => {
    await fc.assert(
      fc.asyncProperty(plainArb, async (sql) => {
        await expectSameAsDuckDB(lake.fixture, lake.duck, sql, { tarn: { fanOut: fanOut() } });
      }),
      { numRuns: Number(process.env.QUERY_FC_RUNS ?? 30), seed: Number(process.env.QUERY_FC_SEED ?? 5) },
    );
  }, 600_000);

  it("reads each listed file in exactly one split and reports the splits", async () => {
    const log: SplitRequest[] = [];
    const sql = "SELECT event_type, count(*) AS n, count(DISTINCT user_id) AS u FROM events GROUP BY 1";
    const single = await tarnAnswer(lake.fixture.catalog, sql);
    const split = await tarnAnswer(lake.fixture.catalog, sql, { fanOut: fanOut({ filesPerSplit: 2, log }) });
    const keys = log.flatMap((r) => r.files.map((f) => f.key));
    expect(keys.sort()).toEqual(lake.fixture.files.map((f) => f.key).sort());
    expect(log.every((r) => r.files.length <= 2 && r.depth === 0)).toBe(true);
    expect(split.result.statistics.splits).toBe(log.length);
    expect(split.result.statistics.files_read).toBe(single.result.statistics.files_read);
    expect(split.result.statistics.rows_read).toBe(single.result.statistics.rows_read);
    const sorted = (rows: unknown[][]) => [...rows].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(sorted(split.rows)).toEqual(sorted(single.rows));
  });

  it("splits by rows as well as files", async () => {
    const log: SplitRequest[] = [];
    const total = lake.fixture.rows.length;
    const sql = "SELECT country, count(*) AS n, sum(length(user_id)) AS s FROM events GROUP BY 1";
    const tarn = await expectSameAsDuckDB(lake.fixture, lake.duck, sql, {
      tarn: { fanOut: fanOut({ filesPerSplit: 100, rowsPerSplit: Math.ceil(total / 3), log }) },
    });
    expect(tarn.result.statistics.splits).toBeGreaterThanOrEqual(3);
    expect(log.flatMap((r) => r.files.map((f) => f.key)).sort()).toEqual(lake.fixture.files.map((f) => f.key).sort());
  });

  it("merges approx_count_distinct sketches into exactly the single-invocation estimate", async () => {
    const grouped =
      "SELECT source, approx_count_distinct(event_id) AS e, approx_count_distinct(user_id) AS u FROM events GROUP BY 1 ORDER BY 1";
    const overall = "SELECT approx_count_distinct(event_id) AS e, count(DISTINCT event_id) AS exact FROM events";
    for (const sql of [grouped, overall]) {
      const single = await tarnAnswer(lake.fixture.catalog, sql);
      const split = await tarnAnswer(lake.fixture.catalog, sql, { fanOut: fanOut() });
      expect(split.result.statistics.splits).toBeGreaterThan(1);
      expect(split.rows).toEqual(single.rows);
    }
    // Past 1,024 distinct hashes a sketch is dense, so dense sketches were merged too.
    const [row] = (await tarnAnswer(lake.fixture.catalog, overall)).rows;
    expect(row?.[1]).toBeGreaterThan(1024);
  });

  it("splits the subquery that reads the table, and finishes the outer query itself", async () => {
    const log: SplitRequest[] = [];
    const sql =
      "SELECT avg(n) AS per_user, max(n) AS top FROM (SELECT user_id, count(*) AS n FROM events WHERE user_id IS NOT NULL GROUP BY 1) t";
    const tarn = await expectSameAsDuckDB(lake.fixture, lake.duck, sql, { tarn: { fanOut: fanOut({ log }) } });
    expect(tarn.result.statistics.splits).toBe(lake.fixture.files.length);
    expect(log.every((r) => r.depth === 1)).toBe(true);
  });

  it("passes the k-th row to later splits of ORDER BY … LIMIT, so they skip what cannot win", async () => {
    const log: SplitRequest[] = [];
    const sql = "SELECT event_id, ts FROM events ORDER BY ts DESC, event_id LIMIT 5";
    const single = await tarnAnswer(lake.fixture.catalog, sql);
    const split = await expectSameAsDuckDB(lake.fixture, lake.duck, sql, { tarn: { fanOut: fanOut({ log }) } });
    expect(log[0]?.bound).toBeUndefined();
    expect(log.slice(1).every((r) => typeof r.bound === "number")).toBe(true);
    // Splits started together share one bound, so they may read a little more than one invocation
    // tightening its bound file by file; without any bound every file would be read.
    expect(split.result.statistics.files_read).toBeLessThan(lake.fixture.files.length);
    expect(split.result.statistics.files_read).toBeLessThanOrEqual(single.result.statistics.files_read + 2);
  });

  it("stops starting splits once a LIMIT without ORDER BY is met", async () => {
    const log: SplitRequest[] = [];
    const tarn = await tarnAnswer(lake.fixture.catalog, "SELECT event_id FROM events LIMIT 5", {
      fanOut: fanOut({ concurrency: 1, log }),
    });
    expect(tarn.rows).toHaveLength(5);
    expect(log).toHaveLength(1);
  });

  it("leaves small scans in one invocation", async () => {
    const log: SplitRequest[] = [];
    const tarn = await tarnAnswer(lake.fixture.catalog, "SELECT count(*) AS n FROM events", {
      fanOut: fanOut({ filesPerSplit: lake.fixture.files.length, log }),
    });
    expect(tarn.rows).toEqual([[lake.fixture.rows.length]]);
    expect(log).toHaveLength(0);
    expect(tarn.result.statistics.splits).toBe(0);
  });

  it("keeps the memory guard across merged splits", async () => {
    // Each split holds fewer distinct values than the limit, the merged answer more; with no GROUP BY
    // key there is nothing to partition by (group-partitions.ts).
    const sql = "SELECT count(DISTINCT event_id) AS n FROM events";
    const perFile = Math.max(...lake.fixture.files.map((f) => f.rows));
    const error = await tarnAnswer(lake.fixture.catalog, sql, {
      fanOut: fanOut(),
      maxGroups: Math.ceil(perFile / 4) + 1,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).code).toBe("QUERY_TOO_LARGE");
    // A GROUP BY whose merged groups pass the cap answers in hash partitions of its keys instead.
    const grouped = await tarnAnswer(lake.fixture.catalog, "SELECT event_id, count(*) AS n FROM events GROUP BY 1", {
      fanOut: fanOut(),
      maxGroups: perFile + 1,
    });
    expect(grouped.rows.length).toBe(lake.fixture.rows.length);
  });

  it("does not send back a partial answer past the size limit; the coordinator reads those files itself", async () => {
    const sql = "SELECT user_id, count(*) AS n, count(DISTINCT event_id) AS e FROM events GROUP BY 1";
    const request: SplitRequest = {
      sql,
      nowMs: Date.now(),
      depth: 0,
      files: lake.fixture.files,
      maxGroups: 500_000,
      maxRows: 100_000,
    };
    const fits = await runSplit(request, lake.fixture.catalog, { maxPartialBytes: 10 * 1024 * 1024 });
    expect(fits.partial.kind).toBe("groups");
    const bytes = partialBytes(fits.partial);
    // The estimate is close to what structured clone really writes (V8's serializer).
    const { serialize } = await import("node:v8");
    const real = serialize(fits.partial).byteLength;
    expect(bytes).toBeGreaterThan(real * 0.7);
    expect(bytes).toBeLessThan(real * 1.5);
    const tooBig = await runSplit(request, lake.fixture.catalog, { maxPartialBytes: Math.floor(bytes / 2) });
    expect(tooBig.partial).toEqual({ kind: "too_large", bytes });

    // Every split too big: the answer is still DuckDB's, read by the coordinator.
    const small: FanOut = {
      ...fanOut(),
      run: async (r) =>
        structuredClone(await runSplit(structuredClone(r), lake.fixture.catalog, { maxPartialBytes: 64 })),
    };
    const tarn = await expectSameAsDuckDB(lake.fixture, lake.duck, sql, { tarn: { fanOut: small } });
    expect(tarn.result.statistics.splits).toBe(0);
    expect(tarn.result.statistics.files_read).toBe(lake.fixture.files.length);
  });

  it("does not split a FROM subquery that would send back every row it reads", async () => {
    const log: SplitRequest[] = [];
    for (const sql of [
      "SELECT count(*) AS n, count(DISTINCT u) AS users FROM (SELECT user_id AS u FROM events) t",
      "SELECT * FROM (SELECT event_id, ts FROM events) t ORDER BY ts, event_id LIMIT 3",
    ]) {
      const tarn = await expectSameAsDuckDB(lake.fixture, lake.duck, sql, { tarn: { fanOut: fanOut({ log }) } });
      expect(tarn.result.statistics.splits, sql).toBe(0);
    }
    expect(log).toHaveLength(0);
    // A LIMIT beyond what splits may send back stays in one invocation too.
    const big = await tarnAnswer(lake.fixture.catalog, "SELECT event_id FROM events LIMIT 20000", {
      fanOut: fanOut({ log }),
    });
    expect(big.rows).toHaveLength(lake.fixture.rows.length);
    expect(log).toHaveLength(0);
  });

  it("runs a split again when its invocation is lost once", async () => {
    const inner = fanOut();
    let failures = 0;
    const flaky: FanOut = {
      ...inner,
      run: (request) => (failures++ < 2 ? Promise.reject(new Error("invocation lost")) : inner.run(request)),
    };
    const tarn = await tarnAnswer(lake.fixture.catalog, "SELECT count(*) AS n FROM events", { fanOut: flaky });
    expect(tarn.rows).toEqual([[lake.fixture.rows.length]]);
    expect(failures).toBeGreaterThanOrEqual(2);
  });

  for (const [why, error] of [
    ["it refuses the request", new FinalSplitError("not this project's file")],
    ["the query's own error", new QueryError("QUERY_TOO_LARGE", "too many groups")],
  ] as const) {
    it(`does not run a split again for ${why}`, async () => {
      let calls = 0;
      const failing: FanOut = {
        ...fanOut(),
        run: () => {
          calls++;
          return Promise.reject(error);
        },
      };
      await expect(
        tarnAnswer(lake.fixture.catalog, "SELECT count(*) AS n FROM events", { fanOut: failing }),
      ).rejects.toThrow(error.message);
      expect(calls).toBeLessThanOrEqual(3);
    });
  }

  it("fails the query when a split fails twice", async () => {
    const failing: FanOut = { ...fanOut(), run: () => Promise.reject(new Error("split lost")) };
    await expect(
      tarnAnswer(lake.fixture.catalog, "SELECT count(*) AS n FROM events", { fanOut: failing }),
    ).rejects.toThrow("split lost");
  });

  it("gives every split the coordinator's clock and what is left of its time limit", async () => {
    const log: SplitRequest[] = [];
    const now = new Date(Date.UTC(2025, 2, 4));
    const sql = "SELECT count(*) AS n FROM events WHERE ts > now() - INTERVAL 1 DAY";
    const split = await tarnAnswer(lake.fixture.catalog, sql, { fanOut: fanOut({ log }), now, timeoutMs: 20_000 });
    const literal = await tarnAnswer(lake.fixture.catalog, sql.replace("now()", "TIMESTAMP '2025-03-04'"));
    expect(split.rows).toEqual(literal.rows);
    expect(log.length).toBeGreaterThan(0);
    expect(log.every((r) => r.nowMs === now.getTime())).toBe(true);
    expect(log.every((r) => r.timeoutMs !== undefined && r.timeoutMs > 0 && r.timeoutMs <= 20_000)).toBe(true);
  });
});
