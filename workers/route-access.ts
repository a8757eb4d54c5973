// Reads what each route declared with `requirePermission` and shows it in the OpenAPI document.
import type { OpenAPIHono } from "@hono/zod-openapi";
import { PERMISSION_TABLE, type RouteAccess } from "../shared/access/permissions";
import type { AppEnv } from "./context";

/** `GET /v1/keys/:id` → its declared access, from the app's own route table (sub-apps included). */
export function declaredAccess(app: OpenAPIHono<AppEnv>): Map<string, RouteAccess> {
  const out = new Map<string, RouteAccess>();
  const methods = new Set(app.routes.map((r) => r.method).filter((m) => m !== "ALL"));
  for (const r of app.routes) {
    const access = (r.handler as { access?: RouteAccess }).access;
    if (!access) continue;
    // `app.use(path, requirePermission(…))` on an exact path declares it for every method there.
    for (const method of r.method === "ALL" ? methods : [r.method]) out.set(`${method} ${honoPath(r.path)}`, access);
  }
  return out;
}

/** Every concrete route of the app (not `app.use` middleware), as `METHOD path`. */
export function concreteRoutes(app: OpenAPIHono<AppEnv>): string[] {
  const out = new Set<string>();
  for (const r of app.routes) if (r.method !== "ALL") out.add(`${r.method} ${honoPath(r.path)}`);
  return [...out];
}

/** `/v1/lake/files/:key{.+}` and `/v1/lake/files/{key}` both become `/v1/lake/files/:key`. */
export function honoPath(path: string): string {
  return path.replace(/\/{([^}]+)}/g, "/:$1").replace(/(:\w+)\{[^}]*\}/g, "$1");
}

const ACCESS_TEXT: Record<string, string> = {
  public: "public: no credential",
  authenticated: "any project credential",
  "super-admin": "the super-admin key only",
};

/**
 * Adds `x-tarn-permission` and a line in the description to every documented operation, from the same
 * middleware that enforces it, so the document cannot disagree with the code.
 */
export function documentAccess(app: OpenAPIHono<AppEnv>): void {
  const access = declaredAccess(app);
  for (const def of app.openAPIRegistry.definitions) {
    if (def.type !== "route") continue;
    const route = def.route as typeof def.route & { "x-tarn-permission"?: string };
    const declared = access.get(`${route.method.toUpperCase()} ${honoPath(route.path)}`);
    if (!declared) continue;
    const rule = (PERMISSION_TABLE as Record<string, { description: string; roles: readonly string[]; scope: string }>)[
      declared
    ];
    const text = rule
      ? `Permission \`${declared}\` (${rule.description}): roles ${rule.roles.join(", ")}; key scope \`${rule.scope}\`.`
      : `Access: ${ACCESS_TEXT[declared] ?? declared}.`;
    route["x-tarn-permission"] = declared;
    route.description = route.description ? `${route.description}\n\n${text}` : text;
  }
}
