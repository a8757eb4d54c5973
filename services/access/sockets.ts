// Closes the live sockets of a principal whose credential stopped working (revoked, disabled, deleted, changed).
import { readConfig } from "../../shared/config";
import { hubStub } from "../stubs/live-hub";

/**
 * Runs after the response: the hubs close the sockets within milliseconds. A second sweep once the other
 * isolates' credential caches have expired (KEY_CACHE_TTL_MS) catches a socket another isolate accepted
 * with its cached lookup in between; both are well inside the promised 5 s.
 */
export function closeSocketsOf(
  env: Env,
  waitUntil: (p: Promise<unknown>) => void,
  projectId: string,
  principal: string,
) {
  const sweep = () => hubStub(env, projectId, 0).closePrincipal(projectId, principal);
  const laterMs = Math.min(4000, readConfig(env).keyCacheTtlMs + 250);
  waitUntil(
    sweep()
      .then(() => new Promise((r) => setTimeout(r, laterMs)))
      .then(sweep)
      .catch((err) =>
        console.error(
          JSON.stringify({
            level: "error",
            msg: "closing revoked sockets failed",
            projectId,
            principal,
            error: String(err),
          }),
        ),
      ),
  );
}
