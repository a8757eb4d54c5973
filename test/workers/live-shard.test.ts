// The consumer → WindowShard path: partials merged once per commit, windows closed on the alarm with
// a watermark, late events corrected, shards that forget deleted metrics; all against real bindings.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { windowStub } from "../../services/stubs/window-shard";
import type { ApplyBatch } from "../../shared/live/live-rpc";
import { EVENTS_METRIC, MetricDefinitionSchema } from "../../shared/live/metric-def";
import { computePartials } from "../../shared/live/partials";
import { createKey, createProject } from "./helpers";
import { deliver, message } from "./lake-helpers";
import { closedMinute, eventsAt, openSocket } from "./live-helpers";

const minuteOf = (ts: number) => new Date(Math.floor(ts / 60_000) * 60_000).toISOString();

function batch(project: string, commitId: string, events: ReturnType<typeof eventsAt>): ApplyBatch {
  return { commitId, project, metric: EVENTS_METRIC, windows: computePartials(EVENTS_METRIC, events) };
}

describe("the window shard", () => {
  it("counts the events of a consumer batch once, even when the queue delivers the batch again", async () => {
    const { id: p } = await createProject("live-once");
    const ts = Date.now() - 2_000;
    const msg = message(p, [...eventsAt(p, "a", 3, ts), ...eventsAt(p, "b", 2, ts, { event_type: "signup" })]);
    await deliver([msg]);
    await deliver([{ ...msg, attempts: 2 }]);
    await deliver([message(p, eventsAt(p, "a", 3, ts))]); // same ids from another request: duplicates
    const [w] = (await windowStub(env, p, "events").recent("1m", 5)) ?? [];
    expect(w?.data).toEqual({ count: 5, by_event_type: { "page.view": 3, signup: 2 } });
  });

  it("applies one commit id once, however often the call is repeated", async () => {
    const p = `prj_${crypto.randomUUID().slice(0, 8)}`;
    const stub = windowStub(env, p, "events");
    const b = batch(p, "commit-1", eventsAt(p, "x", 4, Date.now()));
    expect((await stub.apply(b)).applied).toBe(true);
    expect((await stub.apply(b)).applied).toBe(false);
    const [w] = (await stub.recent("1h", 1)) ?? [];
    expect(w?.data.count).toBe(4);
  });

  it("closes windows on its alarm once the watermark (now − 5 s lateness) passes their end", async () => {
    const p = `prj_${crypto.randomUUID().slice(0, 8)}`;
    const stub = windowStub(env, p, "events");
    const old = closedMinute(3);
    await stub.apply(batch(p, "c-old", eventsAt(p, "o", 2, old)));
    await stub.apply(batch(p, "c-new", eventsAt(p, "n", 1, Date.now() + 60_000)));
    await runDurableObjectAlarm(stub);
    const minutes = (await stub.recent("1m", 10)) ?? [];
    expect(minutes.map((w) => [w.window.start, w.final])).toEqual([
      [minuteOf(old), true],
      [minuteOf(Date.now() + 60_000), false],
    ]);
    expect((await stub.closedWindows("1s", 0, Date.now(), 10))?.map((w) => w.data.count)).toEqual([2]);
    // The next alarm is the earliest end of a still-open window plus the lateness, never earlier.
    const { alarm, earliest } = await runInDurableObject(stub, async (_i, state) => ({
      alarm: await state.storage.getAlarm(),
      earliest: state.storage.sql.exec<{ e: number }>("SELECT min(end_ms) AS e FROM windows WHERE closed = 0").one().e,
    }));
    expect(alarm).toBe(earliest + 5000);
  });

  it("stores a window first seen after the watermark passed it as final at once, without waiting for the alarm", async () => {
    const p = `prj_${crypto.randomUUID().slice(0, 8)}`;
    const stub = windowStub(env, p, "events");
    const old = closedMinute(30); // a backfill: its minute ended long ago
    await stub.apply(batch(p, "c-backfill", eventsAt(p, "b", 3, old)));
    const [w] = (await stub.recent("1m", 1)) ?? [];
    expect([w?.window.start, w?.final, w?.data.count, w?.rev]).toEqual([minuteOf(old), true, 3, 1]);
    // Nothing that has ended is left for the alarm to close (the hour may still be open); later
    // events for the minute are corrections of a final window.
    const open = await runInDurableObject(
      stub,
      async (_i, state) =>
        state.storage.sql
          .exec<{ n: number }>("SELECT count(*) AS n FROM windows WHERE closed = 0 AND end_ms <= ?", Date.now() - 5000)
          .one().n,
    );
    expect(open).toBe(0);
    const result = await stub.apply(batch(p, "c-more", eventsAt(p, "m", 1, old)));
    expect(result.corrections).toBeGreaterThan(0);
  });

  it("counts a late event into its closed window and sends a correction frame", async () => {
    const { id: p, adminKey } = await createProject("live-late");
    const { key } = await createKey(adminKey, ["query"]);
    const old = closedMinute(4);
    await deliver([message(p, eventsAt(p, "on-time", 2, old))]);
    const stub = windowStub(env, p, "events");
    await runDurableObjectAlarm(stub);
    const socket = await openSocket(key);
    socket.send({ action: "subscribe", stream: "events", window: "1m", last: 5 });
    const snap = await socket.next((f) => f.type === "snapshot");
    expect(snap.windows).toEqual([
      expect.objectContaining({ final: true, data: { count: 2, by_event_type: { "page.view": 2 } } }),
    ]);

    await deliver([message(p, eventsAt(p, "late", 1, old + 10))]);
    const correction = await socket.next((f) => f.type === "correction");
    expect(correction).toMatchObject({
      stream: "events",
      window: { start: minuteOf(old), size: "1m" },
      final: true,
      data: { count: 3 },
    });
    expect(correction.rev).toBeGreaterThan((snap.windows as { rev: number }[])[0]?.rev ?? 0);
    socket.close();
  });

  it("does not count events older than the windows it keeps (they are in the lake)", async () => {
    const p = `prj_${crypto.randomUUID().slice(0, 8)}`;
    const stub = windowStub(env, p, "events");
    const twoHoursAgo = Date.now() - 2 * 3_600_000;
    const result = await stub.apply(batch(p, "c-ancient", eventsAt(p, "z", 3, twoHoursAgo)));
    expect(result.tooLate).toBe(3); // 1 s windows are kept for an hour; minutes and hours still count them
    expect(await stub.recent("1s", 5)).toEqual([]);
    expect((await stub.recent("1m", 5))?.[0]?.data.count).toBe(3);
    expect((await stub.recent("1h", 5))?.[0]?.data.count).toBe(3);
  });

  it("forgets a deleted metric and refuses its straggling partials, but takes a re-created one", async () => {
    const p = `prj_${crypto.randomUUID().slice(0, 8)}`;
    const def = MetricDefinitionSchema.parse({ name: "checkout", windows: ["1m"] });
    const v1 = { ...def, id: "met_v1" };
    const stub = windowStub(env, p, "checkout");
    const events = eventsAt(p, "c", 2, Date.now());
    const apply = (id: string, metric: typeof v1) =>
      stub.apply({ commitId: id, project: p, metric, windows: computePartials(metric, events) });
    expect((await apply("k1", v1)).applied).toBe(true);
    await stub.configure(p, null);
    expect(await stub.recent("1m", 5)).toBeNull();
    expect((await apply("k2", v1)).applied).toBe(false);
    const v2 = { ...def, id: "met_v2" };
    await stub.configure(p, v2);
    expect(await stub.recent("1m", 5)).toEqual([]);
    expect((await apply("k3", v2)).applied).toBe(true);
    expect((await stub.recent("1m", 5))?.[0]?.data.count).toBe(2);
  });

  it("keeps its windows in SQLite, so a fresh instance answers the same", async () => {
    const p = `prj_${crypto.randomUUID().slice(0, 8)}`;
    const stub = windowStub(env, p, "events");
    await stub.apply(batch(p, "c-1", eventsAt(p, "s", 7, Date.now())));
    const rows = await runInDurableObject(stub, (_i, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM windows").one(),
    );
    expect(rows.n).toBe(3);
  });
});
