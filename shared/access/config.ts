// Access settings from string vars (README, "People and access"), with their defaults.
import type { Tier } from "./permissions";
import type { WindowLimit } from "./sliding-window";

export interface AccessConfig {
  /** Query requests per principal per sliding hour, by tier. */
  queryLimits: Record<Tier, WindowLimit>;
  /** Events per project per sliding second. */
  ingestLimit: WindowLimit;
  /** Failed logins per email per 15 minutes before the next attempt is refused. */
  loginFailures: WindowLimit;
  issuer: string;
  /**
   * When true the response waits until its audit entry is stored (acknowledged only once audited);
   * by default entries are appended after the response (waitUntil), adding no latency.
   */
  auditSync: boolean;
}

export type AccessVars = Partial<
  Record<
    | "RATE_LIMIT_FREE_PER_HOUR"
    | "RATE_LIMIT_PREMIUM_PER_HOUR"
    | "INGEST_EVENTS_PER_SECOND"
    | "JWT_ISSUER"
    | "AUDIT_SYNC",
    string
  >
>;

const HOUR_MS = 3_600_000;

function int(raw: string | undefined, fallback: number, min: number): number {
  const n = raw === undefined || raw === "" ? Number.NaN : Number(raw);
  return Number.isInteger(n) && n >= min ? n : fallback;
}

export function readAccessConfig(vars: AccessVars): AccessConfig {
  return {
    queryLimits: {
      free: { limit: int(vars.RATE_LIMIT_FREE_PER_HOUR, 100, 1), windowMs: HOUR_MS },
      premium: { limit: int(vars.RATE_LIMIT_PREMIUM_PER_HOUR, 1000, 1), windowMs: HOUR_MS },
    },
    ingestLimit: { limit: int(vars.INGEST_EVENTS_PER_SECOND, 50_000, 1), windowMs: 1000 },
    loginFailures: { limit: 5, windowMs: 15 * 60_000 },
    issuer: vars.JWT_ISSUER || "tarn",
    auditSync: vars.AUDIT_SYNC === "true",
  };
}
