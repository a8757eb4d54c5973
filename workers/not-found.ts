// Unknown routes get 404 NOT_FOUND; a known path with the wrong method gets 405 with `Allow`
// (hono's method-not-allowed middleware finds the methods, the envelope is ours).
import type { Context, Hono } from "hono";
import { methodNotAllowed } from "hono/method-not-allowed";
import { TarnError } from "../shared/errors";
import type { AppEnv } from "./context";
import { errorResponse } from "./errors";

export function notFound(c: Context<AppEnv>): Response {
  return errorResponse(c, new TarnError("NOT_FOUND", `no route for ${c.req.method} ${c.req.path}`));
}

/** Middleware: turns the 404 of a path that exists under other methods into a 405 envelope. */
export function wrongMethod(app: Hono<AppEnv>) {
  return methodNotAllowed<AppEnv>({
    app,
    onMethodNotAllowed: (c, allowed) =>
      errorResponse(
        c,
        new TarnError("METHOD_NOT_ALLOWED", `${c.req.method} is not allowed on ${c.req.path}`, {
          details: { allowed },
          headers: { Allow: allowed.join(", ") },
        }),
      ),
  });
}
