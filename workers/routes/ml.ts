// Models trained and served in the platform: POST /v1/ml/train, GET /v1/ml/models[/{id}], POST /v1/ml/predict.
import { createRoute } from "@hono/zod-openapi";
import { drizzle } from "drizzle-orm/d1";
import { loadModel, modelRows, modelView, nextModelVersion } from "../../services/ai/models";
import { createJob } from "../../services/jobs/create-job";
import { datasetsOf } from "../../services/manifest/read";
import { tableColumnsOf } from "../../services/query/coordinator";
import {
  ModelList,
  ModelParam,
  ModelView,
  PredictAnswer,
  PredictBody,
  TrainAccepted,
  TrainBody,
} from "../../shared/api/ai";
import { mlModels } from "../../shared/db/ai";
import { TarnError } from "../../shared/errors";
import { newId } from "../../shared/ids";
import { LAKE_COLUMNS } from "../../shared/lake/lake-row";
import { predictWith } from "../../shared/ml/model";
import { sqlTableName } from "../../shared/query";
import { projectOf, requirePermission } from "../middleware/auth";
import { jsonBody } from "../middleware/json-body";
import { bearer, errorResponses, router } from "../openapi";

const tags = ["Analytics with AI"];
const NUMERIC = /^(DOUBLE|FLOAT|REAL|BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|DECIMAL|UBIGINT|UINTEGER)/;
const DEFAULT_MAX_ROWS = 100_000;

const train = createRoute({
  method: "post",
  path: "/v1/ml/train",
  tags,
  summary: "Train a model on a dataset's columns (analyst)",
  description:
    "Regression: ridge (L2) linear regression. Classification: L2 logistic regression, binary or multiclass (softmax). " +
    "Numeric features are standardized, others one-hot encoded (50 most frequent categories). Rows are read through the " +
    "query engine (`SELECT features, target FROM dataset WHERE target IS NOT NULL LIMIT max_rows`), split 80/20 by `seed`, " +
    "and scored on the 20%. Runs as a job (GET /v1/jobs/{job_id}); past 30 minutes it is stopped and failed. A missing " +
    "column or a non-numeric regression target is a 400 when the catalog tells it up front, else the job fails with the reason.",
  security: bearer,
  middleware: [requirePermission("write"), jsonBody()] as const,
  request: { body: { required: true, content: { "application/json": { schema: TrainBody } } } },
  responses: {
    202: { description: "Training queued", content: { "application/json": { schema: TrainAccepted } } },
    ...errorResponses(400, 401, 403, 404, 415, 503),
  },
});

const list = createRoute({
  method: "get",
  path: "/v1/ml/models",
  tags,
  summary: "The project's models, newest first (analyst)",
  security: bearer,
  middleware: [requirePermission("query")] as const,
  responses: {
    200: { description: "The models", content: { "application/json": { schema: ModelList } } },
    ...errorResponses(401, 403),
  },
});

const get = createRoute({
  method: "get",
  path: "/v1/ml/models/{id}",
  tags,
  summary: "One model: its status, metrics and lineage (analyst)",
  security: bearer,
  middleware: [requirePermission("query")] as const,
  request: { params: ModelParam },
  responses: {
    200: { description: "The model", content: { "application/json": { schema: ModelView } } },
    ...errorResponses(401, 403, 404),
  },
});

const predict = createRoute({
  method: "post",
  path: "/v1/ml/predict",
  tags,
  summary: "Predict with a trained model (analyst)",
  description:
    "`confidence` is the predicted class's probability (classification) or null (regression); `probabilities` gives every class's. " +
    "A missing numeric feature reads as its training mean, an unseen category as none of the known ones. 409 while the model trains.",
  security: bearer,
  middleware: [requirePermission("query"), jsonBody()] as const,
  request: { body: { required: true, content: { "application/json": { schema: PredictBody } } } },
  responses: {
    200: { description: "The prediction", content: { "application/json": { schema: PredictAnswer } } },
    ...errorResponses(400, 401, 403, 404, 409, 415),
  },
});

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

