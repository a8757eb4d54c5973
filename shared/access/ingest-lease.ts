// Ingest budget leased to an isolate: one RateLimiter call serves many requests. The limiter charges a
// lease to its window when it grants it; the isolate spends it locally for a short while and hands back
// what it did not spend with its next call, so the window's log ends up holding what was really served.
import type { WindowDecision, WindowLimit } from "./sliding-window";

/** Below this limit every request asks the limiter (exact), since a lease would be a large share of it. */
export const LEASE_MIN_LIMIT = 1000;

/** Extra units one grant may lease beyond the request's own: a twentieth of the limit. */
export function leaseExtra({ limit }: WindowLimit): number {
  return limit >= LEASE_MIN_LIMIT ? Math.floor(limit / 20) : 0;
}

/** How long an isolate may spend a lease: a tenth of the window, at most 100 ms. */
export function leaseMs({ windowMs }: WindowLimit): number {
  return Math.min(100, Math.floor(windowMs / 10));
}

/** What the limiter answers a lease request: its decision for the request, and the lease when granted. */
export interface LeaseGrant {
  decision: WindowDecision;
  /** The window log entry charged with the request and the lease (to hand unspent units back to). */
  hitId: number;
  /** Units leased beyond the request's own. */
  leased: number;
}

/** Unspent units of a lease, handed back to the limiter's log entry with the next call. */
export interface LeaseReturn {
  hitId: number;
  units: number;
}

interface Lease {
  hitId: number;
  left: number;
  until: number;
  /** The window's remaining units outside this lease when it was granted (for RateLimit-Remaining). */
  remainingOutside: number;
  limit: number;
  resetAt: number;
}

/** The leases one isolate holds, by limiter name. */
export class LeaseBook {
  private readonly leases = new Map<string, Lease>();

  constructor(private readonly maxEntries = 10_000) {}

  /** Serves `cost` from the lease when it is still valid and large enough; null means "ask the limiter". */
  spend(name: string, cost: number, now: number): WindowDecision | null {
    const lease = this.leases.get(name);
    if (!lease || lease.until <= now || lease.left < cost) return null;
    lease.left -= cost;
    return {
      allowed: true,
      limit: lease.limit,
      remaining: lease.remainingOutside + lease.left,
      resetMs: Math.max(0, lease.resetAt - now),
      retryAfterMs: 0,
      overLimit: false,
    };
  }

  /** Removes the lease and says what of it goes back to the limiter (nothing when it is spent). */
  takeBack(name: string): LeaseReturn | undefined {
    const lease = this.leases.get(name);
    if (!lease) return undefined;
    this.leases.delete(name);
    return lease.left > 0 ? { hitId: lease.hitId, units: lease.left } : undefined;
  }

  /** Keeps a fresh grant's lease (a grant without extra units keeps nothing). */
  hold(name: string, grant: LeaseGrant, now: number, validMs: number): void {
    if (!grant.decision.allowed || grant.leased <= 0) return;
    if (this.leases.size >= this.maxEntries) this.leases.clear();
    this.leases.set(name, {
      hitId: grant.hitId,
      left: grant.leased,
      until: now + validMs,
      remainingOutside: grant.decision.remaining - grant.leased,
      limit: grant.decision.limit,
      resetAt: now + grant.decision.resetMs,
    });
  }
}
