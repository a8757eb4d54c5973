// Authentication and authorization: bearer credentials (API keys, Tarn's JWTs, the super-admin key) to
// principals, the permission table to 403s (audited), and the query rate limit to 429s.
import type { Context, MiddlewareHandler } from "hono";
import { recordAudit } from "../../services/access/audit";
import { takeIngest, takeQuery } from "../../services/access/rate-limit";
import { principalForToken } from "../../services/access/user-store";
import { cachedKeyPrincipal, resolveApiKey } from "../../services/keys/key-store";
import { actionName, isAudited } from "../../shared/access/audit-actions";
import type { AuditRecord } from "../../shared/access/audit-chain";
import { readAccessConfig } from "../../shared/access/config";
import {
  holds,
  isPermission,
  PERMISSION_TABLE,
  type Permission,
  type RouteAccess,
} from "../../shared/access/permissions";
import { signingKeys } from "../../shared/access/signing-keys";
import { rateLimitHeaders, retryAfterSeconds, type WindowDecision } from "../../shared/access/sliding-window";
import { looksLikeJwt, TokenError, verifyToken } from "../../shared/access/tokens";
import { constantTimeEqual, looksLikeApiKey } from "../../shared/api-keys";
import { readConfig } from "../../shared/config";
import { TarnError } from "../../shared/errors";
import { actorOf } from "../../shared/principal";
import type { Scope } from "../../shared/scopes";
import type { AppEnv, Principal, ProjectPrincipal } from "../context";

type Ctx = Context<AppEnv>;

/** The bearer token of a request: `Authorization: Bearer …`, or `?token=` where allowed (WebSockets). */
export function bearerToken(authorization: string | undefined, queryToken?: string): string | null {
  if (authorization) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return m?.[1] ?? null;
  }
  return queryToken ?? null;
}

async function authenticate(c: Ctx, allowQueryToken: boolean): Promise<Principal> {
  const token = bearerToken(c.req.header("Authorization"), allowQueryToken ? c.req.query("token") : undefined);
  if (!token) throw new TarnError("UNAUTHORIZED", "missing credentials: send Authorization: Bearer <key or token>");
  // A key this isolate resolved a moment ago is not the super-admin key (that never resolves as a
  // project key), so the hot path skips hashing the token for the comparison below.
  const recent = looksLikeApiKey(token) ? cachedKeyPrincipal(token) : undefined;
  if (recent) return recent;
  const admin = c.env.ADMIN_API_KEY;
  if (admin && (await constantTimeEqual(token, admin))) return { kind: "super-admin" };
  const { keyCacheTtlMs } = readConfig(c.env);
  if (looksLikeApiKey(token)) {
    const principal = await resolveApiKey(c.env.DB, token, keyCacheTtlMs, (p) => c.executionCtx.waitUntil(p));
    if (!principal) throw new TarnError("UNAUTHORIZED", "invalid or revoked credentials");
    return principal;
  }
  if (looksLikeJwt(token)) {
    let claims: Awaited<ReturnType<typeof verifyToken>>;
    try {
      claims = await verifyToken(await signingKeys(c.env.JWT_SIGNING_KEYS), token, readAccessConfig(c.env).issuer);
    } catch (err) {
      if (err instanceof TokenError)
        throw new TarnError("UNAUTHORIZED", `invalid token: ${err.message}`, { details: { reason: err.failure } });
      throw err;
    }
    const principal = await principalForToken(c.env.DB, claims, keyCacheTtlMs);
    if (!principal)
      throw new TarnError(
        "UNAUTHORIZED",
        "the token is no longer valid (user disabled, deleted or changed); sign in again",
        {
          details: { reason: "revoked" },
        },
      );
    return principal;
  }
  throw new TarnError("UNAUTHORIZED", "invalid credentials");
}

function country(c: Ctx): string | null {
  const cf = c.req.raw.cf as { country?: unknown } | undefined;
  return typeof cf?.country === "string" ? cf.country : null;
}

/** Records one audit entry for the request in the principal's project (after the response unless AUDIT_SYNC). */
export function audit(
  c: Ctx,
  projectId: string,
  entry: Pick<AuditRecord, "actor" | "outcome" | "status"> & Partial<Pick<AuditRecord, "action" | "target" | "reason">>,
): Promise<void> {
  return recordAudit(c.env, (p) => c.executionCtx.waitUntil(p), projectId, {
    at: new Date().toISOString(),
    action: entry.action ?? actionName(c.req.method, c.req.routePath),
    target: entry.target ?? c.req.path,
    request_id: c.get("requestId") ?? "",
    country: country(c),
    reason: entry.reason ?? null,
    actor: entry.actor,
    outcome: entry.outcome,
    status: entry.status,
  });
}

async function deny(c: Ctx, principal: ProjectPrincipal, permission: Permission): Promise<never> {
  await audit(c, principal.projectId, {
    actor: actorOf(principal),
    outcome: "denied",
    status: 403,
    reason: `lacks permission ${permission}`,
  });
  const held =
    principal.kind === "user"
      ? { role: principal.role }
      : { required_scope: PERMISSION_TABLE[permission].scope, scopes: principal.scopes };
  throw new TarnError("FORBIDDEN", `this ${principal.kind} lacks the ${permission} permission`, {
    details: { required_permission: permission, ...held },
  });
}

/** Sets `RateLimit-*` on the response (also on errors the handler threw, which Hono turned into c.res). */
function applyLimitHeaders(c: Ctx, decision: WindowDecision): void {
  const headers = rateLimitHeaders(decision);
  try {
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
  } catch {
    // An immutable response (e.g. a fetched one): copy it.
    c.res = new Response(c.res.body, c.res);
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
  }
}

