// Output values: vectors' physical values to what callers get (numbers, bigints, strings, booleans, Dates).
import type { Interval } from "./ast";
import type { ColumnInfo } from "./bind-expr";
import { formatInterval } from "./time";
import { isInteger, isTemporal, type SqlType } from "./types";
import { type Batch, valueAt } from "./vector";

function converter(type: SqlType): (v: unknown) => unknown {
  if (type === "BOOLEAN") return (v) => v === 1;
  if (isTemporal(type)) return (v) => new Date(v as number);
  if (type === "INTERVAL") return (v) => formatInterval(v as Interval);
  if (isInteger(type)) return (v) => (Number.isSafeInteger(v) ? v : BigInt(Math.round(v as number)));
  return (v) => v;
}

/** Append a batch's rows (row-major) to `rows`. */
export function appendRows(rows: unknown[][], batch: Batch, columns: ColumnInfo[]): void {
  const convert = columns.map((c) => converter(c.type));
  for (let i = 0; i < batch.n; i++) {
    const row: unknown[] = new Array(columns.length);
    for (let j = 0; j < columns.length; j++) {
      const v = valueAt(batch.cols[j] as never, i);
      row[j] = v === null ? null : (convert[j] as (v: unknown) => unknown)(v);
    }
    rows.push(row);
  }
}
