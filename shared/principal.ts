// Who is calling: the super-admin, or an API key of one project with its scopes.
import type { Scope } from "./scopes";

export type Principal = { kind: "super-admin" } | { kind: "key"; projectId: string; keyId: string; scopes: Scope[] };

export type ProjectPrincipal = Extract<Principal, { kind: "key" }>;
