// Closes the live sockets of a principal whose credential stopped working (revoked, disabled, deleted, changed).
import { hubStub } from "../stubs/live-hub";

/** Runs after the response; the hubs close the sockets within milliseconds, well inside the promised 5 s. */
export function closeSocketsOf(
  env: Env,
  waitUntil: (p: Promise<unknown>) => void,
  projectId: string,
  principal: string,
) {
  waitUntil(
    hubStub(env, projectId, 0)
      .closePrincipal(projectId, principal)
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
