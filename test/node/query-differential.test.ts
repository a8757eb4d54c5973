import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createFooterCache } from "../../shared/query";
import { CORPUS, groupedArb, plainArb } from "./query-corpus";
import { duckdbAnswer, duckdbWrittenLake, expectSameAsDuckDB, lakeWithDuckDB, tarnAnswer } from "./query-fixtures";

const lake = lakeWithDuckDB();

describe("the query engine against DuckDB", () => {
  it("has a corpus of at least 60 queries", () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(60);
  });

  for (const sql of CORPUS) {
    it(`answers like DuckDB: ${sql}`, async () => {
      await expectSameAsDuckDB(lake.fixture, lake.duck, sql);
    });
  }

  it("answers random grouped queries like DuckDB", async () => {
    await fc.assert(
      fc.asyncProperty(groupedArb, async (sql) => {
        await expectSameAsDuckDB(lake.fixture, lake.duck, sql);
      }),
      { numRuns: Number(process.env.QUERY_FC_RUNS ?? 60), seed: Number(process.env.QUERY_FC_SEED ?? 42) },
    );
  }, 600_000);

  it("answers random filtered projections like DuckDB", async () => {
    await fc.assert(
      fc.asyncProperty(plainArb, async (sql) => {
        await expectSameAsDuckDB(lake.fixture, lake.duck, sql);
      }),
      { numRuns: Number(process.env.QUERY_FC_RUNS ?? 40), seed: Number(process.env.QUERY_FC_SEED ?? 7) },
    );
  }, 600_000);
});

describe("files written by DuckDB", () => {
  for (const codec of ["zstd", "snappy"] as const) {
    it(`answers the corpus over DuckDB's own ${codec} Parquet like DuckDB`, async () => {
      const other = await duckdbWrittenLake(lake.fixture, lake.duck, codec);
      try {
        for (const sql of CORPUS) await expectSameAsDuckDB(other, lake.duck, sql);
      } finally {
        await other.close();
      }
    }, 120_000);
  }
});

describe("approx_count_distinct", () => {
  it("is within 2% of the exact count(DISTINCT), per group and overall", async () => {
    const sql =
      "SELECT event_type, approx_count_distinct(event_id) AS approx, count(DISTINCT event_id) AS exact, approx_count_distinct(session_id) AS s_approx, count(DISTINCT session_id) AS s_exact FROM events GROUP BY ROLLUP_KEY";
    for (const q of [
      sql.replace(" GROUP BY ROLLUP_KEY", "").replace("event_type, ", ""),
      sql.replace("ROLLUP_KEY", "1"),
    ]) {
      const { rows } = await tarnAnswer(lake.fixture.catalog, q);
      for (const row of rows) {
        const [approx, exact, sApprox, sExact] = row.slice(-4) as number[];
        expect(Math.abs((approx as number) - (exact as number))).toBeLessThanOrEqual(0.02 * (exact as number));
        expect(Math.abs((sApprox as number) - (sExact as number))).toBeLessThanOrEqual(0.02 * (sExact as number));
      }
    }
  });
});

describe("pruning", () => {
  it("asks the manifest for the time range and event types, and skips row groups by statistics", async () => {
    const sql =
      "SELECT count(*) AS n, min(ts) AS lo FROM events WHERE event_type IN ('click', 'signup') AND ts >= TIMESTAMP '2025-03-02 12:00' AND ts < TIMESTAMP '2025-03-02 18:00'";
    const tarn = await expectSameAsDuckDB(lake.fixture, lake.duck, sql);
    const asked = lake.fixture.listed.at(-1);
    expect(asked?.table).toBe("events");
    expect(asked?.filter).toEqual({
      minTs: Date.UTC(2025, 2, 2, 12),
      maxTs: Date.UTC(2025, 2, 2, 18),
      eventTypes: ["click", "signup"],
    });
    const stats = tarn.result.statistics;
    expect(stats.files_read).toBe(2);
    expect(stats.row_groups_pruned).toBeGreaterThan(0);
    expect(stats.rows_read).toBeLessThan(1200);
  });

  it("takes a text column that holds one value per row group from its statistics, reading no bytes for it", async () => {
    const footerCache = createFooterCache();
    const sql = "SELECT event_type, count(*) AS n FROM events GROUP BY event_type ORDER BY event_type";
    await tarnAnswer(lake.fixture.catalog, sql, { footerCache }); // footers now cached
    const tarn = await tarnAnswer(lake.fixture.catalog, sql, { footerCache });
    expect(tarn.rows).toEqual((await duckdbAnswer(lake.duck, sql)).rows);
    expect(tarn.result.statistics.rows_read).toBeGreaterThan(0);
    expect(tarn.result.statistics.bytes_read).toBe(0);
  });

  it("reads no row group when statistics rule every one out", async () => {
    const tarn = await tarnAnswer(lake.fixture.catalog, "SELECT count(*) AS n FROM click WHERE country = 'AA'");
    expect(tarn.rows).toEqual([[0]]);
    expect(tarn.result.statistics.row_groups_read).toBe(0);
    expect(tarn.result.statistics.files_pruned).toBe(1);
  });

  it("stops reading once a LIMIT without ORDER BY is met", async () => {
    const tarn = await tarnAnswer(lake.fixture.catalog, "SELECT event_id FROM events LIMIT 5");
    expect(tarn.rows).toHaveLength(5);
    expect(tarn.result.statistics.row_groups_read).toBeLessThanOrEqual(2);
  });

  it("reads only the newest files for ORDER BY ts DESC LIMIT k", async () => {
    const sql = "SELECT event_id, ts FROM events ORDER BY ts DESC, event_id LIMIT 5";
    const tarn = await expectSameAsDuckDB(lake.fixture, lake.duck, sql);
    expect(tarn.result.statistics.row_groups_read).toBeLessThan(8);
    expect(tarn.result.statistics.files_pruned).toBeGreaterThan(0);
  });

  it("decodes only the first pages for a small LIMIT without ORDER BY", async () => {
    const tarn = await tarnAnswer(lake.fixture.catalog, "SELECT * FROM events WHERE country = 'NL' LIMIT 3");
    expect(tarn.rows).toHaveLength(3);
    expect(tarn.result.statistics.row_groups_read).toBe(1);
  });

  it("matches DuckDB's ordering of NULLs and duplicates under ORDER BY … LIMIT", async () => {
    const sql = "SELECT colo, count(*) AS n FROM events GROUP BY colo ORDER BY colo DESC LIMIT 3";
    const duckRows = (await duckdbAnswer(lake.duck, sql)).rows;
    const tarnRows = (await tarnAnswer(lake.fixture.catalog, sql)).rows;
    expect(tarnRows).toEqual(duckRows);
  });
});
