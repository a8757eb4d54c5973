// API key scopes and what each one grants.

export const SCOPES = ["ingest", "query", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

/** True when a key holding `held` may act with `needed`; admin implies every other scope. */
export function grants(held: readonly Scope[], needed: Scope): boolean {
  return held.includes("admin") || held.includes(needed);
}
