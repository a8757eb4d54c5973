// Bound expressions: names resolved to column slots, functions to implementations, every node typed.
import type { SqlType } from "./types";
import type { Vec } from "./vector";

export interface EvalContext {
  /** now() for the whole query, epoch ms. */
  nowMs: number;
  /** Trained models `predict('<model_id>', …)` may call, by id (loaded by the caller before the query). */
  models?: Readonly<Record<string, SqlModel>>;
}

/** A trained model as SQL sees it: its result type, its features in order, and a row's prediction. */
export interface SqlModel {
  type: "DOUBLE" | "VARCHAR";
  features: readonly string[];
  predict(values: unknown[]): number | string;
}

/**
 * A row-level policy's condition is wrapped in this function (BOOLEAN in, the same out): WHERE runs
 * its conjuncts cheapest first, and this one always first, so no expression of the query itself
 * ever sees (and fails on) a row the policy removes (row-filters.ts).
 */
export const ROW_POLICY_FN = "__tarn_row_policy";

export type ScalarImpl = (args: Vec[], n: number, ctx: EvalContext) => Vec;

export interface ScalarFn {
  /** Stable name, used for structural equality (GROUP BY matching) and column names. */
  name: string;
  impl: ScalarImpl;
  /**
   * Row by row, and NULL in the first argument gives NULL: with constant other arguments the function
   * can run on a dictionary's entries alone (codes keep mapping rows to results).
   */
  strict: boolean;
  /** Reads an answer computed in this invocation (a subquery's), so a split cannot evaluate it. */
  local?: boolean;
}

export type Bound =
  | { kind: "col"; slot: number; type: SqlType }
  | { kind: "const"; value: unknown; type: SqlType }
  | { kind: "fn"; fn: ScalarFn; args: Bound[]; type: SqlType }
  | { kind: "case"; whens: { when: Bound; result: Bound }[]; otherwise: Bound; type: SqlType };

/** A canonical text of a bound tree: equal texts mean equal expressions. */
export function signature(b: Bound): string {
  switch (b.kind) {
    case "col":
      return `$${b.slot}`;
    case "const":
      return `${b.type}:${JSON.stringify(b.value)}`;
    case "fn":
      return `${b.fn.name}(${b.args.map(signature).join(",")})`;
    case "case":
      return `case(${b.whens.map((w) => `${signature(w.when)}->${signature(w.result)}`).join(",")};${signature(b.otherwise)})`;
  }
}

/** Whether a bound tree reads an answer only this invocation holds (see ScalarFn.local). */
export function readsLocal(b: Bound | null): boolean {
  if (!b) return false;
  if (b.kind === "fn") return b.fn.local === true || b.args.some(readsLocal);
  if (b.kind === "case")
    return b.whens.some((w) => readsLocal(w.when) || readsLocal(w.result)) || readsLocal(b.otherwise);
  return false;
}

/** Column slots a bound tree reads. */
export function slotsOf(b: Bound, into: Set<number> = new Set()): Set<number> {
  if (b.kind === "col") into.add(b.slot);
  else if (b.kind === "fn") for (const a of b.args) slotsOf(a, into);
  else if (b.kind === "case") {
    for (const w of b.whens) {
      slotsOf(w.when, into);
      slotsOf(w.result, into);
    }
    slotsOf(b.otherwise, into);
  }
  return into;
}

export function constant(value: unknown, type: SqlType): Bound {
  return { kind: "const", value, type };
}

export interface OrderSpec {
  expr: Bound;
  desc: boolean;
  nullsFirst: boolean;
}
