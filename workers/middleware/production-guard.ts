// Refuses to serve in production while the super-admin secret is missing or the example's.
import type { MiddlewareHandler } from "hono";
import { adminKeyProblem, readConfig } from "../../shared/config";
import { TarnError } from "../../shared/errors";
import type { AppEnv } from "../context";

export function productionGuard(): MiddlewareHandler<AppEnv> {
  return async function productionGuardMiddleware(c, next) {
    if (readConfig(c.env).environment === "production") {
      const problem = adminKeyProblem(c.env.ADMIN_API_KEY);
      if (problem) {
        console.error(JSON.stringify({ level: "error", msg: "refusing to serve", reason: problem }));
        throw new TarnError(
          "UNAVAILABLE",
          `server misconfigured: ${problem}; set it with wrangler secret put ADMIN_API_KEY`,
          {
            retryAfter: 60,
          },
        );
      }
    }
    await next();
  };
}
