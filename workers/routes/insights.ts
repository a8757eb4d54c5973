// POST /v1/insights: anomalies, trends and recommendations of a dataset over a period, within 5 s.

import { createRoute } from "@hono/zod-openapi";
import { computeInsights } from "../../services/ai/insights";
import { InsightsAnswer, InsightsBody } from "../../shared/api/ai";
import { askingContext } from "../asking-context";
import { requirePermission } from "../middleware/auth";
import { jsonBody } from "../middleware/json-body";
import { bearer, errorResponses, router } from "../openapi";

const insights = createRoute({
  method: "post",
  path: "/v1/insights",
  tags: ["Analytics with AI"],
  summary: "Anomalies, trends, correlations and recommendations of a dataset (analyst)",
  description:
    "Statistics first, from SQL over the lake (rollups answer the counts where they can): hourly buckets for ranges up to 7 days, " +
    "daily beyond. Anomalies: robust z-score (median and MAD, |z| > 3.5) of each bucket series and of single values of numeric " +
    "contract columns (interquartile spread). Trends: least-squares slopes over the buckets, with seasonality at 24 hours or " +
    "7 days when autocorrelation shows it. The language model only writes the summary and recommendations, within the 5 s budget; " +
    'without it they are templated and `degraded: true`. `dataset: "events"` looks at every event type. Default range: the last 7 days.',
  security: bearer,
  middleware: [requirePermission("query", { limit: "query" }), jsonBody()] as const,
  request: { body: { required: true, content: { "application/json": { schema: InsightsBody } } } },
  responses: {
    200: { description: "The insights", content: { "application/json": { schema: InsightsAnswer } } },
    ...errorResponses(400, 401, 403, 404, 408, 413, 415, 429),
  },
});

export const insightsRoutes = router().openapi(insights, async (c) => {
  const answer = await computeInsights(askingContext(c), c.req.valid("json"));
  return c.json(answer, 200);
});
