// The edge's contract step, for every ingest route: each envelope-valid event against its event
// type's contract in force, with a verdict naming the path, keyword and version of a violation.
import { drizzle } from "drizzle-orm/d1";
import type { Violation } from "../../shared/contracts/verdict";
import type { EventRejection } from "../../shared/events/envelope";
import type { QueuedEvent } from "../../shared/events/queue-message";
import { type ActiveContract, activeContracts } from "../contracts/registry";
import { countStatement } from "../contracts/store";

export interface IndexedEvent {
  /** The event's position in the request, as the receipt reports it. */
  index: number;
  event: QueuedEvent;
  /** data.payload as the request parsed it, when at hand (saves parsing `event.payload` again). */
  payload?: unknown;
}

export interface ContractRejection {
  index: number;
  event: QueuedEvent;
  rejection: EventRejection & { code: "CONTRACT_VIOLATION" };
}

export interface ContractOutcome {
  accepted: IndexedEvent[];
  rejected: ContractRejection[];
  /** Accepted under `warn` although they violate the contract. */
  warnings: { index: number; message: string; details: Omit<Violation, "message"> }[];
}

interface Counts {
  checked: number;
  rejected: number;
  warned: number;
  wouldReject: number;
  samples: unknown[];
}

const MAX_SAMPLES = 10;
/** Counters wait this long in the isolate before one D1 write adds them all (not one write per request). */
const FLUSH_AFTER_MS = 1000;

/** This isolate's counters not yet written, by project, event type and version. */
const pending = new Map<string, { db: D1Database; projectId: string; type: string; version: number; counts: Counts }>();
let flushScheduled = false;

async function flushCounts(): Promise<void> {
  flushScheduled = false;
  const entries = [...pending.values()];
  pending.clear();
  if (entries.length === 0) return;
  const db = entries[0]?.db as D1Database;
  const statements = entries.map((e) => countStatement(e.db, e.projectId, e.type, e.version, e.counts));
  const [first, ...rest] = statements;
  await drizzle(db)
    .batch([first as (typeof statements)[number], ...rest])
    .catch((err) =>
      console.error(JSON.stringify({ level: "error", msg: "contract counters not written", error: String(err) })),
    );
}

/**
 * Adds a request's counters to the isolate's pending ones; the first request of a quiet second
 * schedules one write of everything a second later (kept alive by `waitUntil`). Counters are
 * monitoring: an isolate that dies in that second loses its last second of counts.
 */
function addCounts(
  db: D1Database,
  projectId: string,
  counts: Map<string, Counts>,
  waitUntil: (p: Promise<unknown>) => void,
) {
  for (const [key, c] of counts) {
    const [type, version] = key.split("\u0000") as [string, string];
    const id = `${projectId}\u0000${key}`;
    const known = pending.get(id);
    if (!known) {
      pending.set(id, { db, projectId, type, version: Number(version), counts: c });
      continue;
    }
    const k = known.counts;
    k.checked += c.checked;
    k.rejected += c.rejected;
    k.warned += c.warned;
    k.wouldReject += c.wouldReject;
    k.samples.push(...c.samples.slice(0, Math.max(0, MAX_SAMPLES - k.samples.length)));
  }
  if (counts.size > 0 && !flushScheduled) {
    flushScheduled = true;
    waitUntil(new Promise((r) => setTimeout(r, FLUSH_AFTER_MS)).then(flushCounts));
  }
}

function parsePayload(text: string | null): unknown {
  if (text === null) return {};
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const details = (v: Violation) => ({ path: v.path, keyword: v.keyword, contract_version: v.contract_version });

/**
 * Applies the project's contracts to envelope-valid events. Events of types without a contract
 * pass untouched (their payload is not even parsed). Counters (checked, rejected, warned, canary
 * would-reject with samples) are written after the response through `waitUntil`.
 */
export async function checkContracts(
  env: Pick<Env, "DB">,
  projectId: string,
  events: IndexedEvent[],
  options: { ttlMs: number; waitUntil: (p: Promise<unknown>) => void },
): Promise<ContractOutcome> {
  const outcome: ContractOutcome = { accepted: [], rejected: [], warnings: [] };
  if (events.length === 0) return outcome;
  const active = await activeContracts(
    env.DB,
    projectId,
    events.map((e) => e.event.event_type),
    options.ttlMs,
  );
  if (active.size === 0) {
    outcome.accepted = events;
    return outcome;
  }
  const counts = new Map<string, Counts>();
  const count = (type: string, version: number) => {
    const key = `${type}\u0000${version}`;
    const known = counts.get(key);
    if (known) return known;
    const fresh: Counts = { checked: 0, rejected: 0, warned: 0, wouldReject: 0, samples: [] };
    counts.set(key, fresh);
    return fresh;
  };
  for (const item of events) {
    const contract: ActiveContract | undefined = active.get(item.event.event_type);
    if (!contract || (!contract.enforced && !contract.observed)) {
      outcome.accepted.push(item);
      continue;
    }
    const payload = item.payload !== undefined ? item.payload : parsePayload(item.event.payload);
    // warn, or a canary over a version that was itself only warning: violations are counted, not rejected.
    const warnOnly = contract.mode === "warn" || contract.enforced?.mode === "warn";
    let violation: Violation | null = null;
    if (contract.enforced) {
      const c = count(item.event.event_type, contract.enforced.compiled.version);
      c.checked++;
      violation = contract.enforced.compiled.check(payload);
      if (violation) {
        if (warnOnly) c.warned++;
        else c.rejected++;
      }
    }
    if (contract.observed) {
      const c = count(item.event.event_type, contract.observed.compiled.version);
      c.checked++;
      const would = contract.observed.compiled.check(payload);
      if (would) {
        c.wouldReject++;
        if (c.samples.length < MAX_SAMPLES)
          c.samples.push({ event_id: item.event.event_id, ...details(would), message: would.message });
      }
    }
    if (violation && !warnOnly) {
      outcome.rejected.push({
        index: item.index,
        event: item.event,
        rejection: {
          index: item.index,
          code: "CONTRACT_VIOLATION",
          message: violation.message,
          details: details(violation),
        },
      });
    } else {
      if (violation)
        outcome.warnings.push({ index: item.index, message: violation.message, details: details(violation) });
      outcome.accepted.push(item);
    }
  }
  addCounts(env.DB, projectId, counts, options.waitUntil);
  return outcome;
}
