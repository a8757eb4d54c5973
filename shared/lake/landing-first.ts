// Within one isolate, landing comes before compaction. Both are queue consumers, and when they share
// an isolate (always under `wrangler dev`, sometimes on Cloudflare) a compaction's decoding and
// encoding hold the thread while a batch of accepted events waits to become visible in SQL. So the
// lake writer marks its batches in flight, and compaction waits at its step boundaries until none
// is, for a bounded time: freshness first, and compaction is delayed, never starved.

let inFlight = 0;
let waiters: (() => void)[] = [];

/** Runs one landing batch, marked in flight for its whole duration. */
export async function landing<T>(work: () => Promise<T>): Promise<T> {
  inFlight++;
  try {
    return await work();
  } finally {
    inFlight--;
    if (inFlight === 0) {
      const woken = waiters;
      waiters = [];
      for (const wake of woken) wake();
    }
  }
}

/** Landing batches in flight in this isolate now. */
export function landingInFlight(): number {
  return inFlight;
}

/**
 * Resolves when no landing batch is in flight in this isolate, or after `maxWaitMs` if batches keep
 * coming (a compaction under steady ingest still moves, one step per wait at least).
 */
export function afterLanding(maxWaitMs: number): Promise<void> {
  if (inFlight === 0) return Promise.resolve();
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = () => {
      clearTimeout(timer);
      waiters = waiters.filter((w) => w !== done);
      resolve();
    };
    timer = setTimeout(done, maxWaitMs);
    waiters.push(done);
  });
}