export const mlRoutes = router()
  .openapi(train, async (c) => {
    const principal = projectOf(c.get("principal"));
    const { projectId } = principal;
    const body = c.req.valid("json");
    const datasets = await datasetsOf(c.env.DB, projectId);
    if (!datasets.includes(body.dataset))
      throw new TarnError("NOT_FOUND", `no dataset "${body.dataset}" in this project`);
    // The table's whole column list when it has one of its own (contract columns, uploads), else the lake's.
    const own = (await tableColumnsOf(c.env.DB, projectId))[body.dataset];
    const columns = new Map<string, string>(
      (own ?? LAKE_COLUMNS).map((col) => [col.name as string, col.type as string] as const),
    );
    for (const name of [body.target_column, ...body.features]) {
      if (!columns.has(name)) {
        throw new TarnError("VALIDATION_ERROR", `dataset "${body.dataset}" has no column "${name}"`, {
          details: { field: name === body.target_column ? "target_column" : "features", column: name },
        });
      }
    }
    if (body.features.includes(body.target_column)) {
      throw new TarnError("VALIDATION_ERROR", "the target column cannot also be a feature", {
        details: { field: "features" },
      });
    }
    const targetType = columns.get(body.target_column) as string;
    if (body.problem_type === "regression" && !NUMERIC.test(targetType)) {
      throw new TarnError(
        "VALIDATION_ERROR",
        `regression needs a numeric target; "${body.target_column}" is ${targetType}`,
        {
          details: { field: "target_column" },
        },
      );
    }
    const sourceSql =
      `SELECT ${[...body.features, body.target_column].map(ident).join(", ")} FROM ${sqlTableName(body.dataset)} ` +
      `WHERE ${ident(body.target_column)} IS NOT NULL LIMIT ${body.max_rows ?? DEFAULT_MAX_ROWS}`;
    const modelId = newId("mdl");
    const version = await nextModelVersion(c.env.DB, projectId, body.dataset, body.target_column, body.problem_type);
    // The model row first, so the job (which may start at once) finds it.
    const jobPlaceholder = newId("job");
    await drizzle(c.env.DB)
      .insert(mlModels)
      .values({
        id: modelId,
        projectId,
        dataset: body.dataset,
        targetColumn: body.target_column,
        problemType: body.problem_type,
        features: body.features,
        sourceSql,
        version,
        // The job reads the rows as the requester would (row-level policies, masking).
        params: { regularization: body.regularization, seed: body.seed ?? 42, principal },
        status: "training",
        jobId: jobPlaceholder,
      })
      .run();
    const job = await createJob(c.env, projectId, "train", { model_id: modelId }).catch(async (err) => {
      await c.env.DB.prepare("UPDATE ml_models SET status = 'failed', error = ? WHERE id = ?")
        .bind("the jobs queue refused the training job", modelId)
        .run();
      throw err;
    });
    await c.env.DB.prepare("UPDATE ml_models SET job_id = ? WHERE id = ?").bind(job.id, modelId).run();
    return c.json({ job_id: job.id, model_id: modelId }, 202);
  })
  .openapi(list, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    return c.json({ models: (await modelRows(c.env.DB, projectId)).map(modelView) }, 200);
  })
  .openapi(get, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const [row] = await modelRows(c.env.DB, projectId, c.req.valid("param").id);
    if (!row) throw new TarnError("NOT_FOUND", `no model ${c.req.valid("param").id} in this project`);
    return c.json(modelView(row), 200);
  })
  .openapi(predict, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const body = c.req.valid("json");
    const model = await loadModel(c.env, projectId, body.model_id);
    const unknown = Object.keys(body.features).filter((f) => !model.features.includes(f));
    if (unknown.length > 0) {
      throw new TarnError("VALIDATION_ERROR", `the model has no feature ${unknown.map((f) => `"${f}"`).join(", ")}`, {
        details: { field: "features", expected: model.features },
      });
    }
    return c.json(predictWith(model, body.features), 200);
  });
