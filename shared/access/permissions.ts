// The one permission table (API.md, "Principals, roles and permissions"): roles and key scopes map onto it.
import type { Scope } from "../scopes";

export const ROLES = ["viewer", "analyst", "admin"] as const;
export type Role = (typeof ROLES)[number];

export const TIERS = ["free", "premium"] as const;
export type Tier = (typeof TIERS)[number];

interface PermissionRule {
  /** What the permission lets a principal do, as the README and the OpenAPI document say it. */
  description: string;
  roles: readonly Role[];
  /** The API key scope that grants it (`admin` implies every scope). */
  scope: Scope;
}

/**
 * Every permission a project route may require. Add a row here for a new kind of action; a route names
 * exactly one of these (or one of ACCESS_LEVELS) in its `requirePermission` call.
 */
export const PERMISSION_TABLE = {
  read: {
    description: "read dashboards, live sockets, datasets, catalog, profiles",
    roles: ["viewer", "analyst", "admin"],
    scope: "query",
  },
  query: {
    description: "run SQL, natural-language questions, insights, predictions",
    roles: ["analyst", "admin"],
    scope: "query",
  },
  write: {
    description: "create and change dashboards, uploads, models, alerts",
    roles: ["analyst", "admin"],
    scope: "admin",
  },
  ingest: { description: "send events", roles: ["admin"], scope: "ingest" },
  manage: {
    description: "keys, users, contracts, retention, rollback, privacy, audit",
    roles: ["admin"],
    scope: "admin",
  },
  unmask: { description: "see PII and restricted columns unmasked", roles: ["admin"], scope: "admin" },
} as const satisfies Record<string, PermissionRule>;

export type Permission = keyof typeof PERMISSION_TABLE;
export const PERMISSIONS = Object.keys(PERMISSION_TABLE) as Permission[];

/**
 * Access levels outside the project table: `public` needs no credential, `authenticated` any project
 * principal (e.g. `/v1/auth/me`), `super-admin` only ADMIN_API_KEY (creating projects).
 */
export const ACCESS_LEVELS = ["public", "authenticated", "super-admin"] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

/** What a route declares: a permission of the table or an access level. */
export type RouteAccess = Permission | AccessLevel;

/** The holder of a permission: a user's role or a key's scopes. */
export type Holder = { role: Role } | { scopes: readonly Scope[] };

/** True when `holder` has `permission`. */
export function holds(holder: Holder, permission: Permission): boolean {
  const rule: PermissionRule = PERMISSION_TABLE[permission];
  if ("role" in holder) return rule.roles.includes(holder.role);
  return holder.scopes.includes("admin") || holder.scopes.includes(rule.scope);
}

/** Every permission `holder` has, in table order (for `/v1/auth/me`). */
export function permissionsOf(holder: Holder): Permission[] {
  return PERMISSIONS.filter((p) => holds(holder, p));
}

export function isPermission(access: RouteAccess): access is Permission {
  return access in PERMISSION_TABLE;
}
