import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QueryError, type QueryOptions, runQuery, validateQuery } from "../../shared/query/index";
import { type LakeFixture, writeLakeFixture } from "./query-fixtures";

let fixture: LakeFixture;

beforeAll(async () => {
  fixture = await writeLakeFixture();
});

afterAll(async () => {
  await fixture?.close();
});

async function failure(sql: string, options?: QueryOptions): Promise<QueryError> {
  try {
    await runQuery(sql, fixture.catalog, options);
  } catch (error) {
    if (error instanceof QueryError) return error;
    throw error;
  }
  throw new Error(`expected ${sql} to fail`);
}

describe("statements other than one SELECT", () => {
  const refused = [
    "CREATE TABLE t (a INTEGER)",
    "CREATE VIEW v AS SELECT 1",
    "DROP TABLE events",
    "ALTER TABLE events ADD COLUMN x INTEGER",
    "INSERT INTO events VALUES (1)",
    "UPDATE events SET user_id = 'x'",
    "DELETE FROM events",
    "ATTACH 'other.db' AS other",
    "DETACH other",
    "COPY events TO 'out.csv'",
    "PRAGMA database_list",
    "SET threads = 1",
    "INSTALL httpfs",
    "LOAD httpfs",
    "CALL duckdb_settings()",
    "EXPORT DATABASE 'dir'",
    "SELECT 1; SELECT 2",
    "SELECT 1; DROP TABLE events",
    "SELECT * FROM read_parquet('/etc/passwd')",
    "SELECT * FROM read_csv_auto('x.csv')",
    "SELECT * FROM 'lake/file.parquet'",
    "SELECT * FROM glob('*')",
    "SELECT * FROM events NATURAL JOIN click",
    "WITH RECURSIVE r AS (SELECT 1 AS x) SELECT * FROM r",
    "SELECT median(ts) OVER () FROM events",
    "SELECT sum(1) OVER (ORDER BY ts GROUPS 1 PRECEDING) FROM events",
    "SELECT count(*) OVER (ORDER BY ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW EXCLUDE TIES) FROM events",
    "",
    "   ",
  ];
  for (const sql of refused) {
    it(`refuses ${JSON.stringify(sql)} with INVALID_SQL`, async () => {
      const error = await failure(sql);
      expect(error.code).toBe("INVALID_SQL");
      expect(validateQuery(sql, ["click"]).valid).toBe(false);
    });
  }

  it("names the statement it refuses", async () => {
    expect((await failure("DROP TABLE events")).message).toContain("DROP");
    expect((await failure("ATTACH 'x.db'")).message).toContain("ATTACH");
    expect((await failure("SELECT * FROM read_parquet('x')")).message).toContain("read_parquet");
    expect((await failure("SELECT 1; SELECT 2")).message).toMatch(/single SELECT/);
  });

  it("allows a trailing semicolon and comments", async () => {
    const result = await runQuery("-- how many?\nSELECT count(*) AS n FROM events; /* done */", fixture.catalog);
    expect(result.rows).toEqual([[3800]]);
  });
});

describe("unknown names", () => {
  it("names an unknown table, with its position", async () => {
    const error = await failure("SELECT count(*)\nFROM nope");
    expect(error.code).toBe("INVALID_SQL");
    expect(error.message).toContain('"nope"');
    expect(error.position).toEqual({ line: 2, column: 6 });
  });

  it("names an unknown quoted table", async () => {
    const error = await failure('SELECT * FROM "order.deleted"');
    expect(error.message).toContain("order.deleted");
    expect(error.position).toEqual({ line: 1, column: 15 });
  });

  it("names an unknown column, with its position", async () => {
    const error = await failure("SELECT event_type, colour FROM events");
    expect(error.code).toBe("INVALID_SQL");
    expect(error.message).toContain('"colour"');
    expect(error.position).toEqual({ line: 1, column: 20 });
  });

  it("names an unknown column in WHERE, GROUP BY and ORDER BY", async () => {
    expect((await failure("SELECT 1 FROM events WHERE nope = 1")).message).toContain("nope");
    expect((await failure("SELECT count(*) FROM events GROUP BY nope")).message).toContain("nope");
    expect((await failure("SELECT event_id FROM events ORDER BY nope")).message).toContain("nope");
  });

  it("names an unknown table qualifier", async () => {
    const error = await failure("SELECT x.event_id FROM events e");
    expect(error.message).toContain('"x"');
  });

  it("names an unknown function, with its position", async () => {
    const error = await failure("SELECT\n  frobnicate(event_id) FROM events");
    expect(error.code).toBe("INVALID_SQL");
    expect(error.message).toContain('"frobnicate"');
    expect(error.position).toEqual({ line: 2, column: 3 });
  });

  it("gives the parser's position for a syntax error", async () => {
    const error = await failure("SELECT event_id FROM events WHERE");
    expect(error.code).toBe("INVALID_SQL");
    expect(error.position?.line).toBe(1);
    expect(error.message).toMatch(/Syntax error/);
  });
});

