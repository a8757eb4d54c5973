// Queue messages v2: events as positional arrays. The tuple decoder must accept exactly what the
// QueuedEvent schema accepts (the trust boundary it replaces on the hot path), and round-trip.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { eventFromTuple, eventTuple } from "../../shared/events/event-tuple";
import { QueuedEvent } from "../../shared/events/queue-message";
import { LAKE_COLUMNS } from "../../shared/lake/lake-row";

const text = fc.oneof(fc.string(), fc.constant(null));
const validEvent = fc.record({
  event_id: fc.string({ minLength: 1 }),
  event_type: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,40}$/).filter((s) => !/^\.+$/.test(s)),
  ts: fc.integer({ min: -1e15, max: 1e15 }),
  received_at: fc.integer({ min: 0, max: 1e15 }),
  user_id: text,
  session_id: text,
  correlation_id: text,
  source: text,
  version: text,
  environment: text,
  region: text,
  request_id: text,
  country: text,
  colo: text,
  payload: text,
  metadata: text,
});

/** Any JSON value a corrupted or foreign message might hold in one field. */
const anyField = fc.oneof(
  fc.string(),
  fc.constantFrom(
    "",
    ".",
    "..",
    "a b",
    "x".repeat(129),
    "x".repeat(128),
    "ok.type",
    "ünï",
    "a/b",
    "tab\there",
    "😀".repeat(64),
    "😀".repeat(65),
  ),
  fc.integer(),
  fc.double(),
  fc.constantFrom(null, true, false, Number.NaN, Number.POSITIVE_INFINITY),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 }),
);

function asObject(t: unknown[]): Record<string, unknown> {
  return Object.fromEntries(LAKE_COLUMNS.map((c, i) => [c.name, t[i]]));
}

describe("event tuples", () => {
  it("round-trip every valid event through JSON", () => {
    fc.assert(
      fc.property(validEvent, (e) => {
        expect(eventFromTuple(JSON.parse(JSON.stringify(eventTuple(e))))).toEqual(e);
      }),
      { numRuns: 300 },
    );
  });

  it("accept exactly what the QueuedEvent schema accepts, field by field", () => {
    fc.assert(
      fc.property(
        validEvent,
        fc.array(fc.tuple(fc.nat({ max: LAKE_COLUMNS.length - 1 }), anyField), { maxLength: 3 }),
        (e, corruptions) => {
          const t = eventTuple(e);
          for (const [i, v] of corruptions) t[i] = v;
          const decoded = eventFromTuple(t);
          const reference = QueuedEvent.safeParse(asObject(t));
          expect(typeof decoded !== "string").toBe(reference.success);
          if (reference.success) expect(decoded).toEqual(reference.data);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("name what is wrong with arrays of another shape", () => {
    expect(eventFromTuple({ event_id: "a" })).toMatch(/array of 16 fields/);
    expect(eventFromTuple(["a", "b", 1, 2])).toMatch(/array of 16 fields/);
    const t = eventTuple(fc.sample(validEvent, 1)[0] as QueuedEvent);
    t[2] = 1.5;
    expect(eventFromTuple(t)).toBe("ts must be a safe integer");
    t[2] = 1;
    t[9] = 7;
    expect(eventFromTuple(t)).toBe("environment must be text or null");
  });
});
