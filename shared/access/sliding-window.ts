// Exact sliding-window limits: given what a window already served, may `cost` more be served now, and when not, when.

export interface WindowHit {
  /** Epoch milliseconds the request was served. */
  at: number;
  /** Units it used (1 for a request, the event count for ingest). */
  cost: number;
}

export interface WindowLimit {
  limit: number;
  windowMs: number;
}

export interface WindowDecision {
  allowed: boolean;
  limit: number;
  /** Units left after this decision. */
  remaining: number;
  /** Milliseconds until the oldest counted unit leaves the window (quota starts to come back). */
  resetMs: number;
  /** Refused only: milliseconds until a request of the same cost would be served. */
  retryAfterMs: number;
  /** Refused only: the cost alone is over the limit, so waiting will not help. */
  overLimit: boolean;
}

/**
 * Decides one request against the hits still inside the window (`hits` oldest first, each with
 * `at > now - windowMs`). Exact: a request is served iff the window's units plus its cost fit the limit.
 */
export function decide(
  hits: readonly WindowHit[],
  now: number,
  { limit, windowMs }: WindowLimit,
  cost = 1,
): WindowDecision {
  let used = 0;
  for (const h of hits) used += h.cost;
  const oldest = hits[0];
  const resetMs = oldest ? Math.max(0, oldest.at + windowMs - now) : windowMs;
  if (used + cost <= limit) {
    const afterReset = oldest ? resetMs : windowMs;
    return {
      allowed: true,
      limit,
      remaining: limit - used - cost,
      resetMs: afterReset,
      retryAfterMs: 0,
      overLimit: false,
    };
  }
  if (cost > limit)
    return {
      allowed: false,
      limit,
      remaining: Math.max(0, limit - used),
      resetMs,
      retryAfterMs: windowMs,
      overLimit: true,
    };
  // Walk the oldest hits out of the window until the request fits.
  let freed = 0;
  let retryAfterMs = windowMs;
  for (const h of hits) {
    freed += h.cost;
    if (used - freed + cost <= limit) {
      retryAfterMs = Math.max(1, h.at + windowMs - now);
      break;
    }
  }
  return { allowed: false, limit, remaining: Math.max(0, limit - used), resetMs, retryAfterMs, overLimit: false };
}

/** `RateLimit-*` headers (IETF draft: limit, remaining, seconds to reset). */
export function rateLimitHeaders(d: WindowDecision): Record<string, string> {
  return {
    "RateLimit-Limit": String(d.limit),
    "RateLimit-Remaining": String(d.remaining),
    "RateLimit-Reset": String(Math.ceil(d.resetMs / 1000)),
  };
}

/** `Retry-After` in whole seconds: the first whole second at which the request would be served. */
export function retryAfterSeconds(d: WindowDecision): number {
  return Math.max(1, Math.ceil(d.retryAfterMs / 1000));
}
