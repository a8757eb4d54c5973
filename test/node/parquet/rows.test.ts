// Lake rows and columns: the file's row order, rows gathered into columns, and decoded rows made LakeRows again.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LAKE_COLUMNS, type LakeRow } from "../../../shared/lake/lake-row";
import { gatherColumns, groupColumns, RADIX_MIN_ROWS, sortOrderByTs, toLakeRow } from "../../../shared/parquet/rows";

function row(i: number, ts: number): LakeRow {
  return {
    event_id: `e${i}`,
    event_type: "click",
    ts,
    received_at: ts + 1,
    user_id: i % 2 ? `u${i}` : null,
    session_id: null,
    correlation_id: null,
    source: "web",
    version: null,
    environment: null,
    region: null,
    request_id: null,
    country: null,
    colo: null,
    payload: `{"i":${i}}`,
    metadata: null,
  };
}

/** Stable order by ts, the definition the writer must meet. */
const expectedOrder = (ts: number[]) =>
  ts
    .map((t, i) => [t, i] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .map(([, i]) => i);

describe("row order", () => {
  it("sorts by ts, ties in input order, for narrow spans, wide spans and fractions alike", () => {
    const ts = fc.oneof(
      fc.integer({ min: 0, max: 50 }),
      fc.integer({ min: -(2 ** 52), max: 2 ** 52 }),
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
    );
    fc.assert(
      fc.property(fc.array(ts, { maxLength: 200 }), (times) => {
        const rows = times.map((t, i) => row(i, t));
        expect([...sortOrderByTs(rows)]).toEqual(expectedOrder(times));
      }),
      { numRuns: 300 },
    );
  });

  it("sorts batches large enough for the radix passes: narrow, day-long and 2^32-wide spans, with ties", () => {
    const span = fc.constantFrom(3, 86_400_000, 2 ** 32 - 1, 2 ** 32);
    fc.assert(
      fc.property(span, fc.integer({ min: RADIX_MIN_ROWS, max: 3_000 }), fc.integer(), (width, n, seed) => {
        let state = seed >>> 0;
        const next = () => {
          state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
          return state / 2 ** 32;
        };
        const base = 1_740_000_000_000;
        // Mostly increasing with jitter, like a consumer batch, plus exact repeats.
        const times = Array.from({ length: n }, (_, i) =>
          i % 7 === 0 ? base : base + Math.floor((i / n) * width * 0.9 + next() * width * 0.1),
        );
        const rows = times.map((t, i) => row(i, t));
        expect([...sortOrderByTs(rows)]).toEqual(expectedOrder(times));
      }),
      { numRuns: 40 },
    );
  });
});

describe("rows and columns", () => {
  it("gather a row group column-wise and come back as the same LakeRows", () => {
    const rows = [row(0, 30), row(1, 10), row(2, 20)];
    const order = sortOrderByTs(rows);
    const columns = groupColumns(2);
    gatherColumns(rows, order, 1, 3, columns); // the second and third rows in file order
    expect([...(columns.ts as Float64Array)]).toEqual([20, 30]);
    const back = [0, 1].map((i) =>
      toLakeRow(Object.fromEntries(LAKE_COLUMNS.map(({ name }) => [name, columns[name][i]]))),
    );
    expect(back).toEqual([rows[2], rows[0]]);
  });

  it("normalizes what other parsers produce: Dates and BigInts to ms, parsed JSON back to text", () => {
    const raw = {
      ...row(5, 0),
      ts: new Date(1_000),
      received_at: 2_000n,
      payload: { a: [1, "é"] },
      user_id: undefined,
    };
    expect(toLakeRow(raw)).toEqual({
      ...row(5, 0),
      ts: 1_000,
      received_at: 2_000,
      payload: '{"a":[1,"é"]}',
      user_id: null,
    });
  });
});
