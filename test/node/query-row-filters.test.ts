// Row-level policies in the engine, against DuckDB over views that hold only the permitted rows:
// the whole SQL corpus (joins, CTEs, subqueries, set operations, windows), split or not, must
// answer as if the filtered rows did not exist.
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type FanOut,
  parseRowFilter,
  type QueryCatalog,
  QueryError,
  type RowFilters,
  runQuery,
  runSplit,
  type SplitRequest,
} from "../../shared/query/index";
import { CORPUS } from "./query-corpus";
import { expectSameAsDuckDB, type LakeFixture, writeLakeFixture } from "./query-fixtures";
import { SQL2_CORPUS } from "./query-sql2-corpus";

/** A regional analyst: no ap-south rows anywhere, and only Dutch clicks. */
const POLICY: RowFilters = {
  identity: { userId: "u7", email: "ann@example.com", role: "analyst", attributes: { country: "NL" } },
  filters: [
    { table: "*", filter: "coalesce(region, 'none') <> 'ap-south'" },
    { table: "click", filter: "country = current_user_attribute('country')" },
  ],
};

const PERMITTED = (type: string | null) =>
  `coalesce(region, 'none') <> 'ap-south'${type === "click" ? " AND country = 'NL'" : type === null ? " AND (event_type <> 'click' OR country = 'NL')" : ""}`;

let fixture: LakeFixture;
let duck: Awaited<ReturnType<DuckDBInstance["connect"]>>;
let instance: DuckDBInstance;

beforeAll(async () => {
  fixture = await writeLakeFixture();
  instance = await DuckDBInstance.create(":memory:");
  duck = await instance.connect();
  await duck.run("SET TimeZone = 'UTC'");
  const list = (fs: { path: string }[]) => `[${fs.map((f) => `'${f.path}'`).join(", ")}]`;
  await duck.run(`CREATE VIEW events AS SELECT * FROM read_parquet(${list(fixture.files)}) WHERE ${PERMITTED(null)}`);
  for (const dataset of new Set(fixture.files.map((f) => f.dataset))) {
    const mine = fixture.files.filter((f) => f.dataset === dataset);
    await duck.run(`CREATE VIEW "${dataset}" AS SELECT * FROM read_parquet(${list(mine)}) WHERE ${PERMITTED(dataset)}`);
  }
});

afterAll(async () => {
  duck?.closeSync();
  instance?.closeSync();
  await fixture?.close();
});

function fanOut(): FanOut {
  return {
    filesPerSplit: 1,
    rowsPerSplit: Number.POSITIVE_INFINITY,
    maxSplits: 32,
    concurrency: 3,
    async run(request: SplitRequest) {
      const sent = structuredClone(request);
      const allowed = new Set(sent.files.map((f) => f.key));
      const catalog: QueryCatalog = {
        listFiles: () => Promise.reject(new Error("a split must not list files")),
        openFile: (key) => {
          if (!allowed.has(key)) throw new Error(`split opened ${key}, which it was not given`);
          return fixture.catalog.openFile(key);
        },
      };
      return structuredClone(await runSplit(sent, catalog));
    },
  };
}

describe("row-level policies in the engine", () => {
  for (const sql of [...CORPUS, ...SQL2_CORPUS]) {
    it(`answers like DuckDB over the permitted rows: ${sql}`, async () => {
      await expectSameAsDuckDB(fixture, duck, sql, { tarn: { rowFilters: POLICY } });
    });
  }

  it("filters inside every split of a split scan too", async () => {
    for (const sql of [
      "SELECT event_type, count(*) AS n FROM events GROUP BY 1 ORDER BY 1",
      "SELECT country, count(*) AS n FROM click GROUP BY 1 ORDER BY 1",
      "SELECT a.user_id, count(*) AS n FROM click a JOIN signup b USING (user_id) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5",
    ]) {
      await expectSameAsDuckDB(fixture, duck, sql, { tarn: { rowFilters: POLICY, fanOut: fanOut() } });
    }
  });

  it("keeps the right rows of an outer join's filtered side, and a CTE named like a table reads it filtered", async () => {
    for (const sql of [
      "SELECT s.user_id, c.country FROM signup s LEFT JOIN click c ON c.user_id = s.user_id ORDER BY 1, 2 LIMIT 50",
      "WITH click AS (SELECT * FROM click WHERE user_id IS NOT NULL) SELECT count(*) AS n FROM click",
      "SELECT count(*) AS n FROM events WHERE user_id IN (SELECT user_id FROM click)",
      "SELECT count(*) AS n FROM (SELECT * FROM click UNION ALL SELECT * FROM signup) t",
    ]) {
      await expectSameAsDuckDB(fixture, duck, sql, { tarn: { rowFilters: POLICY } });
    }
  });

  it("keeps no row of a table that lacks a column the filter needs, without an error naming it", async () => {
    const filters: RowFilters = { ...POLICY, filters: [{ table: "*", filter: "tenant = 'acme'" }] };
    const result = await runQuery("SELECT count(*) AS n FROM events", fixture.catalog, { rowFilters: filters });
    expect(result.rows).toEqual([[0]]);
  });

  it("runs the policy before any expression of the query, so nothing fails on a filtered row", async () => {
    // An expensive policy (json) and a cheap query condition that fails on any non-numeric country.
    const filters: RowFilters = {
      ...POLICY,
      filters: [{ table: "*", filter: "json_extract_string(payload, '$.missing') IS NULL AND country IS NULL" }],
    };
    const failing = "SELECT count(*) AS n FROM events WHERE CAST(country AS INTEGER) IS NULL";
    await expect(runQuery(failing, fixture.catalog)).rejects.toThrow(QueryError);
    const result = await runQuery(failing, fixture.catalog, { rowFilters: filters });
    expect(result.rows).toEqual([[fixture.rows.filter((r) => r.country === null).length]]);
  });

  it("refuses filters that are not one boolean expression", () => {
    for (const bad of [
      "",
      "1 = 1) UNION SELECT * FROM events WHERE (1 = 1",
      "true GROUP BY 1",
      "user_id IN (SELECT user_id FROM signup)",
      "true; DROP TABLE x",
    ]) {
      expect(() => parseRowFilter(bad), bad).toThrow(QueryError);
    }
    expect(parseRowFilter("region = current_user_attribute('region') AND ts > TIMESTAMP '2025-01-01'").kind).toBe(
      "binary",
    );
  });
});
