// Subqueries in expressions run before the plan that uses them; their answers are handed to the
// functions bound in their place (subquery-bind.ts).
import type { QueryPlan } from "./bind";
import { QueryError } from "./errors";
import type { ExecEnv } from "./exec-env";
import type { Batch } from "./vector";
import { valueAt } from "./vector";

export async function runSubqueries(
  plan: QueryPlan,
  env: ExecEnv,
  execute: (plan: QueryPlan, env: ExecEnv) => AsyncGenerator<Batch>,
): Promise<void> {
  for (const sub of plan.subqueries ?? []) {
    const rows: unknown[][] = [];
    for await (const batch of execute(sub.plan, env)) {
      env.checkpoint();
      for (let i = 0; i < batch.n; i++) rows.push(batch.cols.map((c) => (c ? valueAt(c, i) : null)));
      if (rows.length > env.maxJoinRows) {
        throw new QueryError(
          "QUERY_TOO_LARGE",
          `A subquery in an expression returns more than ${env.maxJoinRows} rows; filter it more`,
        );
      }
    }
    sub.fill(rows);
  }
}
