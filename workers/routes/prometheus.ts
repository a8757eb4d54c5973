// GET /metrics: Prometheus text format, counters summed across isolates, gauges read from D1 at scrape time.
import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { readGauges } from "../../services/metrics/gauges";
import { collectTotals } from "../../services/metrics/recorder";
import { breakerGauges } from "../../services/resilience/breakers";
import { constantTimeEqual } from "../../shared/api-keys";
import { TarnError } from "../../shared/errors";
import { EXPOSITION_CONTENT_TYPE, renderExposition } from "../../shared/metrics/exposition";
import type { AppEnv } from "../context";
import { bearerToken, requirePermission } from "../middleware/auth";
import { errorResponses, router } from "../openapi";

/**
 * Bearer METRICS_TOKEN (a scraper's secret) lets through at once; anything else needs `manage` (an
 * admin key or user), which is what the route declares in the permission table.
 */
function metricsAuth(): MiddlewareHandler<AppEnv> & { access: "manage" } {
  const manage = requirePermission("manage");
  const middleware: MiddlewareHandler<AppEnv> = async function metricsAuthMiddleware(c, next) {
    const expected = (c.env as Env & { METRICS_TOKEN?: string }).METRICS_TOKEN;
    const token = bearerToken(c.req.header("Authorization"));
    if (expected && token && (await constantTimeEqual(token, expected))) return next();
    if (!token) throw new TarnError("UNAUTHORIZED", "send Authorization: Bearer <METRICS_TOKEN or an admin key>");
    return manage(c, next);
  };
  return Object.assign(middleware, { access: "manage" as const });
}

const scrape = createRoute({
  method: "get",
  path: "/metrics",
  tags: ["Operations"],
  summary: "Prometheus metrics (text format 0.0.4)",
  description:
    "Request counts and duration histograms by route and status, events accepted/rejected/landed, queue backlog, " +
    "lake files and bytes by layer, query duration, jobs by type and status, live sockets, circuit breakers (LLM, webhooks). Bearer METRICS_TOKEN or an admin key.",
  security: [{ bearer: [] }],
  middleware: [metricsAuth()] as const,
  responses: {
    200: { description: "The exposition", content: { "text/plain": { schema: z.string() } } },
    ...errorResponses(401, 403),
  },
});

export const prometheusRoutes = router();

prometheusRoutes.openapi(scrape, async (c) => {
  const totals = await collectTotals(c.env);
  const gauges = { ...(await readGauges(c.env.DB, totals)), ...breakerGauges() };
  return c.text(renderExposition(totals, gauges), 200, {
    "Content-Type": EXPOSITION_CONTENT_TYPE,
    "Cache-Control": "no-store",
  });
});
