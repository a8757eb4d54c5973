import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { explainQuery, QueryError, runQuery, validateQuery } from "../../shared/query/index";
import { expectSameAsDuckDB, lakeWithDuckDB } from "./query-fixtures";
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
