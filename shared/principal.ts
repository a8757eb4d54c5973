// Who is calling: the super-admin, an API key of one project with its scopes, or a signed-in user with a role.
import type { Role, Tier } from "./access/permissions";
import type { Scope } from "./scopes";

export type Principal =
  | { kind: "super-admin" }
  | { kind: "key"; projectId: string; keyId: string; scopes: Scope[]; tier: Tier }
  | {
      kind: "user";
      projectId: string;
      userId: string;
      email: string;
      role: Role;
      tier: Tier;
      /** Set by admins; row-level policies read them (`current_user_attribute('region')`). */
      attributes?: Readonly<Record<string, string | number | boolean | null>>;
    };

export type ProjectPrincipal = Exclude<Principal, { kind: "super-admin" }>;

/** The principal's own id (a key id or a user id): what rate limits, audit entries and sockets are keyed by. */
export function principalId(p: ProjectPrincipal): string {
  return p.kind === "key" ? p.keyId : p.userId;
}

/** The audit log's actor for a principal. */
export function actorOf(p: Principal): { type: "key" | "user" | "super-admin"; id: string } {
  if (p.kind === "super-admin") return { type: "super-admin", id: "super-admin" };
  return { type: p.kind, id: principalId(p) };
}
