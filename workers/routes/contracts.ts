// /v1/contracts: versioned JSON Schemas per event type, checked at the edge (services/ingest/admit.ts).
import { createRoute } from "@hono/zod-openapi";
import { forgetContracts } from "../../services/contracts/registry";
import { getHead, listHeads, listVersions, promoteContract, putContract } from "../../services/contracts/store";
import {
  ContractDetail,
  ContractList,
  ContractStored,
  ContractVersionQuery,
  EventTypeParam,
  PutContractBody,
  PutContractQuery,
} from "../../shared/api/contracts";
import { contractFields } from "../../shared/contracts/fields";
import { MAX_SCHEMA_BYTES, schemaProblems } from "../../shared/contracts/schema-check";
import { typedColumnsOf } from "../../shared/contracts/typed-columns";
import { CompiledContract } from "../../shared/contracts/verdict";
import { TarnError } from "../../shared/errors";
import { projectOf, requirePermission } from "../middleware/auth";
import { jsonBody } from "../middleware/json-body";
import { bearer, errorResponses, router } from "../openapi";

const tags = ["Contracts"];

const put = createRoute({
  method: "put",
  path: "/v1/contracts/{eventType}",
  tags,
  summary: "Store a new contract version for an event type (admin)",
  description:
    "JSON Schema 2020-12 of data.payload. Every PUT is a new version; a breaking change is 409 with the reasons unless ?force=true. " +
    "Schemas that are not valid JSON Schema, use remote $refs, exceed 64 KB or hold an unsafe regex are 400.",
  security: bearer,
  middleware: [requirePermission("manage"), jsonBody()] as const,
  request: {
    params: EventTypeParam,
    query: PutContractQuery,
    body: { required: true, content: { "application/json": { schema: PutContractBody } } },
  },
  responses: {
    201: { description: "The stored version", content: { "application/json": { schema: ContractStored } } },
    ...errorResponses(400, 401, 403, 409, 415),
  },
});

const list = createRoute({
  method: "get",
  path: "/v1/contracts",
  tags,
  summary: "Every event type's contract head (query)",
  security: bearer,
  middleware: [requirePermission("read")] as const,
  responses: {
    200: { description: "The contracts", content: { "application/json": { schema: ContractList } } },
    ...errorResponses(401, 403),
  },
});

const get = createRoute({
  method: "get",
  path: "/v1/contracts/{eventType}",
  tags,
  summary: "A contract: current version, fields, typed columns, history, canary counts (query)",
  security: bearer,
  middleware: [requirePermission("read")] as const,
  request: { params: EventTypeParam, query: ContractVersionQuery },
  responses: {
    200: { description: "The contract", content: { "application/json": { schema: ContractDetail } } },
    ...errorResponses(400, 401, 403, 404),
  },
});

const promote = createRoute({
  method: "post",
  path: "/v1/contracts/{eventType}/promote",
  tags,
  summary: "Promote a canary version to enforce (admin)",
  security: bearer,
  middleware: [requirePermission("manage")] as const,
  request: { params: EventTypeParam },
  responses: {
    200: {
      description: "The contract head",
      content: { "application/json": { schema: ContractList.shape.contracts.element } },
    },
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

/** 400 with every reason the schema cannot be a contract. */
function checkSchema(schema: Record<string, unknown>): void {
  const bytes = new TextEncoder().encode(JSON.stringify(schema)).byteLength;
  if (bytes > MAX_SCHEMA_BYTES)
    throw new TarnError("VALIDATION_ERROR", `schema is ${bytes} bytes; the limit is ${MAX_SCHEMA_BYTES}`, {
      details: { field: "schema", limit_bytes: MAX_SCHEMA_BYTES },
    });
  const problems = schemaProblems(schema);
  if (problems.length === 0) {
    // References that loop without reading input would overflow the stack on every event: find out now.
    try {
      const probe = new CompiledContract(0, schema);
      for (const sample of [{}, null, [], "", 0])
        if (probe.check(sample)?.keyword === "schema") {
          problems.push("/: the schema's references loop without consuming input");
          break;
        }
    } catch (err) {
      problems.push(`/: the schema cannot be compiled: ${String(err).slice(0, 200)}`);
    }
  }
  if (problems.length > 0)
    throw new TarnError("VALIDATION_ERROR", `schema: ${problems[0]}`, { details: { field: "schema", problems } });
}

const summary = (h: NonNullable<Awaited<ReturnType<typeof getHead>>>) => ({
  event_type: h.eventType,
  version: h.currentVersion,
  mode: h.mode,
  enforced_version: h.enforcedVersion,
  description: h.description,
  owner: h.owner,
  updated_at: h.updatedAt,
});

export const contractRoutes = router()
  .openapi(put, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { eventType } = c.req.valid("param");
    const { force } = c.req.valid("query");
    const body = c.req.valid("json");
    checkSchema(body.schema);
    const { version, head } = await putContract(c.env.DB, projectId, eventType, {
      schema: body.schema,
      mode: body.mode,
      description: body.description,
      owner: body.owner,
      force,
    });
    forgetContracts(projectId);
    return c.json(
      {
        event_type: eventType,
        version: version.version,
        mode: head.mode,
        compatibility: version.compatibility,
        reasons: version.reasons,
        enforced_version: head.enforcedVersion,
        columns: typedColumnsOf(body.schema),
        created_at: version.createdAt,
      },
      201,
    );
  })
  .openapi(list, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const heads = await listHeads(c.env.DB, projectId);
    return c.json({ contracts: heads.map(summary) }, 200);
  })
  .openapi(get, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { eventType } = c.req.valid("param");
    const head = await getHead(c.env.DB, projectId, eventType);
    if (!head) throw new TarnError("NOT_FOUND", `no contract for ${eventType}`);
    const { version } = c.req.valid("query");
    const history = await listVersions(c.env.DB, projectId, eventType);
    const current = history.find((v) => v.version === head.currentVersion);
    const shown = version === undefined ? current : history.find((v) => v.version === version);
    if (!shown) throw new TarnError("NOT_FOUND", `${eventType} has no contract version ${version}`);
    // schema, fields and columns are the asked version's; the rest describes the contract now.
    const schema = JSON.parse(shown.schema) as Record<string, unknown>;
    return c.json(
      {
        ...summary(head),
        schema_version: shown.version,
        schema,
        fields: contractFields(schema),
        columns: typedColumnsOf(schema),
        history: history.map((v) => ({
          version: v.version,
          mode: v.mode,
          compatibility: v.compatibility,
          reasons: v.reasons,
          forced: v.forced === 1,
          created_at: v.createdAt,
          checked: v.checked,
          rejected: v.rejected,
          warned: v.warned,
        })),
        canary:
          head.mode === "canary" && current
            ? {
                version: current.version,
                checked: current.checked,
                would_reject: current.wouldReject,
                samples: current.samples,
              }
            : null,
      },
      200,
    );
  })
  .openapi(promote, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { eventType } = c.req.valid("param");
    const head = await promoteContract(c.env.DB, projectId, eventType);
    forgetContracts(projectId);
    return c.json(summary(head), 200);
  });
