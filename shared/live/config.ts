// Live-path settings from string vars, with their defaults.

export interface LiveConfig {
  /** How long after a window's end it stays open for late events (the watermark's lag). */
  allowedLatenessMs: number;
  /** Subscriptions one socket may hold. */
  maxSubscriptions: number;
  /** Sockets one hub accepts before the next hub in the fan-out tree takes new ones (≤ 32,768). */
  hubCapacity: number;
  /** Children per hub in the fan-out tree. */
  hubFanout: number;
  /** How long a webhook receiver has to answer. */
  webhookTimeoutMs: number;
}

export type LiveVars = Partial<
  Record<
    | "LIVE_ALLOWED_LATENESS_MS"
    | "LIVE_MAX_SUBSCRIPTIONS"
    | "LIVE_HUB_CAPACITY"
    | "LIVE_HUB_FANOUT"
    | "WEBHOOK_TIMEOUT_MS",
    string
  >
>;

function int(raw: string | undefined, fallback: number, min: number, max: number): number {
  const n = raw === undefined || raw === "" ? Number.NaN : Number(raw);
  return Number.isInteger(n) ? Math.min(max, Math.max(min, n)) : fallback;
}

export function readLiveConfig(vars: LiveVars): LiveConfig {
  return {
    allowedLatenessMs: int(vars.LIVE_ALLOWED_LATENESS_MS, 5_000, 0, 3_600_000),
    maxSubscriptions: int(vars.LIVE_MAX_SUBSCRIPTIONS, 20, 1, 1_000),
    hubCapacity: int(vars.LIVE_HUB_CAPACITY, 32_000, 1, 32_768),
    hubFanout: int(vars.LIVE_HUB_FANOUT, 16, 2, 256),
    webhookTimeoutMs: int(vars.WEBHOOK_TIMEOUT_MS, 5_000, 100, 30_000),
  };
}
