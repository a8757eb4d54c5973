// POST /v1/query and /v1/query/validate: SQL over the project's lake, at a snapshot or now, cached.
import { createRoute } from "@hono/zod-openapi";
import { latestSnapshot, snapshotAsOf, snapshotExists } from "../../services/manifest/read";
import { datasetsOf, projectCatalog } from "../../services/query/catalog";
import { projectFanOut } from "../../services/query/fan-out";
import { footers } from "../../services/query/footers";
import { cachedAnswer, storeAnswer } from "../../services/query/result-cache";
import { answerFromGold } from "../../services/query/rollup-port";
import { QueryAnswer, QueryBody, ValidateAnswer, ValidateBody } from "../../shared/api/query";
import { TarnError } from "../../shared/errors";
import { emptyStatistics, QueryError, runQuery, validateQuery } from "../../shared/query";
import { encodeAnswer } from "../../shared/query/answer-format";
import { projectOf, requireScope } from "../middleware/auth";
import { jsonBody } from "../middleware/json-body";
import { bearer, errorResponses, router } from "../openapi";

const tags = ["Query"];
const QUERY_TIMEOUT_MS = 25_000;
const MAX_RESULT_ROWS = 100_000;

const query = createRoute({
  method: "post",
  path: "/v1/query",
  tags,
  summary: "Run a SELECT over the lake (query)",
  description:
    "Tables: `events` and one per event type. Formats: json (ClickHouse-style), csv, ndjson, arrow (Arrow IPC stream). " +
    "`snapshot` or `as_of` answer as the lake was then. Identical queries on an unchanged lake are served from cache for 5 minutes.",
  security: bearer,
  middleware: [requireScope("query"), jsonBody()] as const,
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
    ...errorResponses(400, 401, 403, 404, 413, 415),
  },
});

const validate = createRoute({
  method: "post",
  path: "/v1/query/validate",
  tags,
  summary: "Check a query without running it (query)",
  security: bearer,
  middleware: [requireScope("query"), jsonBody()] as const,
  request: { body: { required: true, content: { "application/json": { schema: ValidateBody } } } },
  responses: {
    200: { description: "Whether it would run", content: { "application/json": { schema: ValidateAnswer } } },
    ...errorResponses(400, 401, 403, 415),
  },
});

function toTarnError(err: unknown): unknown {
  if (!(err instanceof QueryError)) return err;
  const details = err.position ? { line: err.position.line, column: err.position.column } : {};
  return new TarnError(err.code, err.message, { details });
}

async function resolveSnapshot(db: D1Database, projectId: string, body: { snapshot?: number; as_of?: string }) {
  if (body.snapshot !== undefined) {
    if (!(await snapshotExists(db, projectId, body.snapshot))) {
      throw new TarnError("NOT_FOUND", `no snapshot ${body.snapshot} in this project`);
    }
    return body.snapshot;
  }
  if (body.as_of !== undefined) {
    const id = await snapshotAsOf(db, projectId, new Date(body.as_of).toISOString());
    // Before the first snapshot the lake was empty: snapshot 0 has no files.
    return id ?? 0;
  }
  return undefined;
}

export const queryRoutes = router()
  .openapi(query, async (c) => {
    const started = Date.now();
    const { projectId } = projectOf(c.get("principal"));
    const body = c.req.valid("json");
    const snapshot = await resolveSnapshot(c.env.DB, projectId, body);
    const version = snapshot ?? (await latestSnapshot(c.env.DB, projectId));
    const cacheKey = { projectId, version, pinned: snapshot !== undefined, sql: body.sql, format: body.format };
    // An answer that depends on the clock is never reused.
    const cacheable = !/\b(now|current_timestamp|current_date|today)\b/i.test(body.sql);
    const hit = cacheable ? await cachedAnswer(cacheKey) : null;
    if (hit) return hit;

    // Gold first: only the current lake has rollups, and only exact answers come from them.
    const gold = snapshot === undefined ? await answerFromGold(c.env.DB, projectId, body.sql) : null;
    if (gold && gold.rows.length <= MAX_RESULT_ROWS) {
      const statistics = {
        elapsed: (Date.now() - started) / 1000,
        ...emptyStatistics(),
        snapshot: version,
        rollup: true,
        // Last: the result cache marks hits by rewriting this field at the end of the JSON.
        cached: false,
      };
      const encoded = encodeAnswer({ meta: gold.meta, rows: gold.rows, statistics }, body.format);
      const response = new Response(encoded.body, { headers: { "Content-Type": encoded.contentType } });
      if (cacheable) c.executionCtx.waitUntil(storeAnswer(cacheKey, response.clone()).catch(() => {}));
      return response;
    }

    const catalog = projectCatalog(c.env, projectId, snapshot);
    let result: Awaited<ReturnType<typeof runQuery>>;
    try {
      result = await runQuery(body.sql, catalog, {
        footerCache: footers,
        timeoutMs: QUERY_TIMEOUT_MS,
        maxResultRows: MAX_RESULT_ROWS,
        fanOut: projectFanOut(c.env, (c.executionCtx as ExecutionContext).exports, projectId),
      });
    } catch (err) {
      throw toTarnError(err);
    }
    const statistics = {
      elapsed: (Date.now() - started) / 1000,
      rows_read: result.statistics.rows_read,
      // The engine counts bytes in this invocation and in its splits alike.
      bytes_read: result.statistics.bytes_read,
      files_read: result.statistics.files_read,
      files_pruned: catalog.filesInTables - catalog.filesListed + result.statistics.files_pruned,
      row_groups_read: result.statistics.row_groups_read,
      row_groups_pruned: result.statistics.row_groups_pruned,
      splits: result.statistics.splits,
      snapshot: version,
      rollup: false,
      cached: false,
    };
    const encoded = encodeAnswer({ meta: result.meta, rows: result.rows, statistics }, body.format);
    const response = new Response(encoded.body, { headers: { "Content-Type": encoded.contentType } });
    if (cacheable) c.executionCtx.waitUntil(storeAnswer(cacheKey, response.clone()).catch(() => {}));
    return response;
  })
  .openapi(validate, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const verdict = validateQuery(c.req.valid("json").sql, await datasetsOf(c.env.DB, projectId));
    return c.json(verdict, 200);
  });