async function refuseOverLimit(
  c: Ctx,
  principal: ProjectPrincipal,
  decision: WindowDecision,
  what: string,
): Promise<never> {
  await audit(c, principal.projectId, {
    actor: actorOf(principal),
    outcome: "denied",
    status: 429,
    reason: "rate limited",
  });
  const retryAfter = retryAfterSeconds(decision);
  throw new TarnError("RATE_LIMITED", `${what}; retry in ${retryAfter} s`, {
    retryAfter,
    headers: rateLimitHeaders(decision),
    details: { limit: decision.limit, ...(decision.overLimit ? { over_limit: true } : {}) },
  });
}

/** For a 201 whose body names the new resource's `id`: `/v1/keys/key_…`, so the entry says what was made. */
async function createdTarget(c: Ctx): Promise<string | undefined> {
  if (c.res.status !== 201 || !c.res.headers.get("Content-Type")?.includes("json")) return undefined;
  try {
    const body = (await c.res.clone().json()) as { id?: unknown };
    return typeof body.id === "string" ? `${c.req.path}/${body.id}` : undefined;
  } catch {
    return undefined;
  }
}

export interface AccessOptions {
  /** Accept `?token=` (WebSockets, whose browsers cannot set headers). */
  allowQueryToken?: boolean;
  /** Count the request against the principal's hourly query limit (API.md, "Rate limits and tiers"). */
  limit?: "query";
}

/** A middleware that declares a route's access; the marker is what the route matrix and OpenAPI read. */
export type AccessMiddleware = MiddlewareHandler<AppEnv> & { readonly access: RouteAccess };

/**
 * Authenticates the caller and lets it through only when it holds `access` (a permission of the table in
 * shared/access/permissions.ts, or `public` / `authenticated` / `super-admin`). Every route declares one.
 * A denial is 403 and an audit entry; a served request on an audited route is an audit entry too.
 * @example createRoute({ ..., middleware: [requirePermission("query", { limit: "query" }), jsonBody()] })
 */
export function requirePermission(access: RouteAccess, options: AccessOptions = {}): AccessMiddleware {
  const middleware: MiddlewareHandler<AppEnv> = async function requirePermissionMiddleware(c, next) {
    if (access === "public") return next();
    const principal = await authenticate(c, options.allowQueryToken ?? false);
    if (access === "super-admin") {
      if (principal.kind !== "super-admin")
        throw new TarnError("FORBIDDEN", "only the super-admin key (ADMIN_API_KEY) can do this");
      c.set("principal", principal);
      return next();
    }
    if (principal.kind === "super-admin")
      throw new TarnError("FORBIDDEN", "the super-admin key can only create projects; use a project credential");
    if (isPermission(access) && !holds(principal, access)) await deny(c, principal, access);
    c.set("principal", principal);
    let decision: WindowDecision | undefined;
    if (options.limit === "query") {
      decision = await takeQuery(c.env, principal);
      if (!decision.allowed)
        await refuseOverLimit(c, principal, decision, `the ${principal.tier} tier's query limit is used up`);
    }
    await next();
    if (decision) applyLimitHeaders(c, decision);
    if (c.res.status < 400 && isAudited(c.req.method, c.req.routePath, access))
      await audit(c, principal.projectId, {
        actor: actorOf(principal),
        outcome: "ok",
        status: c.res.status,
        target: c.get("auditTarget") ?? (await createdTarget(c)),
      });
  };
  return Object.assign(middleware, { access });
}

/**
 * Takes a request's events from the project's per-second ingest limit; 429 with nothing accepted when they
 * do not fit. An unreachable limiter lets ingest through (counted; README "Rate limits").
 */
export async function limitIngest(c: Ctx, events: number): Promise<void> {
  const principal = projectOf(c.get("principal"));
  const decision = await takeIngest(c.env, principal.projectId, events);
  if (!decision) return;
  for (const [k, v] of Object.entries(rateLimitHeaders(decision))) c.header(k, v);
  if (!decision.allowed)
    await refuseOverLimit(
      c,
      principal,
      decision,
      decision.overLimit
        ? `the request's ${events} events exceed the project's ingest limit of ${decision.limit} per second on their own`
        : `the project's ingest limit of ${decision.limit} events per second is used up`,
    );
}

/** The permission each key scope stood for before the permission table; for routes not yet converted. */
const LEGACY_SCOPE_PERMISSION: Record<Scope, Permission> = { ingest: "ingest", query: "read", admin: "manage" };

/**
 * Deprecated: declare `requirePermission(...)` instead. Kept so a route written against the old scopes still
 * works (scope → permission as above), but it declares nothing, so the route matrix test names the route.
 */
export function requireScope(scope: Scope, options: { allowQueryToken?: boolean } = {}): MiddlewareHandler<AppEnv> {
  const inner = requirePermission(LEGACY_SCOPE_PERMISSION[scope], options);
  return function requireScopeMiddleware(c, next) {
    return inner(c, next);
  };
}

/** Lets through only the super-admin key (ADMIN_API_KEY). */
export function requireSuperAdmin(): AccessMiddleware {
  return requirePermission("super-admin");
}

/** The caller's project principal; only valid behind `requirePermission`. */
export function projectOf(principal: Principal): ProjectPrincipal {
  if (principal.kind === "super-admin") throw new TarnError("FORBIDDEN", "a project credential is required");
  return principal;
}
