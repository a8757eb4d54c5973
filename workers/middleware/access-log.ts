// One JSON access line per request (for Workers Logs) and the HTTP metrics, both after the response is known.
import type { Context, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { flushSoon, metrics } from "../../services/metrics/recorder";
import type { AppEnv } from "../context";

/** The matched route pattern (bounded), or "unmatched" for a 404 that matched no route. */
function routeLabel(c: Context<AppEnv>): string {
  const pattern = routePath(c);
  return !pattern || pattern.includes("*") ? "unmatched" : pattern;
}

/**
 * Logs `{"msg":"request", request_id, method, route, path, status, duration_ms, principal, project}`
 * and counts the request by route pattern, method and status (never by path or caller, so label
 * cardinality stays bounded). The metrics flush rides on `waitUntil`, after the response.
 */
export function accessLog(): MiddlewareHandler<AppEnv> {
  return async function accessLogMiddleware(c, next) {
    const started = Date.now();
    await next();
    const ms = Date.now() - started;
    const status = String(c.res.status);
    const route = routeLabel(c);
    const method = c.req.method;
    metrics.inc("tarn_http_requests_total", [route, method, status]);
    metrics.observe("tarn_http_request_duration_seconds", [route, method, status], ms / 1000);
    if (route === "/v1/query") metrics.observe("tarn_query_duration_seconds", [status], ms / 1000);
    if (route === "/v1/live" && status === "101") metrics.inc("tarn_live_sockets_opened_total");
    const principal = c.get("principal");
    console.log(
      JSON.stringify({
        level: "info",
        msg: "request",
        request_id: c.get("requestId"),
        method,
        route,
        path: c.req.path.slice(0, 256),
        status: c.res.status,
        duration_ms: ms,
        principal: principal?.kind === "key" ? `key:${principal.keyId}` : (principal?.kind ?? null),
        project: principal?.kind === "key" ? principal.projectId : null,
      }),
    );
    try {
      flushSoon(c.env, (p) => c.executionCtx.waitUntil(p));
    } catch {
      // No execution context (an app.fetch without one, in tests): the next request flushes.
    }
  };
}
