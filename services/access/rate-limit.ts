// Rate limits through the RateLimiter objects: query requests per principal, ingest events per project,
// failed logins per email. What happens when a limiter cannot be reached is decided here, per kind.
import { readAccessConfig } from "../../shared/access/config";
import { LeaseBook, leaseExtra, leaseMs } from "../../shared/access/ingest-lease";
import type { WindowDecision } from "../../shared/access/sliding-window";
import { TarnError } from "../../shared/errors";
import { type ProjectPrincipal, principalId } from "../../shared/principal";
import { limiterStub } from "../stubs/rate-limiter";

/** How long a limiter may take before it counts as unreachable. */
const LIMITER_TIMEOUT_MS = 2000;

/** Per-isolate counters of limiter failures (logged as they happen; for metrics and tests). */
export const limiterFailures = { ingestServedUnlimited: 0, queryRefused: 0, loginUnthrottled: 0 };

async function withTimeout<T>(work: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`rate limiter did not answer in ${LIMITER_TIMEOUT_MS} ms`)),
          LIMITER_TIMEOUT_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function logFailure(kind: string, err: unknown): void {
  console.error(JSON.stringify({ level: "error", msg: "rate limiter unreachable", kind, error: String(err) }));
}

/**
 * Takes one query request from the principal's hourly window. A limiter that cannot be reached fails
 * closed: 503 UNAVAILABLE, because an unmetered query path is the expensive one.
 */
export async function takeQuery(env: Env, principal: ProjectPrincipal): Promise<WindowDecision> {
  const limit = readAccessConfig(env).queryLimits[principal.tier];
  try {
    return await withTimeout(() =>
      limiterStub(env, `q:${principal.projectId}:${principalId(principal)}`).take("query", limit),
    );
  } catch (err) {
    limiterFailures.queryRefused++;
    logFailure("query", err);
    throw new TarnError("UNAVAILABLE", "the rate limiter is unreachable; retry shortly", { retryAfter: 5, cause: err });
  }
}

/** This isolate's ingest leases, by limiter name. */
const ingestLeases = new LeaseBook();

/**
 * Takes `events` from the project's per-second ingest window. A limiter that cannot be reached fails open:
 * the events are accepted unmetered and `limiterFailures.ingestServedUnlimited` counts it, because losing
 * ingest costs producers data while a missed limit costs only capacity. Null means "served unmetered".
 *
 * With a limit of at least LEASE_MIN_LIMIT, a call to the limiter also leases a twentieth of the limit to
 * this isolate for up to 100 ms, and requests that fit the lease are served without a call (one call per
 * many requests at high rates). The window is charged when the lease is granted and unspent units are
 * handed back with the next call, so across isolates the limit can be exceeded by at most one unspent
 * lease per isolate, charged up to 100 ms early (README "Rate limits").
 */
export async function takeIngest(env: Env, projectId: string, events: number): Promise<WindowDecision | null> {
  const name = `ingest:${projectId}`;
  // Requests that arrive while this isolate asks the limiter wait for its lease rather than each asking
  // (and each leasing: concurrent leases would be charged and then overwritten unspent).
  for (;;) {
    const fromLease = ingestLeases.spend(name, events, Date.now());
    if (fromLease) return fromLease;
    const pending = leaseCalls.get(name);
    if (!pending) break;
    await pending;
  }
  const call = askIngestLimiter(env, name, events);
  leaseCalls.set(name, call);
  try {
    return await call;
  } finally {
    if (leaseCalls.get(name) === call) leaseCalls.delete(name);
  }
}

/** The limiter calls this isolate has in flight, by limiter name (they never reject). */
const leaseCalls = new Map<string, Promise<WindowDecision | null>>();

async function askIngestLimiter(env: Env, name: string, events: number): Promise<WindowDecision | null> {
  const limit = readAccessConfig(env).ingestLimit;
  const returned = ingestLeases.takeBack(name);
  try {
    const grant = await withTimeout(() =>
      limiterStub(env, name).lease("events", limit, events, leaseExtra(limit), returned),
    );
    ingestLeases.hold(name, grant, Date.now(), leaseMs(limit));
    return grant.decision;
  } catch (err) {
    limiterFailures.ingestServedUnlimited++;
    logFailure("ingest", err);
    return null;
  }
}

const loginName = (projectId: string, email: string) => `login:${projectId}:${email}`;

/** Throws 429 when the email has used up its failed logins in the last 15 minutes. */
export async function checkLoginThrottle(env: Env, projectId: string, email: string): Promise<void> {
  const limit = readAccessConfig(env).loginFailures;
  let decision: WindowDecision;
  try {
    decision = await withTimeout(() => limiterStub(env, loginName(projectId, email)).peek("failures", limit));
  } catch (err) {
    limiterFailures.loginUnthrottled++;
    logFailure("login", err);
    return;
  }
  if (!decision.allowed)
    throw new TarnError("RATE_LIMITED", "too many failed sign-ins for this email; wait before trying again", {
      retryAfter: Math.max(1, Math.ceil(decision.retryAfterMs / 1000)),
    });
}

export async function recordLoginFailure(env: Env, projectId: string, email: string): Promise<void> {
  const limit = readAccessConfig(env).loginFailures;
  await withTimeout(() => limiterStub(env, loginName(projectId, email)).record("failures", limit)).catch((err) =>
    logFailure("login", err),
  );
}

export async function clearLoginFailures(env: Env, projectId: string, email: string): Promise<void> {
  await withTimeout(() => limiterStub(env, loginName(projectId, email)).clear("failures")).catch((err) =>
    logFailure("login", err),
  );
}