describe("queries that bind but make no sense", () => {
  const cases: [string, RegExp][] = [
    ["SELECT country, count(*) FROM events", /GROUP BY/],
    ["SELECT count(*) FROM events WHERE count(*) > 1", /WHERE/],
    ["SELECT count(*) FROM events GROUP BY count(*)", /GROUP BY/],
    ["SELECT sum(count(*)) FROM events", /nested/],
    ["SELECT lower(1)", /lower/],
    ["SELECT 'a' + 1", /\+/],
    ["SELECT sum(event_id) FROM events", /sum/],
    ["SELECT event_id FROM events WHERE event_id", /BOOLEAN/],
    ["SELECT event_id FROM events LIMIT -1", /LIMIT/],
    ["SELECT date_trunc('fortnight', ts) FROM events", /fortnight/],
    ["SELECT quantile_cont(ts, 2) FROM events", /fraction/],
    ["SELECT DISTINCT country FROM events ORDER BY ts", /DISTINCT/],
    ["SELECT CAST(ts AS TIME) FROM events", /TIME/],
    ["SELECT country FROM events GROUP BY 3", /position/],
  ];
  for (const [sql, message] of cases) {
    it(`refuses ${sql}`, async () => {
      const error = await failure(sql);
      expect(error.code).toBe("INVALID_SQL");
      expect(error.message).toMatch(message);
    });
  }

  it("reports a conversion error at run time as INVALID_SQL", async () => {
    const error = await failure("SELECT CAST(event_id AS INTEGER) FROM events");
    expect(error.code).toBe("INVALID_SQL");
    expect(error.message).toMatch(/Conversion Error/);
  });
});

describe("limits", () => {
  it("refuses a result past maxResultRows with QUERY_TOO_LARGE", async () => {
    const error = await failure("SELECT event_id FROM events", { maxResultRows: 100 });
    expect(error.code).toBe("QUERY_TOO_LARGE");
  });

  it("refuses a sorted result past maxResultRows with QUERY_TOO_LARGE", async () => {
    const error = await failure("SELECT event_id FROM events ORDER BY ts", { maxResultRows: 100 });
    expect(error.code).toBe("QUERY_TOO_LARGE");
  });

  it("answers within the limit when LIMIT keeps the result small", async () => {
    const result = await runQuery("SELECT event_id FROM events ORDER BY ts DESC LIMIT 100", fixture.catalog, {
      maxResultRows: 100,
    });
    expect(result.rows).toHaveLength(100);
  });

  it("refuses too many groups with QUERY_TOO_LARGE", async () => {
    // 3,800 groups at a cap of 50 would take more passes of hash partitions than one query may make.
    const error = await failure("SELECT event_id, count(*) FROM events GROUP BY 1 LIMIT 5", { maxGroups: 50 });
    expect(error.code).toBe("QUERY_TOO_LARGE");
    expect(error.message).toMatch(/GROUP BY would need more than \d+ passes/);
  });

  it("refuses too many distinct values with QUERY_TOO_LARGE", async () => {
    const error = await failure("SELECT count(DISTINCT event_id) FROM events", { maxGroups: 100 });
    expect(error.code).toBe("QUERY_TOO_LARGE");
    expect(error.message).toMatch(/approx_count_distinct/);
  });

  it("stops at its time limit with QUERY_TIMEOUT", async () => {
    const error = await failure("SELECT count(DISTINCT event_id) FROM events", { timeoutMs: 0 });
    expect(error.code).toBe("QUERY_TIMEOUT");
  });
});

describe("validateQuery", () => {
  it("accepts a good query over events and over known event types", () => {
    expect(validateQuery("SELECT event_type, count(*) FROM events GROUP BY 1", [])).toEqual({ valid: true });
    expect(
      validateQuery('SELECT count(*) FROM "order.created" WHERE ts > now() - INTERVAL 1 DAY', ["order.created"]),
    ).toEqual({
      valid: true,
    });
    expect(validateQuery("WITH t AS (SELECT user_id FROM click) SELECT count(*) FROM t", ["click"])).toEqual({
      valid: true,
    });
  });

  it("reports errors that name the problem and where it is", () => {
    const unknownTable = validateQuery('SELECT count(*) FROM "order.created"', ["click"]);
    expect(unknownTable.valid).toBe(false);
    if (!unknownTable.valid) {
      expect(unknownTable.errors[0]).toContain("order.created");
      expect(unknownTable.errors[0]).toContain("line 1, column 22");
    }
    const unknownColumn = validateQuery("SELECT colour FROM events", []);
    expect(unknownColumn.valid).toBe(false);
    if (!unknownColumn.valid) expect(unknownColumn.errors[0]).toContain("colour");
    const dml = validateQuery("DELETE FROM events", []);
    expect(dml.valid).toBe(false);
  });

  it("never runs the query", () => {
    const before = fixture.listed.length;
    expect(validateQuery("SELECT count(*) FROM events", [])).toEqual({ valid: true });
    expect(fixture.listed).toHaveLength(before);
  });
});
