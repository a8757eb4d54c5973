// /v1/policies: row-level policies (admin). Each is checked like SQL against its dataset before it is stored.
import { createRoute } from "@hono/zod-openapi";
import { deletePolicy, listPolicies, putPolicy, type StoredPolicy } from "../../services/access/policies";
import { tableColumnsOf } from "../../services/query/coordinator";
import { Policy, PolicyList, PolicyNameParam, PutPolicyBody } from "../../shared/api/policies";
import { TarnError } from "../../shared/errors";
import { validateRowFilter } from "../../shared/query/index";
import { projectOf, requirePermission } from "../middleware/auth";
import { jsonBody } from "../middleware/json-body";
import { bearer, errorResponses, router } from "../openapi";

const tags = ["Row-level policies"];

const put = createRoute({
  method: "put",
  path: "/v1/policies/{name}",
  tags,
  summary: "Create or replace a row-level policy (admin)",
  description:
    "Principals it applies to see only the rows of `dataset` (`*`: every table) that `filter` keeps, in every answer. " +
    "Several policies on one table: a row must pass all. Admins are filtered only when a policy names them.",
  security: bearer,
  middleware: [requirePermission("manage"), jsonBody()] as const,
  request: {
    params: PolicyNameParam,
    body: { required: true, content: { "application/json": { schema: PutPolicyBody } } },
  },
  responses: {
    200: { description: "Replaced", content: { "application/json": { schema: Policy } } },
    201: { description: "Created", content: { "application/json": { schema: Policy } } },
    ...errorResponses(400, 401, 403, 415),
  },
});

const list = createRoute({
  method: "get",
  path: "/v1/policies",
  tags,
  summary: "The project's row-level policies (admin)",
  security: bearer,
  middleware: [requirePermission("manage")] as const,
  responses: {
    200: { description: "The policies", content: { "application/json": { schema: PolicyList } } },
    ...errorResponses(401, 403),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/v1/policies/{name}",
  tags,
  summary: "Delete a row-level policy (admin)",
  security: bearer,
  middleware: [requirePermission("manage")] as const,
  request: { params: PolicyNameParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404) },
});

function policyOut(p: StoredPolicy) {
  return {
    name: p.name,
    dataset: p.dataset,
    applies_to: { roles: [...p.roles], users: [...p.users], keys: [...p.keys] },
    filter: p.filter,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
  };
}

export const policyRoutes = router()
  .openapi(put, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { name } = c.req.valid("param");
    const body = c.req.valid("json");
    const verdict = validateRowFilter(body.filter, body.dataset, await tableColumnsOf(c.env.DB, projectId));
    if (!verdict.valid) {
      throw new TarnError("VALIDATION_ERROR", `filter: ${verdict.errors.join("; ")}`, {
        details: { field: "filter", errors: verdict.errors },
      });
    }
    const { policy, created } = await putPolicy(c.env.DB, projectId, {
      name,
      dataset: body.dataset,
      roles: body.applies_to.roles,
      users: body.applies_to.users,
      keys: body.applies_to.keys,
      filter: body.filter,
    });
    return created ? c.json(policyOut(policy), 201) : c.json(policyOut(policy), 200);
  })
  .openapi(list, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    return c.json({ policies: (await listPolicies(c.env.DB, projectId)).map(policyOut) }, 200);
  })
  .openapi(remove, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { name } = c.req.valid("param");
    if (!(await deletePolicy(c.env.DB, projectId, name)))
      throw new TarnError("NOT_FOUND", `no policy ${name} in this project`);
    return c.body(null, 204);
  });
