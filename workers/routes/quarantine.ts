// Quarantine replay and dead-letter redrive: putting rejected or dead events back, exactly once.
import { createRoute } from "@hono/zod-openapi";
import { redriveDeadLetters } from "../../services/ingest/redrive";
import { replayQuarantine } from "../../services/ingest/replay";
import { forwardLineage, recordReplay } from "../../services/lineage/record";
import { RedriveBody, RedriveResult, ReplayBody, ReplayResult } from "../../shared/api/contracts";
import { readConfig } from "../../shared/config";
import { projectOf, requirePermission } from "../middleware/auth";
import { jsonBody } from "../middleware/json-body";
import { bearer, errorResponses, router } from "../openapi";

const replay = createRoute({
  method: "post",
  path: "/v1/quarantine/replay",
  tags: ["Events"],
  summary: "Validate quarantined events again against today's contracts and land the accepted ones once (admin)",
  description:
    'Select entries by `{"ids": [...]}` or `{"event_type", "from", "to"}` (at most 1,000 a call; `more` says when to call again). ' +
    "Accepted entries land with their original eventId, exactly once however often they are replayed.",
  security: bearer,
  middleware: [requirePermission("manage"), jsonBody()] as const,
  request: { body: { required: true, content: { "application/json": { schema: ReplayBody } } } },
  responses: {
    200: { description: "What the replay did", content: { "application/json": { schema: ReplayResult } } },
    ...errorResponses(400, 401, 403, 415, 503),
  },
});

const redrive = createRoute({
  method: "post",
  path: "/v1/dead-letters/redrive",
  tags: ["Events"],
  summary: "Send dead-lettered messages back through their consumer, once (admin)",
  security: bearer,
  middleware: [requirePermission("manage"), jsonBody()] as const,
  request: { body: { required: true, content: { "application/json": { schema: RedriveBody } } } },
  responses: {
    200: { description: "What was sent back", content: { "application/json": { schema: RedriveResult } } },
    ...errorResponses(400, 401, 403, 415),
  },
});

export const quarantineRoutes = router()
  .openapi(replay, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const config = readConfig(c.env);
    const receivedAt = Date.now();
    const edge = {
      receivedAt,
      requestId: c.get("requestId"),
      country: null,
      colo: null,
      maxEventBytes: config.maxEventBytes,
      newId: () => crypto.randomUUID(),
    };
    const { landedByType, ...result } = await replayQuarantine(c.env, projectId, c.req.valid("json"), edge, {
      contractTtlMs: config.contractCacheTtlMs,
      waitUntil: (p) => c.executionCtx.waitUntil(p),
      packLimits: config.packLimits,
    });
    if (landedByType.size > 0) {
      c.executionCtx.waitUntil(
        recordReplay(c.env, projectId, landedByType, receivedAt)
          .then(() => (config.lineageUrl ? forwardLineage(c.env) : 0))
          .catch(() => undefined),
      );
    }
    return c.json(result, 200);
  })
  .openapi(redrive, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    return c.json(await redriveDeadLetters(c.env, projectId, c.req.valid("json").ids), 200);
  });
