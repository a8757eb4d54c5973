// The Hono environment shared by every route: bindings, request id and the caller.
import type { Principal } from "../shared/principal";

export type { Principal, ProjectPrincipal } from "../shared/principal";

export interface AppEnv {
  Bindings: Env;
  Variables: { requestId: string; principal: Principal };
}
