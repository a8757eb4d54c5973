// Within one isolate, landing comes before compaction. Both are queue consumers, and when they share
// an isolate (always under `wrangler dev`, sometimes on Cloudflare) a compaction's decoding and
// encoding hold the thread while accepted events wait to become visible in SQL. So the lake writer
// marks its batches in flight, and compaction waits at its step boundaries while one is, or while
// one ended moments ago (under load the next batch follows within the queue's batch timeout, and a
// busy thread is what keeps it from being delivered). The wait is bounded: freshness first, and
// compaction is delayed, never starved.

/** After a batch ends, how long landing counts as still going (the events queue's batch timeout is 0.2 s). */
export const LANDING_RECENT_MS = 500;

/**
 * The longest a background step (a compaction's input or output, the Iceberg sync after a job) waits
 * for landing: under steady ingest it still takes a step this often.
 */
export const BACKGROUND_MAX_WAIT_MS = 1000;

let inFlight = 0;
let lastEnded = Number.NEGATIVE_INFINITY;

/** Runs one landing batch, marked in flight for its whole duration. */
export async function landing<T>(work: () => Promise<T>): Promise<T> {
  inFlight++;
  try {
    return await work();
  } finally {
    inFlight--;
    lastEnded = Date.now();
  }
}

/** Landing batches in flight in this isolate now. */
export function landingInFlight(): number {
  return inFlight;
}

/**
 * Resolves once landing in this isolate is neither in flight nor recent (LANDING_RECENT_MS), or after
 * `maxWaitMs` if batches keep coming (a compaction under steady ingest still moves, one step per wait).
 * No need to wake at a batch's end: the quiet time after it is waited for anyway.
 */
export async function afterLanding(maxWaitMs: number): Promise<void> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const now = Date.now();
    const quietFor = inFlight > 0 ? 0 : now - lastEnded;
    if (quietFor >= LANDING_RECENT_MS || now >= deadline) return;
    await new Promise((r) => setTimeout(r, Math.min(LANDING_RECENT_MS - quietFor, deadline - now)));
  }
}
