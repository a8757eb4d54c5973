// GET /v1/live: authenticates a dashboard WebSocket and hands it to a hub of its project's fan-out tree.

import { createRoute } from "@hono/zod-openapi";
import { refuseLiveWhenFiltered } from "../../services/access/policies";
import { hubStub } from "../../services/stubs/live-hub";
import { LiveQuery } from "../../shared/api/live";
import { TarnError } from "../../shared/errors";
import { readLiveConfig } from "../../shared/live/config";
import { StreamSchema } from "../../shared/live/frames";
import { CONNECT_HEADERS, MAX_TAGGED_SUBSCRIPTIONS } from "../../shared/live/live-rpc";
import { WindowSizeSchema } from "../../shared/live/window-size";
import { principalId } from "../../shared/principal";
import { projectOf, requirePermission } from "../middleware/auth";
import { bearer, errorResponses, router } from "../openapi";

const live = createRoute({
  method: "get",
  path: "/v1/live",
  tags: ["Live"],
  summary: "Live windows and alerts over a WebSocket (query)",
  description:
    "Upgrade to a WebSocket (token in Authorization or ?token=). Send " +
    '`{"action":"subscribe","stream":"events","window":"1s"}` (optional `filter`, `last`) and ' +
    '`{"action":"unsubscribe",…}`; receive `subscribed`, `snapshot` (the last windows), `update` ' +
    "(`final` once the window closed), `correction` (a late event changed a closed window), `alert` and " +
    '`error` frames. `{"action":"ping"}` is answered with `{"type":"pong"}`. Keep the highest `rev` per window.',
  security: bearer,
  request: { query: LiveQuery },
  responses: {
    101: { description: "Switching protocols: the socket is open" },
    ...errorResponses(400, 401, 403, 503),
  },
});

/** Parses `?subscribe=events:1s,alerts` into initial subscriptions. */
export function parseSubscribeParam(raw: string | undefined): { stream: string; window?: string }[] {
  if (!raw) return [];
  const parts = raw.split(",").filter(Boolean);
  if (parts.length > MAX_TAGGED_SUBSCRIPTIONS)
    throw new TarnError("VALIDATION_ERROR", `subscribe: at most ${MAX_TAGGED_SUBSCRIPTIONS} subscriptions on the URL`);
  return parts.map((p) => {
    const [stream = "", window] = p.split(":");
    const okStream = StreamSchema.safeParse(stream).success;
    const okWindow = stream === "alerts" ? window === undefined : WindowSizeSchema.safeParse(window).success;
    if (!okStream || !okWindow)
      throw new TarnError("VALIDATION_ERROR", `subscribe: ${p.slice(0, 80)} is not stream:window (e.g. events:1s)`, {
        details: { field: "subscribe" },
      });
    return stream === "alerts" ? { stream } : { stream, window };
  });
}

export const liveRoutes = router();
liveRoutes.openAPIRegistry.registerPath(live);
liveRoutes.get("/v1/live", requirePermission("read", { allowQueryToken: true }), async (c) => {
  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket")
    throw new TarnError("VALIDATION_ERROR", "GET /v1/live is a WebSocket endpoint: send Upgrade: websocket", {
      details: { field: "Upgrade" },
    });
  const initial = parseSubscribeParam(c.req.query("subscribe"));
  const principal = projectOf(c.get("principal"));
  const { projectId } = principal;
  await refuseLiveWhenFiltered(c.env, principal);
  const { hubCapacity } = readLiveConfig(c.env);
  const root = hubStub(c.env, projectId, 0);
  const index = await root.assign(projectId, hubCapacity);
  const headers = new Headers(c.req.raw.headers);
  headers.delete("Authorization");
  headers.set(CONNECT_HEADERS.project, projectId);
  headers.set(CONNECT_HEADERS.hub, String(index));
  headers.set(CONNECT_HEADERS.key, principalId(principal));
  headers.set(CONNECT_HEADERS.subscribe, JSON.stringify(initial));
  headers.set("X-Request-Id", c.get("requestId"));
  let res: Response;
  try {
    res = await hubStub(c.env, projectId, index).fetch("https://live-hub/connect", { headers });
  } catch (err) {
    await root.release(index);
    throw err;
  }
  if (res.status !== 101) {
    await root.release(index);
    throw new TarnError("UNAVAILABLE", "the live hub did not accept the socket; retry", { retryAfter: 1 });
  }
  return res;
});
