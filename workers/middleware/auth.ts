// Authentication and authorization middleware: bearer credentials to principals, scopes to 403s.
import type { MiddlewareHandler } from "hono";
import { resolveApiKey } from "../../services/keys/key-store";
import { constantTimeEqual, looksLikeApiKey } from "../../shared/api-keys";
import { readConfig } from "../../shared/config";
import { TarnError } from "../../shared/errors";
import { grants, type Scope } from "../../shared/scopes";
import type { AppEnv, Principal, ProjectPrincipal } from "../context";

/** The bearer token of a request: `Authorization: Bearer …`, or `?token=` where allowed (WebSockets). */
export function bearerToken(authorization: string | undefined, queryToken?: string): string | null {
  if (authorization) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return m?.[1] ?? null;
  }
  return queryToken ?? null;
}

async function authenticate(c: Parameters<MiddlewareHandler<AppEnv>>[0], allowQueryToken: boolean): Promise<Principal> {
  const token = bearerToken(c.req.header("Authorization"), allowQueryToken ? c.req.query("token") : undefined);
  if (!token) throw new TarnError("UNAUTHORIZED", "missing credentials: send Authorization: Bearer <key>");
  const admin = c.env.ADMIN_API_KEY;
  if (admin && (await constantTimeEqual(token, admin))) return { kind: "super-admin" };
  if (!looksLikeApiKey(token)) throw new TarnError("UNAUTHORIZED", "invalid credentials");
  const { keyCacheTtlMs } = readConfig(c.env);
  const principal = await resolveApiKey(c.env.DB, token, keyCacheTtlMs, (p) => c.executionCtx.waitUntil(p));
  if (!principal) throw new TarnError("UNAUTHORIZED", "invalid or revoked credentials");
  return principal;
}

/**
 * Lets through only a project key holding `scope` (admin implies every scope).
 * @example createRoute({ ..., middleware: [requireScope("query")] })
 */
export function requireScope(scope: Scope, options: { allowQueryToken?: boolean } = {}): MiddlewareHandler<AppEnv> {
  return async function requireScopeMiddleware(c, next) {
    const principal = await authenticate(c, options.allowQueryToken ?? false);
    if (principal.kind !== "key") {
      throw new TarnError("FORBIDDEN", "the super-admin key can only create projects; use a project key");
    }
    if (!grants(principal.scopes, scope)) {
      throw new TarnError("FORBIDDEN", `this key lacks the ${scope} scope`, { details: { required_scope: scope } });
    }
    c.set("principal", principal);
    await next();
  };
}

/** Lets through only the super-admin key (ADMIN_API_KEY). */
export function requireSuperAdmin(): MiddlewareHandler<AppEnv> {
  return async function requireSuperAdminMiddleware(c, next) {
    const principal = await authenticate(c, false);
    if (principal.kind !== "super-admin") {
      throw new TarnError("FORBIDDEN", "only the super-admin key (ADMIN_API_KEY) can create projects");
    }
    c.set("principal", principal);
    await next();
  };
}

/** The caller's project principal; only valid behind `requireScope`. */
export function projectOf(principal: Principal): ProjectPrincipal {
  if (principal.kind !== "key") throw new TarnError("FORBIDDEN", "a project key is required");
  return principal;
}
