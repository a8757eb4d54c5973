// The evaluation set of natural-language questions: every reference query is valid SQL for Tarn
// over the evaluation dataset's tables, and the answer comparison tells right from wrong.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { sameRows } from "../../bench/nl-eval/compare";
import { CONTRACTS } from "../../bench/nl-eval/dataset";
import { validateQuery } from "../../shared/query";
import { TABLE_COLUMNS } from "../../shared/query/schema";

const questions = JSON.parse(
  readFileSync(path.join(import.meta.dirname, "../../bench/nl-eval/questions.json"), "utf8"),
) as { question: string; dataset?: string; sql: string }[];

const TYPES: Record<string, string> = { integer: "BIGINT", number: "DOUBLE", string: "VARCHAR" };
const tableColumns = Object.fromEntries(
  Object.entries(CONTRACTS).map(([type, schema]) => [
    type,
    // A table with contract columns has the lake's columns and then those (as the coordinator binds it).
    [
      ...TABLE_COLUMNS,
      ...Object.entries(schema.properties).map(([name, p]) => ({ name, type: TYPES[p.type] as never })),
    ],
  ]),
);

describe("the natural-language evaluation set", () => {
  it("has at least 20 questions", () => {
    expect(questions.length).toBeGreaterThanOrEqual(20);
  });
  it.each(questions.map((q) => [q.question, q.sql]))("%s: the reference SQL is valid", (_q, sql) => {
    expect(validateQuery(sql, Object.keys(CONTRACTS), tableColumns)).toEqual({ valid: true });
  });
  it("compares rows whatever the column names and order, and not otherwise", () => {
    const ref = [
      { channel: "web", n: 3 },
      { channel: "app", n: 2 },
    ];
    expect(
      sameRows(ref, [
        { n: 2, c: "app" },
        { n: 3, c: "web" },
      ]),
    ).toBe(true);
    expect(
      sameRows(ref, [
        { n: 2, c: "app" },
        { n: 4, c: "web" },
      ]),
    ).toBe(false);
    expect(sameRows(ref, ref.slice(1))).toBe(false);
  });
});
