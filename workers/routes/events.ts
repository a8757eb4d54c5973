// POST /v1/events: a verdict for every event; accepted ones are queued durably before the 202.
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { admitEvents } from "../../services/ingest/admit";
import { readConfig } from "../../shared/config";
import { TarnError } from "../../shared/errors";
import { EventEnvelope, ReceiptSchema } from "../../shared/events/envelope";
import { rawText, readEvents } from "../../shared/events/read-events";
import { admitOptions, edgeContext } from "../ingest/admit-request";
import { readBodyText } from "../ingest/read-body";
import { limitIngest, projectOf, requirePermission } from "../middleware/auth";
import { bearer, errorResponses, router } from "../openapi";

const ACCEPTED_TYPES = /^(application\/(json|x-ndjson|ndjson|jsonl|x-jsonlines|jsonlines)|text\/plain)\s*(;|$)/i;

const eventsBody = {
  oneOf: [
    { $ref: "#/components/schemas/Event" },
    { type: "array" as const, items: { $ref: "#/components/schemas/Event" } },
    {
      type: "object" as const,
      properties: { events: { type: "array" as const, items: { $ref: "#/components/schemas/Event" } } },
    },
  ],
};

const ingest = createRoute({
  method: "post",
  path: "/v1/events",
  tags: ["Events"],
  summary: "Send events (ingest)",
  description:
    'One event, a JSON array, {"events": [...]}, or NDJSON (application/x-ndjson). Content-Encoding: gzip is accepted. ' +
    "Every event gets a verdict; rejected events are quarantined with their reason. The 202 is sent only after the queue took the accepted events.",
  security: bearer,
  middleware: [requirePermission("ingest")] as const,
  request: {
    body: {
      required: true,
      content: { "application/json": { schema: eventsBody }, "application/x-ndjson": { schema: { type: "string" } } },
    },
  },
  responses: {
    202: { description: "The receipt", content: { "application/json": { schema: ReceiptSchema } } },
    ...errorResponses(400, 401, 403, 413, 415, 503),
  },
});

export const eventRoutes = router();
eventRoutes.openAPIRegistry.registerComponent(
  "schemas",
  "Event",
  z.toJSONSchema(EventEnvelope, { target: "openapi-3.0", io: "input" }) as Record<string, unknown>,
);

eventRoutes.openapi(ingest, async (c) => {
  const { projectId } = projectOf(c.get("principal"));
  const config = readConfig(c.env);
  const contentType = c.req.header("Content-Type");
  if (contentType && !ACCEPTED_TYPES.test(contentType)) {
    throw new TarnError(
      "UNSUPPORTED_MEDIA_TYPE",
      `send application/json or application/x-ndjson, not ${contentType.slice(0, 60)}`,
    );
  }
  const receivedAt = Date.now();
  const text = await readBodyText(c.req.raw, config.maxBodyBytes);
  const read = readEvents(text, contentType);
  if (!read.ok) throw new TarnError("INVALID_JSON", read.message);
  if (read.items.length > config.maxEventsPerRequest) {
    throw new TarnError(
      "PAYLOAD_TOO_LARGE",
      `the request has ${read.items.length} events; the limit is ${config.maxEventsPerRequest}`,
      { details: { limit_events: config.maxEventsPerRequest } },
    );
  }
  await limitIngest(c, read.items.length);

  const only = read.items[0];
  if (read.shape === "single" && only && new TextEncoder().encode(rawText(only)).length > config.maxEventBytes) {
    // One event and nothing else in the request: the request itself is too large.
    throw new TarnError("PAYLOAD_TOO_LARGE", `the event exceeds ${config.maxEventBytes} bytes`, {
      details: { limit_event_bytes: config.maxEventBytes },
    });
  }

  const edge = edgeContext(c, receivedAt, config);
  const receipt = await admitEvents(c.env, projectId, read.items, edge, admitOptions(c, config));
  return c.json({ ...receipt, request_id: edge.requestId }, 202);
});
