// Refuses to serve in production while the super-admin secret or the token signing keys are missing or the examples'.
import type { MiddlewareHandler } from "hono";
import { signingKeyProblem, signingKeys } from "../../shared/access/signing-keys";
import { adminKeyProblem, readConfig } from "../../shared/config";
import { TarnError } from "../../shared/errors";
import { masterKeyProblem } from "../../shared/privacy/field-cipher";
import type { AppEnv } from "../context";

export function productionGuard(): MiddlewareHandler<AppEnv> {
  return async function productionGuardMiddleware(c, next) {
    if (readConfig(c.env).environment === "production") {
      const problem =
        adminKeyProblem(c.env.ADMIN_API_KEY) ??
        signingKeyProblem(c.env.JWT_SIGNING_KEYS) ??
        masterKeyProblem(c.env.MASTER_KEY) ??
        (await signingKeys(c.env.JWT_SIGNING_KEYS).then(
          () => null,
          (err: unknown) => String(err instanceof Error ? err.message : err),
        ));
      if (problem) {
        console.error(JSON.stringify({ level: "error", msg: "refusing to serve", reason: problem }));
        throw new TarnError(
          "UNAVAILABLE",
          `server misconfigured: ${problem}; set it with wrangler secret put (README, "Configuration")`,
          {
            retryAfter: 60,
          },
        );
      }
    }
    await next();
  };
}
