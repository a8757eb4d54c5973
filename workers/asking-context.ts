// The query context of an HTTP request: the invocation's ports and who asks, so every route that runs
// SQL for a person (query, natural questions, insights) applies their masks and row-level policies.
import type { Context } from "hono";
import type { QueryContext } from "../services/query/coordinator";
import type { AppEnv } from "./context";
import { projectOf } from "./middleware/auth";

export function askingContext(c: Context<AppEnv>): QueryContext {
  const principal = projectOf(c.get("principal"));
  return {
    env: c.env,
    exports: (c.executionCtx as ExecutionContext).exports,
    waitUntil: (work) => c.executionCtx.waitUntil(work),
    projectId: principal.projectId,
    principal,
  };
}
