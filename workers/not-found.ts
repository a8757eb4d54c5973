// Unknown routes get 404 NOT_FOUND; a known path with the wrong method gets 405 with `Allow`.
import type { Context, Hono } from "hono";
import { TarnError } from "../shared/errors";
import type { AppEnv } from "./context";
import { errorResponse } from "./errors";

interface RouteShape {
  pattern: RegExp;
  method: string;
}

function toPattern(path: string): RegExp {
  const body = path
    .split("/")
    .map((part) =>
      part.startsWith(":") ? (part.endsWith("{.+}") ? ".+" : "[^/]+") : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
    )
    .join("/");
  return new RegExp(`^${body}/?$`);
}

/**
 * Builds the not-found handler from the app's registered routes (read lazily, after
 * every route is mounted).
 */
export function notFoundHandler(app: Hono<AppEnv>) {
  let shapes: RouteShape[] | undefined;
  return function notFound(c: Context<AppEnv>): Response {
    shapes ??= app.routes
      .filter((r) => r.method !== "ALL" && !r.path.includes("*"))
      .map((r) => ({ pattern: toPattern(r.path), method: r.method }));
    const path = c.req.path;
    const allowed = [...new Set(shapes.filter((s) => s.pattern.test(path)).map((s) => s.method))];
    if (allowed.length > 0) {
      if (allowed.includes("GET") && !allowed.includes("HEAD")) allowed.push("HEAD");
      return errorResponse(
        c,
        new TarnError("METHOD_NOT_ALLOWED", `${c.req.method} is not allowed on ${path}`, {
          details: { allowed },
          headers: { Allow: allowed.join(", ") },
        }),
      );
    }
    return errorResponse(c, new TarnError("NOT_FOUND", `no route for ${c.req.method} ${path}`));
  };
}
