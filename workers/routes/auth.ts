// Sign-in and tokens: POST /v1/auth/login, GET /v1/auth/me, GET /.well-known/jwks.json.
import { createRoute } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { checkLoginThrottle, clearLoginFailures, recordLoginFailure } from "../../services/access/rate-limit";
import { type UserRow, userForLogin } from "../../services/access/user-store";
import { readAccessConfig } from "../../shared/access/config";
import { randomPasswordHash, verifyPassword } from "../../shared/access/password";
import { permissionsOf } from "../../shared/access/permissions";
import { publicJwks, signingKeys } from "../../shared/access/signing-keys";
import { signToken } from "../../shared/access/tokens";
import { Jwks, LoginAnswer, LoginBody, MeAnswer } from "../../shared/api/access";
import { projects } from "../../shared/db/schema";
import { TarnError } from "../../shared/errors";
import { actorOf } from "../../shared/principal";
import { audit, projectOf, requirePermission } from "../middleware/auth";
import { jsonBody } from "../middleware/json-body";
import { bearer, errorResponses, router } from "../openapi";

const tags = ["Users and tokens"];

const login = createRoute({
  method: "post",
  path: "/v1/auth/login",
  tags,
  summary: "Sign in with email and password; returns a JWT valid 24 hours",
  description:
    "Wrong email and wrong password get the same 401. The 6th failure for one email within 15 minutes is 429 with Retry-After.",
  middleware: [requirePermission("public"), jsonBody()] as const,
  request: { body: { required: true, content: { "application/json": { schema: LoginBody } } } },
  responses: {
    200: { description: "Signed in", content: { "application/json": { schema: LoginAnswer } } },
    ...errorResponses(400, 401, 415, 429),
  },
});

const me = createRoute({
  method: "get",
  path: "/v1/auth/me",
  tags,
  summary: "Who the credential is, its project and its permissions (any project credential)",
  security: bearer,
  middleware: [requirePermission("authenticated")] as const,
  responses: {
    200: { description: "The caller", content: { "application/json": { schema: MeAnswer } } },
    ...errorResponses(401, 403),
  },
});

const jwks = createRoute({
  method: "get",
  path: "/.well-known/jwks.json",
  tags,
  summary: "The public keys that verify Tarn's tokens (JWKS)",
  middleware: [requirePermission("public")] as const,
  responses: { 200: { description: "The key set", content: { "application/json": { schema: Jwks } } } },
});

const WRONG_CREDENTIALS = "wrong email or password";

/** A hash to verify against when the email is unknown, so both failures cost the same time. */
let decoy: Promise<string> | undefined;

export const authRoutes = router()
  .openapi(login, async (c) => {
    const body = c.req.valid("json");
    const { project, user } = await userForLogin(c.env.DB, body.project, body.email);
    const throttleKey = project?.id ?? `unknown:${body.project}`;
    await checkLoginThrottle(c.env, throttleKey, body.email);
    decoy ??= randomPasswordHash();
    const ok = await verifyPassword(body.password, user?.passwordHash ?? (await decoy));
    if (!project || !user || !ok || user.disabled) {
      await recordLoginFailure(c.env, throttleKey, body.email);
      if (project)
        await audit(c, project.id, {
          actor: user ? { type: "user", id: user.id } : { type: "anonymous", id: body.email },
          action: "auth.login",
          outcome: "denied",
          status: 401,
          reason: user?.disabled && ok ? "user disabled" : "wrong email or password",
        });
      throw new TarnError("UNAUTHORIZED", user?.disabled && ok ? "this user is disabled" : WRONG_CREDENTIALS);
    }
    await clearLoginFailures(c.env, throttleKey, body.email);
    const keys = await signingKeys(c.env.JWT_SIGNING_KEYS);
    const { token, expiresAt } = await signToken(
      keys,
      { sub: user.id, pid: project.id, role: user.role, ver: user.tokenVersion },
      readAccessConfig(c.env).issuer,
    );
    await audit(c, project.id, {
      actor: { type: "user", id: user.id },
      action: "auth.login",
      outcome: "ok",
      status: 200,
    });
    return c.json(
      {
        token,
        token_type: "Bearer" as const,
        expires_at: expiresAt.toISOString(),
        user: { id: user.id, email: user.email, role: user.role, tier: user.tier } satisfies Partial<UserRow>,
      },
      200,
      // A bearer token must not be kept by caches (RFC 6749 §5.1).
      { "Cache-Control": "no-store" },
    );
  })
  .openapi(me, async (c) => {
    const principal = projectOf(c.get("principal"));
    const project = await drizzle(c.env.DB)
      .select({ id: projects.id, name: projects.name })
      .from(projects)
      .where(eq(projects.id, principal.projectId))
      .get();
    if (!project) throw new TarnError("UNAUTHORIZED", "the credential's project no longer exists");
    const actor = actorOf(principal);
    return c.json(
      {
        principal:
          principal.kind === "user"
            ? {
                type: "user" as const,
                id: actor.id,
                role: principal.role,
                email: principal.email,
                tier: principal.tier,
              }
            : { type: "key" as const, id: actor.id, scopes: principal.scopes, tier: principal.tier },
        project,
        permissions: permissionsOf(principal),
      },
      200,
    );
  })
  .openapi(jwks, async (c) => {
    const keys = await signingKeys(c.env.JWT_SIGNING_KEYS);
    return c.json(publicJwks(keys) as { keys: Record<string, unknown>[] }, 200, {
      "Cache-Control": "public, max-age=300",
    });
  });
