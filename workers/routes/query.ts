// POST /v1/query and /v1/query/validate: SQL over the project's lake, at a snapshot or now, cached.

import { createRoute } from "@hono/zod-openapi";
import { datasetsOf } from "../../services/manifest/read";
import { coordinateQuery, tableColumnsOf } from "../../services/query/coordinator";
import { QueryAnswer, QueryBody, ValidateAnswer, ValidateBody } from "../../shared/api/query";
import { explainPrefix, validateQuery } from "../../shared/query";
import { encodeAnswer } from "../../shared/query/answer-format";
import { askingContext } from "../asking-context";
import { projectOf, requirePermission } from "../middleware/auth";
import { jsonBody } from "../middleware/json-body";
import { bearer, errorResponses, router } from "../openapi";

const tags = ["Query"];

const query = createRoute({
  method: "post",
  path: "/v1/query",
  tags,
  summary: "Run a SELECT over the lake (query)",
  description:
    "Tables: `events`, one per event type (`datasets.<type>` names the type's table even for a type called `events`). " +
    "Joins, UNION/INTERSECT/EXCEPT [ALL], subqueries in expressions, window functions and QUALIFY (README, SQL second edition). Formats: json (ClickHouse-style), csv, ndjson, arrow (Arrow IPC stream). " +
    "`snapshot` or `as_of` answer as the lake was then (410 GONE once its files were garbage-collected). " +
    "Each query is answered by the first step that can: the answer cache (identical query, unchanged lake, 5 minutes), " +
    "gold rollups (exact answers of counts and approximate distinct counts), or a scan of the files; " +
    "`statistics.source` and the `X-Tarn-Source` header say which (`X-Tarn-Cache: hit` for the cache). " +
    "`EXPLAIN SELECT …` returns the path and what each scan would read (files listed and left after pruning, columns, splits) " +
    "without reading files; `EXPLAIN ANALYZE SELECT …` also runs it.",
  security: bearer,
  middleware: [requirePermission("query", { limit: "query" }), jsonBody()] as const,
  request: { body: { required: true, content: { "application/json": { schema: QueryBody } } } },
  responses: {
    200: {
      description: "The answer",
      content: {
        "application/json": { schema: QueryAnswer },
        "text/csv": { schema: { type: "string" } },
        "application/x-ndjson": { schema: { type: "string" } },
        "application/vnd.apache.arrow.stream": { schema: { type: "string", format: "binary" } },
      },
    },
    ...errorResponses(400, 401, 403, 404, 408, 410, 413, 415),
  },
});

const validate = createRoute({
  method: "post",
  path: "/v1/query/validate",
  tags,
  summary: "Check a query without running it (query)",
  security: bearer,
  middleware: [requirePermission("query"), jsonBody()] as const,
  request: { body: { required: true, content: { "application/json": { schema: ValidateBody } } } },
  responses: {
    200: { description: "Whether it would run", content: { "application/json": { schema: ValidateAnswer } } },
    ...errorResponses(400, 401, 403, 415),
  },
});

export const queryRoutes = router()
  .openapi(query, async (c) => {
    const body = c.req.valid("json");
    const answer = await coordinateQuery(askingContext(c), body);
    const encoded = encodeAnswer(answer, body.format);
    return new Response(encoded.body, {
      headers: {
        "Content-Type": encoded.contentType,
        "X-Tarn-Source": answer.statistics.source,
        ...(answer.statistics.cached ? { "X-Tarn-Cache": "hit" } : {}),
      },
    });
  })
  .openapi(validate, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { sql } = explainPrefix(c.req.valid("json").sql);
    const verdict = validateQuery(
      sql,
      await datasetsOf(c.env.DB, projectId),
      await tableColumnsOf(c.env.DB, projectId),
    );
    return c.json(verdict, 200);
  });
