// The Hono environment shared by every route: bindings, request id and the caller.
import type { Scope } from "../shared/scopes";

export type Principal = { kind: "super-admin" } | { kind: "key"; projectId: string; keyId: string; scopes: Scope[] };

export type ProjectPrincipal = Extract<Principal, { kind: "key" }>;

export interface AppEnv {
  Bindings: Env;
  Variables: { requestId: string; principal: Principal };
}
