// Profiles, expectations and quality of a dataset (an upload or an event type).

import { createRoute, z } from "@hono/zod-openapi";
import { refuseWhenRowFiltered } from "../../services/access/policies";
import { createJob, jobView } from "../../services/jobs/create-job";
import { countFiles } from "../../services/manifest/read";
import { canUnmask, privacyPolicy } from "../../services/privacy/masking";
import { storedProfile } from "../../services/uploads/profile-dataset";
import {
  expectationHistory,
  getExpectations,
  putExpectations,
  runExpectations,
} from "../../services/uploads/run-expectations";
import { JobSchema } from "../../shared/api/jobs";
import { TarnError } from "../../shared/errors";
import { maskedForReader } from "../../shared/privacy/policy";
import { ExpectationsBody } from "../../shared/uploads/expectations";
import { withheldForReader } from "../../shared/uploads/profile";
import { projectOf, requirePermission } from "../middleware/auth";
import { jsonBody } from "../middleware/json-body";
import { bearer, errorResponses, router } from "../openapi";

const tags = ["Uploads and data quality"];
const json = <T extends z.ZodType>(schema: T) => ({ "application/json": { schema } });
const Name = z.object({ name: z.string().min(1).max(128) });
const Any = z.record(z.string(), z.unknown());

const getProfile = createRoute({
  method: "get",
  path: "/v1/datasets/{name}/profile",
  tags,
  summary: "The dataset's stored profile: per column statistics, duplicates, issues and the quality score",
  security: bearer,
  middleware: [requirePermission("read")] as const,
  request: { params: Name },
  responses: { 200: { description: "The profile", content: json(Any) }, ...errorResponses(401, 403, 404) },
});

const postProfile = createRoute({
  method: "post",
  path: "/v1/datasets/{name}/profile",
  tags,
  summary: "Profile the dataset now (a job); event datasets are also profiled nightly, uploads after each upload",
  security: bearer,
  middleware: [requirePermission("write")] as const,
  request: { params: Name },
  responses: { 202: { description: "Queued", content: json(JobSchema) }, ...errorResponses(401, 403, 404, 503) },
});

const putRules = createRoute({
  method: "put",
  path: "/v1/datasets/{name}/expectations",
  tags,
  summary: "Set the dataset's expectations (admin); they run after each upload and compaction and on demand",
  security: bearer,
  middleware: [requirePermission("manage"), jsonBody()] as const,
  request: { params: Name, body: { required: true, content: json(ExpectationsBody) } },
  responses: { 200: { description: "Saved", content: json(Any) }, ...errorResponses(400, 401, 403, 415) },
});

const getRules = createRoute({
  method: "get",
  path: "/v1/datasets/{name}/expectations",
  tags,
  summary: "The dataset's expectations",
  security: bearer,
  middleware: [requirePermission("read")] as const,
  request: { params: Name },
  responses: { 200: { description: "Expectations", content: json(Any) }, ...errorResponses(401, 403) },
});

const runRules = createRoute({
  method: "post",
  path: "/v1/datasets/{name}/expectations/run",
  tags,
  summary: "Measure the dataset's expectations now; failures fire the alert webhooks with type quality",
  security: bearer,
  middleware: [requirePermission("write")] as const,
  request: { params: Name },
  responses: { 200: { description: "The run", content: json(Any) }, ...errorResponses(401, 403, 404) },
});

const quality = createRoute({
  method: "get",
  path: "/v1/datasets/{name}/quality",
  tags,
  summary: "The latest expectation results, the scores and the history of runs",
  security: bearer,
  middleware: [requirePermission("read")] as const,
  request: { params: Name, query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) }) },
  responses: { 200: { description: "Quality", content: json(Any) }, ...errorResponses(400, 401, 403) },
});

async function mustExist(db: D1Database, projectId: string, name: string): Promise<void> {
  if ((await countFiles(db, projectId, { dataset: name })) === 0) {
    throw new TarnError("NOT_FOUND", `no dataset "${name}" in this project`);
  }
}

export const datasetQualityRoutes = router()
  .openapi(getProfile, async (c) => {
    const principal = projectOf(c.get("principal"));
    const { projectId } = principal;
    const { name } = c.req.valid("param");
    await refuseWhenRowFiltered(c.env, principal, "a profile describes every row");
    const profile = await storedProfile(c.env.DB, projectId, name);
    if (!profile) throw new TarnError("NOT_FOUND", `"${name}" has no profile yet: POST /v1/datasets/${name}/profile`);
    const privacy = await privacyPolicy(c.env.DB, projectId, canUnmask(principal));
    return c.json(
      withheldForReader(profile, (column) => maskedForReader(privacy, name, column)),
      200,
    );
  })
  .openapi(postProfile, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { name } = c.req.valid("param");
    await mustExist(c.env.DB, projectId, name);
    return c.json(jobView(await createJob(c.env, projectId, "profile", { dataset: name })), 202);
  })
  .openapi(putRules, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { name } = c.req.valid("param");
    const { expectations } = c.req.valid("json");
    await putExpectations(c.env.DB, projectId, name, expectations);
    return c.json({ dataset: name, expectations }, 200);
  })
  .openapi(getRules, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { name } = c.req.valid("param");
    return c.json({ dataset: name, expectations: await getExpectations(c.env.DB, projectId, name) }, 200);
  })
  .openapi(runRules, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { name } = c.req.valid("param");
    await mustExist(c.env.DB, projectId, name);
    const run = await runExpectations(c.env, (c.executionCtx as ExecutionContext).exports, projectId, name, "manual");
    if (!run) throw new TarnError("NOT_FOUND", `"${name}" has no expectations: PUT /v1/datasets/${name}/expectations`);
    return c.json(run as unknown as Record<string, unknown>, 200);
  })
  .openapi(quality, async (c) => {
    const principal = projectOf(c.get("principal"));
    const { projectId } = principal;
    const { name } = c.req.valid("param");
    await refuseWhenRowFiltered(c.env, principal, "quality results describe every row");
    const [history, profile] = await Promise.all([
      expectationHistory(c.env.DB, projectId, name, c.req.valid("query").limit),
      storedProfile(c.env.DB, projectId, name),
    ]);
    const latest = history[0] ?? null;
    return c.json(
      {
        dataset: name,
        quality_score: profile?.quality_score ?? null,
        expectations_score: latest?.score ?? null,
        results: latest?.results ?? [],
        latest,
        history,
      },
      200,
    );
  });
