// Which row-level policies bind a principal, and who it is to their filters.

import type { ProjectPrincipal } from "../principal";
import type { Identity, RowFilters } from "../query/row-filters";
import { holds } from "./permissions";

export interface RowPolicy {
  name: string;
  /** A dataset, or `*` for every table. */
  dataset: string;
  roles: readonly string[];
  /** User ids or emails. */
  users: readonly string[];
  /** API key ids. */
  keys: readonly string[];
  filter: string;
}

/**
 * True when the policy binds the principal: a user by role, id or email, a key by id. Admins (and
 * admin keys) are bound only when a policy names them explicitly (their role, their id or email,
 * their key), never by a list that merely includes every role below them.
 */
export function appliesTo(policy: RowPolicy, principal: ProjectPrincipal): boolean {
  if (principal.kind === "key") return policy.keys.includes(principal.keyId);
  const named = policy.users.includes(principal.userId) || policy.users.includes(principal.email);
  if (named) return true;
  if (!policy.roles.includes(principal.role)) return false;
  return principal.role !== "admin" || policy.roles.includes("admin");
}

/** What the identity functions return for the principal (keys have no person: all NULL). */
export function identityOf(principal: ProjectPrincipal): Identity {
  if (principal.kind === "key") return { userId: null, email: null, role: null, attributes: {} };
  return {
    userId: principal.userId,
    email: principal.email,
    role: principal.role,
    attributes: principal.attributes ?? {},
  };
}

/** The filters of every policy that binds the principal (several on one table: all must pass). */
export function rowFiltersFor(policies: readonly RowPolicy[], principal: ProjectPrincipal): RowFilters {
  return {
    filters: policies.filter((p) => appliesTo(p, principal)).map((p) => ({ table: p.dataset, filter: p.filter })),
    identity: identityOf(principal),
  };
}

/** Whether the principal may see which policies exist and what they filter (EXPLAIN, the API). */
export function mayReadPolicies(principal: ProjectPrincipal): boolean {
  return holds(principal, "manage");
}
