// The Hono app: middleware order, routes, the OpenAPI document and the reference page.
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { renderApiReference } from "../shared/openapi-html";
import { onError } from "./errors";
import { accessLog } from "./middleware/access-log";
import { requirePermission } from "./middleware/auth";
import { productionGuard } from "./middleware/production-guard";
import { wrongMethod } from "./not-found";
import { router } from "./openapi";
import { documentAccess } from "./route-access";
import { alertRoutes } from "./routes/alerts";
import { auditRoutes } from "./routes/audit";
import { authRoutes } from "./routes/auth";
import { backfillRoutes } from "./routes/backfill";
import { catalogRoutes } from "./routes/catalog";
import { connectionRoutes } from "./routes/connections";
import { contractRoutes } from "./routes/contracts";
import { dashboardRoutes } from "./routes/dashboards";
import { datasetQualityRoutes } from "./routes/dataset-quality";
import { eventRoutes } from "./routes/events";
import { icebergRoutes } from "./routes/iceberg";
import { insightsRoutes } from "./routes/insights";
import { jobRoutes } from "./routes/jobs";
import { keyRoutes } from "./routes/keys";
import { lakeRoutes } from "./routes/lake";
import { liveRoutes } from "./routes/live";
import { metricRoutes } from "./routes/metrics";
import { mlRoutes } from "./routes/ml";
import { naturalRoutes } from "./routes/natural";
import { opsRoutes } from "./routes/ops";
import { policyRoutes } from "./routes/policies";
import { privacyRoutes } from "./routes/privacy";
import { projectRoutes } from "./routes/projects";
import { prometheusRoutes } from "./routes/prometheus";
import { quarantineRoutes } from "./routes/quarantine";
import { queryRoutes } from "./routes/query";
import { segmentRoutes } from "./routes/segment";
import { uploadRoutes } from "./routes/uploads";
import { userRoutes } from "./routes/users";
import { viewRoutes } from "./routes/views";
import { serveWebApp } from "./web-app";

export const OPENAPI_INFO = {
  openapi: "3.0.3",
  info: {
    title: "Tarn",
    version: "0.1.0",
    description:
      "Edge-native event analytics: ingest with receipts, an open Parquet lake, live metrics and SQL. Errors always use the Error envelope.",
  },
};

export function createApp() {
  const app = router();
  app.use("*", requestId({ headerName: "X-Request-Id", limitLength: 128 }));
  app.use("*", accessLog());
  app.use("*", productionGuard());
  app.use("*", wrongMethod(app));
  app.use(
    "/v1/*",
    cors({
      origin: "*",
      allowHeaders: ["Authorization", "Content-Type", "Content-Encoding", "X-Request-Id"],
      exposeHeaders: ["X-Request-Id", "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"],
      maxAge: 600,
    }),
  );

  app.route("/", opsRoutes);
  app.route("/", projectRoutes);
  app.route("/", keyRoutes);
  app.route("/", eventRoutes);
  app.route("/", lakeRoutes);
  app.route("/", jobRoutes);
  app.route("/", queryRoutes);
  app.route("/", liveRoutes);
  app.route("/", metricRoutes);
  app.route("/", alertRoutes);
  app.route("/", userRoutes);
  app.route("/", authRoutes);
  app.route("/", auditRoutes);
  app.route("/", contractRoutes);
  app.route("/", quarantineRoutes);
  app.route("/", catalogRoutes);
  app.route("/", segmentRoutes);
  app.route("/", prometheusRoutes);
  app.route("/", icebergRoutes);
  app.route("/", policyRoutes);
  app.route("/", privacyRoutes);
  app.route("/", viewRoutes);
  app.route("/", backfillRoutes);
  app.route("/", uploadRoutes);
  app.route("/", datasetQualityRoutes);
  app.route("/", dashboardRoutes);
  app.route("/", naturalRoutes);
  app.route("/", insightsRoutes);
  app.route("/", mlRoutes);
  app.route("/", connectionRoutes);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description:
      "An API key (tk_…) or a token from POST /v1/auth/login (a JWT). The super-admin key (ADMIN_API_KEY) may only create projects. " +
      'Each operation\'s `x-tarn-permission` names the permission it needs (README, "People and access").',
  });
  documentAccess(app);
  app.use("/openapi.json", requirePermission("public"));
  app.doc("/openapi.json", OPENAPI_INFO);
  app.get("/docs", requirePermission("public"), (c) =>
    c.html(renderApiReference(app.getOpenAPIDocument(OPENAPI_INFO) as never)),
  );

  // Unmatched GETs are the web app (static assets of web/dist); everything else stays a 404 envelope.
  app.notFound(serveWebApp);
  app.onError(onError);
  return app;
}

export type TarnApp = ReturnType<typeof createApp>;
