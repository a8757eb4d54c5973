// The Hono environment shared by every route: bindings, request id and the caller.
import type { Principal } from "../shared/principal";

export type { Principal, ProjectPrincipal } from "../shared/principal";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    principal: Principal;
    /** What the audit entry names as the target when the path would say too much (a share token) or too little. */
    auditTarget?: string;
    /**
     * Set by a route whose query limit overlaps its work (`requirePermission(…, { limit: "query", overlap: true })`):
     * settles when the limiter let the request in, rejects with the 429 when it did not. The route
     * awaits it before it reads anything costly.
     */
    admission?: Promise<void>;
  };
}
