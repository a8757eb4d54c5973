// /v1/users: a project admin creates, lists, changes and deletes the people who sign in to the project.
import { createRoute } from "@hono/zod-openapi";
import { closeSocketsOf } from "../../services/access/sockets";
import { deleteUser, insertUser, listUsers, publicUser, updateUser } from "../../services/access/user-store";
import { hashPassword } from "../../shared/access/password";
import { CreateUserBody, UpdateUserBody, User, UserIdParam, UserList } from "../../shared/api/access";
import { TarnError } from "../../shared/errors";
import { newId } from "../../shared/ids";
import { projectOf, requirePermission } from "../middleware/auth";
import { jsonBody } from "../middleware/json-body";
import { bearer, errorResponses, router } from "../openapi";

const tags = ["Users and tokens"];

const create = createRoute({
  method: "post",
  path: "/v1/users",
  tags,
  summary: "Create a user with a role and a tier (admin)",
  description: "Passwords are stored as PBKDF2-SHA256 (100,000 iterations, the Workers maximum) with their salt.",
  security: bearer,
  middleware: [requirePermission("manage"), jsonBody()] as const,
  request: { body: { required: true, content: { "application/json": { schema: CreateUserBody } } } },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: User } } },
    ...errorResponses(400, 401, 403, 409, 415),
  },
});

const list = createRoute({
  method: "get",
  path: "/v1/users",
  tags,
  summary: "List the project's users (admin)",
  security: bearer,
  middleware: [requirePermission("manage")] as const,
  responses: {
    200: { description: "The users", content: { "application/json": { schema: UserList } } },
    ...errorResponses(401, 403),
  },
});

const update = createRoute({
  method: "patch",
  path: "/v1/users/{id}",
  tags,
  summary: "Change a user's role, tier, disabled flag, password or attributes (admin)",
  description:
    "A new role, disabling or a new password invalidates the user's earlier tokens (within a second) and closes their live sockets.",
  security: bearer,
  middleware: [requirePermission("manage"), jsonBody()] as const,
  request: {
    params: UserIdParam,
    body: { required: true, content: { "application/json": { schema: UpdateUserBody } } },
  },
  responses: {
    200: { description: "The user as changed", content: { "application/json": { schema: User } } },
    ...errorResponses(400, 401, 403, 404, 415),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/v1/users/{id}",
  tags,
  summary: "Delete a user; their tokens stop working within a second (admin)",
  security: bearer,
  middleware: [requirePermission("manage")] as const,
  request: { params: UserIdParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
});

const revokeTokens = createRoute({
  method: "post",
  path: "/v1/users/{id}/tokens/revoke",
  tags,
  summary: "Invalidate every token issued to a user so far (admin)",
  description: "Bumps the user's token version: older tokens get 401 within a second; live sockets close.",
  security: bearer,
  middleware: [requirePermission("manage")] as const,
  request: { params: UserIdParam },
  responses: { 204: { description: "Revoked" }, ...errorResponses(401, 403, 404) },
});

const noSuchUser = (id: string) => new TarnError("NOT_FOUND", `no user ${id} in this project`);

export const userRoutes = router()
  .openapi(create, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const body = c.req.valid("json");
    const row = {
      id: newId("usr"),
      projectId,
      email: body.email,
      passwordHash: await hashPassword(body.password),
      role: body.role,
      tier: body.tier,
      createdAt: new Date().toISOString(),
    };
    await insertUser(c.env.DB, row);
    return c.json(
      publicUser({ ...row, disabled: false, tokenVersion: 0, attributes: {}, updatedAt: row.createdAt }),
      201,
    );
  })
  .openapi(list, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    return c.json({ users: (await listUsers(c.env.DB, projectId)).map(publicUser) }, 200);
  })
  .openapi(update, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const passwordHash = body.password === undefined ? undefined : await hashPassword(body.password);
    const after = await updateUser(c.env.DB, projectId, id, {
      role: body.role,
      tier: body.tier,
      disabled: body.disabled,
      passwordHash,
      attributes: body.attributes,
    });
    if (!after) throw noSuchUser(id);
    if (body.role !== undefined || body.disabled === true || passwordHash !== undefined)
      closeSocketsOf(c.env, (p) => c.executionCtx.waitUntil(p), projectId, id);
    return c.json(publicUser(after), 200);
  })
  .openapi(remove, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { id } = c.req.valid("param");
    if (!(await deleteUser(c.env.DB, projectId, id))) throw noSuchUser(id);
    closeSocketsOf(c.env, (p) => c.executionCtx.waitUntil(p), projectId, id);
    return c.body(null, 204);
  })
  .openapi(revokeTokens, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { id } = c.req.valid("param");
    if (!(await updateUser(c.env.DB, projectId, id, { revokeTokens: true }))) throw noSuchUser(id);
    closeSocketsOf(c.env, (p) => c.executionCtx.waitUntil(p), projectId, id);
    return c.body(null, 204);
  });
