// A circuit breaker for calls to the outside network (the LLM, webhook receivers): after
// `failureThreshold` consecutive failures it opens for `openMs`, then lets exactly one probe through;
// the probe's outcome closes it or opens it again. State lives in the isolate (a cache of health,
// never the truth of anything), so a fresh isolate starts closed.

export type BreakerState = "closed" | "open" | "half-open";

/** Prometheus value of each state (tarn_circuit_breaker_state). */
export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, "half-open": 1, open: 2 };

export interface BreakerOptions {
  /** Consecutive failures that open the breaker (default 5). */
  failureThreshold?: number;
  /** How long it stays open before one probe may pass (default 60 s). */
  openMs?: number;
  /** The clock, for tests. */
  now?: () => number;
  /** Called on every state change (metrics, logs). */
  onTransition?: (to: BreakerState, from: BreakerState) => void;
}

/** Thrown instead of calling when the breaker is open (or its one probe is in flight). */
export class BreakerOpenError extends Error {
  /** Seconds until a probe may pass: what a client's Retry-After should say. */
  readonly retryAfterSeconds: number;
  constructor(name: string, retryAfterSeconds: number) {
    super(`circuit breaker "${name}" is open`);
    this.name = "BreakerOpenError";
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export interface BreakerSnapshot {
  name: string;
  state: BreakerState;
  consecutive_failures: number;
  /** When an open breaker lets its probe through (ISO), else null. */
  retry_at: string | null;
}

/**
 * @example
 * const llm = new CircuitBreaker("llm");
 * const text = await llm.call(() => fetchCompletion());
 */
export class CircuitBreaker {
  readonly name: string;
  private readonly threshold: number;
  private readonly openMs: number;
  private readonly now: () => number;
  private readonly onTransition?: (to: BreakerState, from: BreakerState) => void;
  private failures = 0;
  private openedAt = 0;
  private current: BreakerState = "closed";
  private probing = false;

  constructor(name: string, options: BreakerOptions = {}) {
    this.name = name;
    this.threshold = options.failureThreshold ?? 5;
    this.openMs = options.openMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.onTransition = options.onTransition;
  }

  /** The state now: an open breaker whose time is up reads as half-open. */
  get state(): BreakerState {
    if (this.current === "open" && this.now() - this.openedAt >= this.openMs) this.move("half-open");
    return this.current;
  }

  snapshot(): BreakerSnapshot {
    const state = this.state;
    return {
      name: this.name,
      state,
      consecutive_failures: this.failures,
      retry_at: state === "open" ? new Date(this.openedAt + this.openMs).toISOString() : null,
    };
  }

  /** Seconds until a probe may pass (at least 1). */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((this.openedAt + this.openMs - this.now()) / 1000));
  }

  /** Whether a call may go out now; in half-open only one (the probe) may, until it reports. */
  private admit(): void {
    const state = this.state;
    if (state === "open") throw new BreakerOpenError(this.name, this.retryAfterSeconds());
    if (state === "half-open") {
      if (this.probing) throw new BreakerOpenError(this.name, 1);
      this.probing = true;
    }
  }

  success(): void {
    this.probing = false;
    this.failures = 0;
    if (this.current !== "closed") this.move("closed");
  }

  failure(): void {
    this.probing = false;
    this.failures++;
    if (this.current === "half-open" || (this.current === "closed" && this.failures >= this.threshold)) {
      this.openedAt = this.now();
      this.move("open");
    }
  }

  /**
   * Runs `fn` when the breaker admits it. `isFailure` tells which errors count against the remote
   * (default: all); an error that is the caller's fault (a 400) should not open the breaker.
   */
  async call<T>(fn: () => Promise<T>, isFailure: (err: unknown) => boolean = () => true): Promise<T> {
    this.admit();
    try {
      const value = await fn();
      this.success();
      return value;
    } catch (err) {
      if (isFailure(err)) this.failure();
      else this.success();
      throw err;
    }
  }

  private move(to: BreakerState): void {
    const from = this.current;
    if (from === to) return;
    this.current = to;
    this.onTransition?.(to, from);
  }
}
