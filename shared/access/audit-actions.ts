// Which requests the audit log records and under what action name (API.md, "Audit log").
import type { RouteAccess } from "./permissions";

/** Names for routes whose derived name would read badly; keyed by `METHOD routePath` (Hono's pattern). */
const NAMED_ACTIONS: Record<string, string> = {
  "POST /v1/query": "query.run",
  "POST /v1/query/natural": "query.natural",
  "GET /v1/lake/files/:key{.+}": "lake.download",
  "POST /v1/auth/login": "auth.login",
  "POST /v1/users/:id/tokens/revoke": "users.revoke_tokens",
  "GET /v1/audit": "audit.read",
  "GET /v1/audit/verify": "audit.verify",
  "POST /v1/audit/export": "audit.export",
  "DELETE /v1/keys/:id": "keys.revoke",
  "POST /v1/datasets/:name/rollback": "datasets.rollback",
  "GET /v1/dashboards/:id/data": "dashboards.data",
  "POST /v1/dashboards/:id/share": "dashboards.share",
  "DELETE /v1/dashboards/:id/share/:token": "dashboards.unshare",
  "POST /v1/dashboards/:id/export": "dashboards.export",
};

const VERBS: Record<string, string> = { POST: "create", PUT: "update", PATCH: "update", DELETE: "delete", GET: "read" };

/** `keys.create`, `users.update`, …: the route's first path segment after /v1 and the method's verb. */
export function actionName(method: string, routePath: string): string {
  const named = NAMED_ACTIONS[`${method} ${routePath}`];
  if (named) return named;
  const resource = routePath.replace(/^\/v1\//, "").split("/")[0] || "root";
  return `${resource.replace(/[^\w-]/g, "")}.${VERBS[method] ?? method.toLowerCase()}`;
}

/**
 * True when a served request is recorded: every change that needs `write` or `manage`, every audit read,
 * and every data read (SQL, natural questions, file downloads, exports). Reads of lists and live windows
 * (`read`) and ingest are not: they would drown the log and are counted elsewhere.
 */
export function isAudited(method: string, routePath: string, access: RouteAccess): boolean {
  if (access === "query") return method !== "GET" && !routePath.endsWith("/validate");
  if (routePath === "/v1/lake/files/:key{.+}" || routePath.startsWith("/v1/audit")) return true;
  if (routePath.includes("/export")) return true;
  // A dashboard's data is a data read (its SQL tiles run as the caller).
  if (routePath === "/v1/dashboards/:id/data") return true;
  if (access === "write" || access === "manage") return method !== "GET";
  return false;
}
