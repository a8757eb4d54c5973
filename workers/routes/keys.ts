// /v1/keys: a project admin creates, lists and revokes the project's API keys.
import { createRoute } from "@hono/zod-openapi";
import { and, asc, eq, isNull } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { closeSocketsOf } from "../../services/access/sockets";
import { forgetKey } from "../../services/keys/key-store";
import { CreateKeyBody, KeyCreated, KeyIdParam, KeyList } from "../../shared/api/projects";
import { generateApiKey, hashApiKey } from "../../shared/api-keys";
import { apiKeys } from "../../shared/db/schema";
import { TarnError } from "../../shared/errors";
import { newId } from "../../shared/ids";
import { SCOPES, type Scope } from "../../shared/scopes";
import { projectOf, requirePermission } from "../middleware/auth";
import { jsonBody } from "../middleware/json-body";
import { bearer, errorResponses, router } from "../openapi";

const tags = ["Projects and keys"];

const createKey = createRoute({
  method: "post",
  path: "/v1/keys",
  tags,
  summary: "Create an API key (admin)",
  security: bearer,
  middleware: [requirePermission("manage"), jsonBody()] as const,
  request: { body: { required: true, content: { "application/json": { schema: CreateKeyBody } } } },
  responses: {
    201: { description: "Created; `key` is shown once", content: { "application/json": { schema: KeyCreated } } },
    ...errorResponses(400, 401, 403, 415),
  },
});

const listKeys = createRoute({
  method: "get",
  path: "/v1/keys",
  tags,
  summary: "List the project's active keys, without key material (admin)",
  security: bearer,
  middleware: [requirePermission("manage")] as const,
  responses: {
    200: { description: "The keys", content: { "application/json": { schema: KeyList } } },
    ...errorResponses(401, 403),
  },
});

const revokeKey = createRoute({
  method: "delete",
  path: "/v1/keys/{id}",
  tags,
  summary: "Revoke a key; it stops working at once (admin)",
  security: bearer,
  middleware: [requirePermission("manage")] as const,
  request: { params: KeyIdParam },
  responses: { 204: { description: "Revoked" }, ...errorResponses(401, 403, 404) },
});

const asScopes = (raw: unknown): Scope[] =>
  Array.isArray(raw) ? raw.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)) : [];

export const keyRoutes = router()
  .openapi(createKey, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { name, scopes, tier } = c.req.valid("json");
    const key = generateApiKey();
    const id = newId("key");
    const createdAt = new Date().toISOString();
    await drizzle(c.env.DB)
      .insert(apiKeys)
      .values({ id, projectId, name, keyHash: await hashApiKey(key), scopes, tier, createdAt });
    return c.json({ id, name, scopes, tier, created_at: createdAt, key }, 201);
  })
  .openapi(listKeys, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const rows = await drizzle(c.env.DB)
      .select({
        id: apiKeys.id,
        name: apiKeys.name,
        scopes: apiKeys.scopes,
        tier: apiKeys.tier,
        created_at: apiKeys.createdAt,
        last_used_at: apiKeys.lastUsedAt,
      })
      .from(apiKeys)
      .where(and(eq(apiKeys.projectId, projectId), isNull(apiKeys.revokedAt)))
      .orderBy(asc(apiKeys.createdAt), asc(apiKeys.id))
      .all();
    return c.json({ keys: rows.map((r) => ({ ...r, scopes: asScopes(r.scopes) })) }, 200);
  })
  .openapi(revokeKey, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { id } = c.req.valid("param");
    const revoked = await drizzle(c.env.DB)
      .update(apiKeys)
      .set({ revokedAt: new Date().toISOString() })
      .where(and(eq(apiKeys.id, id), eq(apiKeys.projectId, projectId), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id })
      .get();
    if (!revoked) throw new TarnError("NOT_FOUND", `no active key ${id} in this project`);
    forgetKey(id);
    closeSocketsOf(c.env, (p) => c.executionCtx.waitUntil(p), projectId, id);
    return c.body(null, 204);
  });
