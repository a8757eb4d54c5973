// Segment's HTTP Tracking API (/v1/batch, /v1/track, …): existing SDKs send here unchanged; events take the /v1/events path.
import { createRoute, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { admitEvents } from "../../services/ingest/admit";
import { resolveApiKey } from "../../services/keys/key-store";
import { constantTimeEqual, looksLikeApiKey } from "../../shared/api-keys";
import { readConfig } from "../../shared/config";
import { TarnError } from "../../shared/errors";
import type { RawItem } from "../../shared/events/read-events";
import { grants } from "../../shared/scopes";
import { mapSegmentMessage, SEGMENT_TYPES, type SegmentType } from "../../shared/segment/map-message";
import { readSegmentBody, writeKeyFromHeader } from "../../shared/segment/read-request";
import type { AppEnv } from "../context";
import { admitOptions, edgeContext } from "../ingest/admit-request";
import { readBodyText } from "../ingest/read-body";
import { requirePermission } from "../middleware/auth";
import { errorResponses, router } from "../openapi";

/** Segment's limits: 500 KB a batch (4 MB when gzip, as RudderStack's SDK sends), 32 KB a call. */
export const SEGMENT_BATCH_BYTES = 500 * 1024;
export const SEGMENT_GZIP_BATCH_BYTES = 4 * 1024 * 1024;

const SegmentAnswer = z
  .object({
    success: z.literal(true),
    accepted: z.number().int(),
    rejected: z.number().int(),
    errors: z.array(z.object({ index: z.number().int(), code: z.string(), message: z.string() })),
    request_id: z.string(),
  })
  .meta({ id: "SegmentAnswer" });

const messageSchema = {
  type: "object" as const,
  description:
    "A Segment message (type, messageId, userId/anonymousId, event, properties/traits, context, integrations, timestamp)",
  additionalProperties: true,
};

/**
 * The `ingest` permission. A Bearer credential (an ingest key, or a user token whose role may ingest)
 * goes through the permission table like every route; Segment's own forms (the write key as HTTP
 * Basic user name, or `writeKey` in the body) are checked by the route as an ingest key.
 */
const ingestPermission = requirePermission("ingest");
const segmentAccess: MiddlewareHandler<AppEnv> & { access: "ingest" } = Object.assign(
  async function segmentAccessMiddleware(c: Context<AppEnv>, next: () => Promise<void>) {
    if (/^bearer\s/i.test(c.req.header("Authorization") ?? "")) return ingestPermission(c, next);
    return next();
  } as MiddlewareHandler<AppEnv>,
  { access: "ingest" as const },
);

function segmentRoute(route: "batch" | SegmentType) {
  return createRoute({
    method: "post",
    path: `/v1/${route}`,
    tags: ["Segment"],
    summary: route === "batch" ? "Segment batch (Tracking API)" : `Segment ${route} call`,
    description:
      "Segment's HTTP Tracking API. Write key = a Tarn key with scope ingest, as HTTP Basic user name, body writeKey, or Bearer. " +
      "messageId is the dedupe key. Content-Encoding: gzip is accepted. Every message gets a verdict; rejected ones are quarantined.",
    security: [{ segmentBasic: [] }, { bearer: [] }],
    middleware: [segmentAccess] as const,
    request: {
      body: {
        required: true,
        content: {
          "application/json": {
            schema:
              route === "batch"
                ? {
                    type: "object" as const,
                    properties: {
                      batch: { type: "array" as const, items: messageSchema },
                      context: { type: "object" as const },
                      integrations: { type: "object" as const },
                      writeKey: { type: "string" as const },
                    },
                    required: ["batch"],
                  }
                : messageSchema,
          },
        },
      },
    },
    responses: {
      200: { description: "Taken", content: { "application/json": { schema: SegmentAnswer } } },
      ...errorResponses(400, 401, 403, 415, 503),
    },
  });
}

export const segmentRoutes = router();
segmentRoutes.openAPIRegistry.registerComponent("securitySchemes", "segmentBasic", {
  type: "http",
  scheme: "basic",
  description: "Segment style: the write key (a Tarn ingest key) as the user name, empty password.",
});

for (const route of ["batch", ...SEGMENT_TYPES] as const) {
  segmentRoutes.openapi(segmentRoute(route), (c) => ingestSegment(c, route));
}

/** The project of a write key with the ingest scope; the same checks as `requireScope("ingest")`. */
async function projectOfWriteKey(c: Context<AppEnv>, key: string | null | undefined): Promise<string> {
  if (!key) {
    throw new TarnError(
      "UNAUTHORIZED",
      "missing write key: send HTTP Basic (write key as user name), writeKey, or Bearer",
    );
  }
  const admin = c.env.ADMIN_API_KEY;
  if (admin && (await constantTimeEqual(key, admin))) {
    throw new TarnError("FORBIDDEN", "the super-admin key can only create projects; use a project key");
  }
  if (!looksLikeApiKey(key)) throw new TarnError("UNAUTHORIZED", "invalid write key");
  const principal = await resolveApiKey(c.env.DB, key, readConfig(c.env).keyCacheTtlMs, (p) =>
    c.executionCtx.waitUntil(p),
  );
  if (!principal) throw new TarnError("UNAUTHORIZED", "invalid or revoked write key");
  if (!grants(principal.scopes, "ingest")) {
    throw new TarnError("FORBIDDEN", "this key lacks the ingest scope", { details: { required_scope: "ingest" } });
  }
  c.set("principal", principal);
  return principal.projectId;
}

/** Segment answers 400 for every size limit; Tarn's reader says 413, so the code is kept and the status changed. */
async function readLimited(c: Context<AppEnv>, limit: number): Promise<string> {
  try {
    return await readBodyText(c.req.raw, limit);
  } catch (err) {
    if (err instanceof TarnError && err.code === "PAYLOAD_TOO_LARGE") {
      throw new TarnError("VALIDATION_ERROR", err.message, { details: err.details });
    }
    throw err;
  }
}

async function ingestSegment(c: Context<AppEnv>, route: "batch" | SegmentType) {
  const receivedAt = Date.now();
  const config = readConfig(c.env);
  // A Bearer credential was checked by segmentAccess (the permission table); Basic is a write key.
  const principal = c.get("principal");
  const headerKey = principal ? null : writeKeyFromHeader(c.req.header("Authorization"));
  let projectId = principal && "projectId" in principal ? principal.projectId : undefined;
  if (headerKey) projectId = await projectOfWriteKey(c, headerKey);

  const gzip = /gzip/i.test(c.req.header("Content-Encoding") ?? "");
  const limit = route === "batch" ? (gzip ? SEGMENT_GZIP_BATCH_BYTES : SEGMENT_BATCH_BYTES) : config.maxEventBytes;
  const text = await readLimited(c, limit);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    // Without a credential in a header, the write key could only be in the body: say what is missing.
    if (projectId === undefined) await projectOfWriteKey(c, undefined);
    throw new TarnError(
      "INVALID_JSON",
      `the body is not valid JSON: ${err instanceof Error ? err.message : "parse error"}`,
    );
  }
  if (projectId === undefined) {
    // Authenticate before judging the body: no credential is a 401 whatever the body holds.
    const bodyKey = (body as { writeKey?: unknown } | null)?.writeKey;
    projectId = await projectOfWriteKey(c, typeof bodyKey === "string" ? bodyKey : undefined);
  }
  const read = readSegmentBody(body, route);
  if (!read.ok) throw new TarnError("VALIDATION_ERROR", read.message);
  projectId ??= await projectOfWriteKey(c, read.request.bodyWriteKey);

  const { messages, defaults } = read.request;
  if (messages.length > config.maxEventsPerRequest) {
    throw new TarnError(
      "VALIDATION_ERROR",
      `the batch has ${messages.length} messages; the limit is ${config.maxEventsPerRequest}`,
    );
  }
  const encoder = new TextEncoder();
  messages.forEach((message, index) => {
    const bytes = encoder.encode(JSON.stringify(message) ?? "").byteLength;
    if (bytes > config.maxEventBytes) {
      throw new TarnError(
        "VALIDATION_ERROR",
        `message ${index} is ${bytes} bytes; the limit is ${config.maxEventBytes}`,
        {
          details: { index, limit_event_bytes: config.maxEventBytes },
        },
      );
    }
  });

  const edge = edgeContext(c, receivedAt, config);
  // Each message becomes an envelope (or carries the reason Segment's spec rejects it), then takes
  // the same verdict, quarantine and queue step as /v1/events.
  const items: RawItem[] = messages.map((message) => {
    const mapped = mapSegmentMessage(message, route === "batch" ? null : route, defaults);
    return mapped.ok
      ? { value: mapped.envelope }
      : { value: message, rejection: { code: "VALIDATION_ERROR", message: mapped.message } };
  });
  const receipt = await admitEvents(c.env, projectId, items, edge, admitOptions(c, config));
  return c.json({ success: true as const, ...receipt, request_id: edge.requestId }, 200);
}
