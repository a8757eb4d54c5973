// UNION, INTERSECT and EXCEPT, with and without ALL, as DuckDB defines them: rows compare with NULLs
// equal; ALL variants keep multiplicities (INTERSECT ALL the smaller count, EXCEPT ALL the difference).
import type { SetOpKind } from "./ast";
import { QueryError } from "./errors";
import type { ExecEnv } from "./exec-env";
import { type Batch, gatherBatch, type Vec, valueAt } from "./vector";

function rowKeys(batch: Batch): string[] {
  const keys: string[] = new Array(batch.n);
  for (let i = 0; i < batch.n; i++) {
    let key = "";
    for (const c of batch.cols) {
      const v = valueAt(c as Vec, i);
      key +=
        v === null
          ? "\u0000\u0001"
          : typeof v === "number"
            ? `n${Object.is(v, -0) ? 0 : v}\u0001`
            : typeof v === "string"
              ? `s${v.length}:${v}`
              : `o${JSON.stringify(v)}\u0001`;
    }
    keys[i] = key;
  }
  return keys;
}

function keep(batch: Batch, rows: number[]): Batch {
  return gatherBatch(batch, Int32Array.from(rows), rows.length);
}

export async function* executeSetOp(
  op: SetOpKind,
  all: boolean,
  left: AsyncGenerator<Batch>,
  right: () => AsyncGenerator<Batch>,
  env: ExecEnv,
): AsyncGenerator<Batch> {
  const guard = (size: number) => {
    if (size > env.maxGroups)
      throw new QueryError(
        "QUERY_TOO_LARGE",
        `${op.toUpperCase()} keeps more than ${env.maxGroups} distinct rows in memory; filter more or use UNION ALL`,
      );
  };
  if (op === "union") {
    const seen = all ? null : new Set<string>();
    for (const side of [left, right()]) {
      for await (const batch of side) {
        env.checkpoint();
        if (!seen) {
          yield batch;
          continue;
        }
        const rows: number[] = [];
        rowKeys(batch).forEach((k, i) => {
          if (!seen.has(k)) {
            seen.add(k);
            rows.push(i);
          }
        });
        guard(seen.size);
        if (rows.length) yield keep(batch, rows);
      }
    }
    return;
  }
  // INTERSECT / EXCEPT: count the right side's rows, then stream the left through the counts.
  const counts = new Map<string, number>();
  for await (const batch of right()) {
    env.checkpoint();
    for (const k of rowKeys(batch)) counts.set(k, (counts.get(k) ?? 0) + 1);
    guard(counts.size);
  }
  const emitted = all ? null : new Set<string>();
  for await (const batch of left) {
    env.checkpoint();
    const rows: number[] = [];
    rowKeys(batch).forEach((k, i) => {
      const c = counts.get(k) ?? 0;
      if (emitted) {
        if ((op === "intersect") === c > 0 && !emitted.has(k)) {
          emitted.add(k);
          rows.push(i);
        }
        return;
      }
      if (op === "intersect") {
        if (c > 0) {
          counts.set(k, c - 1);
          rows.push(i);
        }
      } else if (c > 0) counts.set(k, c - 1);
      else rows.push(i);
    });
    if (emitted) guard(emitted.size);
    if (rows.length) yield keep(batch, rows);
  }
}
