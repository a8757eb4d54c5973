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
  };
}
