// POST /v1/query/natural: a question in plain language answered with validated SQL, rows and an explanation.

import { createRoute } from "@hono/zod-openapi";
import { answerQuestion } from "../../services/ai/natural-query";
import { NaturalAnswer, NaturalBody } from "../../shared/api/ai";
import { principalId } from "../../shared/principal";
import { askingContext } from "../asking-context";
import { projectOf, requirePermission } from "../middleware/auth";
import { jsonBody } from "../middleware/json-body";
import { bearer, errorResponses, router } from "../openapi";

const natural = createRoute({
  method: "post",
  path: "/v1/query/natural",
  tags: ["Analytics with AI"],
  summary: "Ask a question in plain language (analyst)",
  description:
    "The language model writes one DuckDB-dialect SELECT from the catalog (names, types, descriptions; never values). " +
    "Tarn's own parser and binder check it (one SELECT, only this project's tables) before anything runs; a refused answer " +
    "gets one repair round, then 422 INVALID_SQL with `details.sql` and `details.errors`, nothing executed. It then runs " +
    "through the normal query path (permissions, masking, limits, rate limits). LLM unreachable or its circuit breaker open: " +
    "503 UNAVAILABLE, `details.reason: llm_unavailable`. If only the explanation fails: `explanation: null, degraded: true`. " +
    "Answers are cached 5 minutes per (question, dataset, snapshot).",
  security: bearer,
  middleware: [requirePermission("query", { limit: "query" }), jsonBody()] as const,
  request: { body: { required: true, content: { "application/json": { schema: NaturalBody } } } },
  responses: {
    200: { description: "The answer", content: { "application/json": { schema: NaturalAnswer } } },
    ...errorResponses(400, 401, 403, 404, 408, 413, 415, 422, 429, 503),
  },
});

export const naturalRoutes = router().openapi(natural, async (c) => {
  const answer = await answerQuestion(
    askingContext(c),
    c.req.valid("json"),
    // Masking and row-level policies depend on who asks: a cached answer is that principal's own.
    principalId(projectOf(c.get("principal"))),
  );
  return c.json(answer, 200);
});
