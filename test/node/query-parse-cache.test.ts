// A query's splits and repeated dashboard queries send the same text: it is parsed once per isolate,
// and the shared tree is frozen so no reader can change it for the next.
import { describe, expect, it } from "vitest";
import { parseQuery } from "../../shared/query";

describe("parseQuery's cache", () => {
  it("returns the same frozen tree for the same text, and parses other text anew", () => {
    const sql = "SELECT event_type, count(*) AS n FROM events WHERE user_id IS NOT NULL GROUP BY 1";
    const first = parseQuery(sql);
    expect(parseQuery(sql)).toBe(first);
    expect(Object.isFrozen(first.select)).toBe(true);
    expect(() => {
      (first.select as unknown as Record<string, unknown>).limit = 1;
    }).toThrow(TypeError);
    expect(parseQuery(`${sql} -- another text`)).not.toBe(first);
  });

  it("keeps recent statements only, and still refuses bad SQL every time", () => {
    const sql = "SELECT 1 AS one";
    const first = parseQuery(sql);
    for (let i = 0; i < 100; i++) parseQuery(`SELECT ${i} AS n`);
    expect(parseQuery(sql)).not.toBe(first);
    expect(parseQuery(sql)).toEqual(first);
    for (let i = 0; i < 2; i++) expect(() => parseQuery("SELECT FROM WHERE")).toThrow(/Syntax error/);
  });
});
