// Database connections (admin) and imports from them (analyst): a connection is tried before it is
// saved, its URL is sealed at rest and never shown again; an import is a job that lands its rows as
// an uploaded dataset.
import { createRoute } from "@hono/zod-openapi";
import { describeColumns, readOnly, tryConnection } from "../../services/connections/postgres";
import {
  connectionTarget,
  connectionView,
  deleteConnection,
  getConnection,
  insertConnection,
  listConnections,
} from "../../services/connections/store";
import { resolveTarget } from "../../services/connections/target";
import { createJob } from "../../services/jobs/create-job";
import { nameTakenBy } from "../../services/uploads/store";
import {
  Connection,
  ConnectionCreate,
  ConnectionIdParam,
  ConnectionList,
  ImportAccepted,
  ImportCreate,
} from "../../shared/api/connections";
import { importColumns } from "../../shared/connections/import-shape";
import { sourceStatement } from "../../shared/connections/postgres-url";
import { TarnError } from "../../shared/errors";
import { newId } from "../../shared/ids";
import { actorOf } from "../../shared/principal";
import { readUploadConfig, type UploadVars } from "../../shared/uploads/config";
import { projectOf, requirePermission } from "../middleware/auth";
import { jsonBody } from "../middleware/json-body";
import { bearer, errorResponses, router } from "../openapi";

const tags = ["Database imports"];
const json = <T extends import("zod").ZodType>(schema: T) => ({ "application/json": { schema } });

const create = createRoute({
  method: "post",
  path: "/v1/connections",
  tags,
  summary: "Add a database connection (admin); it is tried before it is saved",
  description:
    "Connects and runs `SELECT 1`; a bad host, port, user, password or database is a 400 with the driver's reason, and nothing is saved. " +
    "The URL is stored sealed under MASTER_KEY and never returned: answers show host, port, database and user only.",
  security: bearer,
  middleware: [requirePermission("manage"), jsonBody()] as const,
  request: { body: { required: true, content: json(ConnectionCreate) } },
  responses: {
    201: { description: "Tried and saved", content: json(Connection) },
    ...errorResponses(400, 401, 403, 409, 415),
  },
});

const list = createRoute({
  method: "get",
  path: "/v1/connections",
  tags,
  summary: "The project's database connections (admin; never their passwords)",
  security: bearer,
  middleware: [requirePermission("manage")] as const,
  responses: { 200: { description: "The connections", content: json(ConnectionList) }, ...errorResponses(401, 403) },
});

const remove = createRoute({
  method: "delete",
  path: "/v1/connections/{id}",
  tags,
  summary: "Delete a database connection (admin); its sealed credentials are deleted with it",
  security: bearer,
  middleware: [requirePermission("manage")] as const,
  request: { params: ConnectionIdParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
});

const startImport = createRoute({
  method: "post",
  path: "/v1/imports",
  tags,
  summary: "Import a table or query of a connection as a dataset; answers with its job",
  description:
    "The statement is described first (a missing table, a syntax error or a column without a unique name is a 400 at once); " +
    "the job then reads it through a cursor in a READ ONLY transaction and writes the dataset exactly as an upload's conversion does, " +
    "with the source columns' types (GET /v1/jobs/{id}, or the live socket's `jobs` stream).",
  security: bearer,
  middleware: [requirePermission("write"), jsonBody()] as const,
  request: { body: { required: true, content: json(ImportCreate) } },
  responses: {
    202: { description: "The import job is queued", content: json(ImportAccepted) },
    ...errorResponses(400, 401, 403, 404, 415, 503),
  },
});

export const connectionRoutes = router()
  .openapi(create, async (c) => {
    const principal = c.get("principal");
    const { projectId } = projectOf(principal);
    const body = c.req.valid("json");
    const { target, shownHost } = resolveTarget(c.env, body.url);
    await tryConnection(target);
    const row = await insertConnection(c.env, {
      id: newId("con"),
      projectId,
      name: body.name,
      url: body.url,
      target,
      shownHost,
      createdBy: actorOf(projectOf(principal)).id,
    });
    return c.json(connectionView(row), 201);
  })
  .openapi(list, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const rows = await listConnections(c.env.DB, projectId);
    return c.json({ connections: rows.map(connectionView) }, 200);
  })
  .openapi(remove, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    if (!(await deleteConnection(c.env.DB, projectId, c.req.valid("param").id))) {
      throw new TarnError("NOT_FOUND", "no such connection in this project");
    }
    return c.body(null, 204);
  })
  .openapi(startImport, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const body = c.req.valid("json");
    const taken = await nameTakenBy(c.env.DB, projectId, body.name);
    if (taken) {
      throw new TarnError("VALIDATION_ERROR", `cannot import into "${body.name}": ${taken}`, {
        details: { field: "name" },
      });
    }
    const connection = await getConnection(c.env.DB, projectId, body.connection_id);
    const statement = sourceStatement(body);
    // Told up front: the statement is described (not run), so a bad table or query is a 400 now.
    const maxColumns = readUploadConfig(c.env as unknown as UploadVars).maxColumns;
    await readOnly(
      await connectionTarget(c.env, connection),
      async (tx) => importColumns(await describeColumns(tx, statement), maxColumns),
      (reason, err) =>
        new TarnError(
          "VALIDATION_ERROR",
          `the ${body.table !== undefined ? "table" : "query"} cannot be read: ${reason}`,
          {
            details: { field: body.table !== undefined ? "table" : "query", reason },
            cause: err,
          },
        ),
    );
    const job = await createJob(c.env, projectId, "import", {
      connection_id: connection.id,
      dataset: body.name,
      mode: body.mode,
      ...(body.table !== undefined ? { table: body.table } : { query: body.query }),
    });
    return c.json({ job_id: job.id, dataset: body.name, status: "queued" as const }, 202);
  });
