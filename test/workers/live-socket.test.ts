// GET /v1/live: authentication, subscribe/unsubscribe, snapshots, updates, filters, caps, errors,
// ping/pong, project isolation and hibernation, through the Worker and real Durable Objects.
import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hubStub } from "../../services/stubs/live-hub";
import { BASE, call, createKey, createProject, expectEnvelope } from "./helpers";
import { deliver, message } from "./lake-helpers";
import { eventsAt, openSocket } from "./live-helpers";

async function dashboard(prefix: string) {
  const project = await createProject(prefix);
  const { key } = await createKey(project.adminKey, ["query"]);
  return { ...project, key };
}

describe("GET /v1/live", () => {
  it("refuses a missing token (401), a key without the query scope (403) and a plain GET (400)", async () => {
    const upgrade = { Upgrade: "websocket" };
    const none = await exports.default.fetch(new Request(`${BASE}/v1/live`, { headers: upgrade }));
    expect(none.status).toBe(401);
    expect((await expectEnvelope(none)).code).toBe("UNAUTHORIZED");
    const p = await createProject("live-auth");
    const { key: ingest } = await createKey(p.adminKey, ["ingest"]);
    const forbidden = await exports.default.fetch(new Request(`${BASE}/v1/live?token=${ingest}`, { headers: upgrade }));
    expect(forbidden.status).toBe(403);
    const plain = await call(`/v1/live?token=${p.adminKey}`);
    expect(plain.status).toBe(400);
    expect((await expectEnvelope(plain)).code).toBe("VALIDATION_ERROR");
    const badSub = await exports.default.fetch(
      new Request(`${BASE}/v1/live?token=${p.adminKey}&subscribe=events:7s`, { headers: upgrade }),
    );
    expect(badSub.status).toBe(400);
  });

  it("takes the token from the Authorization header too", async () => {
    const d = await dashboard("live-header");
    const res = await exports.default.fetch(
      new Request(`${BASE}/v1/live`, { headers: { Upgrade: "websocket", Authorization: `Bearer ${d.key}` } }),
    );
    expect(res.status).toBe(101);
    res.webSocket?.accept();
    res.webSocket?.close(1000);
  });

  it("answers a subscribe with the last windows, then sends updates as batches land", async () => {
    const d = await dashboard("live-sub");
    const now = Date.now();
    await deliver([message(d.id, eventsAt(d.id, "before", 2, now - 1000))]);
    const s = await openSocket(d.key);
    s.send({ action: "subscribe", stream: "events", window: "1h" });
    expect(await s.next((f) => f.type === "subscribed")).toEqual({
      type: "subscribed",
      stream: "events",
      window: "1h",
      subscriptions: 1,
    });
    const snap = await s.next((f) => f.type === "snapshot");
    expect(snap).toMatchObject({ stream: "events", size: "1h", windows: [{ data: { count: 2 }, final: false }] });

    const seen = s.frames.length;
    await deliver([
      message(d.id, [...eventsAt(d.id, "after", 3, now), ...eventsAt(d.id, "s", 1, now, { event_type: "signup" })]),
    ]);
    const update = await s.next((f) => f.type === "update", { from: seen });
    expect(update).toMatchObject({
      type: "update",
      stream: "events",
      window: { size: "1h" },
      final: false,
      data: { count: 6, by_event_type: { "page.view": 5, signup: 1 } },
    });
    expect(s.frames.slice(seen).every((f) => f.type !== "update" || (f.window as { size: string }).size === "1h")).toBe(
      true,
    );
    s.close();
  });

  it("never shows a socket another project's windows", async () => {
    const a = await dashboard("live-iso-a");
    const b = await dashboard("live-iso-b");
    const sa = await openSocket(a.key, "&subscribe=events:1m");
    const sb = await openSocket(b.key, "&subscribe=events:1m");
    await sa.next((f) => f.type === "snapshot");
    await sb.next((f) => f.type === "snapshot");
    const now = Date.now();
    await deliver([message(a.id, eventsAt(a.id, "a", 4, now)), message(b.id, eventsAt(b.id, "b", 9, now))]);
    expect((await sa.next((f) => f.type === "update")).data).toMatchObject({ count: 4 });
    expect((await sb.next((f) => f.type === "update")).data).toMatchObject({ count: 9 });
    await new Promise((r) => setTimeout(r, 100));
    const counts = (s: typeof sa) =>
      s.frames.filter((f) => f.type === "update").map((f) => (f.data as { count: number }).count);
    expect(counts(sa)).toEqual([4]);
    expect(counts(sb)).toEqual([9]);
    sa.close();
    sb.close();
  });

  it("applies a subscription's filter, and stops sending after unsubscribe", async () => {
    const d = await dashboard("live-filter");
    const s = await openSocket(d.key);
    s.send({ action: "subscribe", stream: "events", window: "1m", filter: { event_types: ["signup"] } });
    await s.next((f) => f.type === "snapshot");
    const now = Date.now();
    await deliver([
      message(d.id, [...eventsAt(d.id, "p", 3, now), ...eventsAt(d.id, "s", 2, now, { event_type: "signup" })]),
    ]);
    expect((await s.next((f) => f.type === "update")).data).toEqual({ count: 2, by_event_type: { signup: 2 } });
    s.send({ action: "unsubscribe", stream: "events", window: "1m" });
    await s.next((f) => f.type === "unsubscribed");
    const seen = s.frames.length;
    await deliver([message(d.id, eventsAt(d.id, "later", 1, now))]);
    await new Promise((r) => setTimeout(r, 150));
    expect(s.frames.slice(seen).filter((f) => f.type === "update")).toEqual([]);
    s.close();
  });

  it("answers bad frames with error frames carrying the request id, and keeps the socket", async () => {
    const d = await dashboard("live-errors");
    const s = await openSocket(d.key);
    s.send("not json");
    const invalid = await s.next((f) => f.type === "error");
    expect(invalid.error).toMatchObject({ code: "INVALID_JSON", request_id: expect.any(String) });
    s.send({ action: "subscribe", stream: "events", window: "7s" });
    expect((await s.next((f) => f.type === "error", { from: 1 })).error).toMatchObject({
      code: "VALIDATION_ERROR",
      message: expect.stringContaining("window"),
    });
    s.send({ action: "subscribe", stream: "nosuchmetric", window: "1m" });
    expect((await s.next((f) => f.type === "error", { from: 2 })).error).toMatchObject({ code: "NOT_FOUND" });
    s.send({ action: "subscribe", stream: "events", window: "1s" });
    expect(await s.next((f) => f.type === "subscribed")).toMatchObject({ subscriptions: 1 });
    s.close();
  });

  it("caps subscriptions per socket (LIVE_MAX_SUBSCRIPTIONS, 20)", async () => {
    const d = await dashboard("live-cap");
    for (let i = 0; i < 7; i++) {
      const res = await call("/v1/metrics", {
        method: "POST",
        token: d.adminKey,
        json: { name: `m${i}`, windows: ["1s", "1m", "1h"] },
      });
      expect(res.status).toBe(201);
    }
    const s = await openSocket(d.key);
    for (let i = 0; i < 7; i++)
      for (const window of ["1s", "1m", "1h"]) s.send({ action: "subscribe", stream: `m${i}`, window, last: 0 });
    const error = await s.next((f) => f.type === "error", { timeoutMs: 10_000 });
    expect(error.error).toMatchObject({ code: "VALIDATION_ERROR", details: { limit: 20 } });
    // Snapshots are read concurrently, so the refusal may overtake earlier acknowledgements.
    await s.next((f) => f.type === "subscribed" && f.subscriptions === 20);
    await new Promise((r) => setTimeout(r, 100));
    expect(s.frames.filter((f) => f.type === "subscribed")).toHaveLength(20);
    expect(s.frames.filter((f) => f.type === "error")).toHaveLength(1);
    s.close();
  });

  it("answers pings without waking the hub's code", async () => {
    const d = await dashboard("live-ping");
    const s = await openSocket(d.key);
    s.send('{"action":"ping"}');
    expect(await s.next((f) => f.type === "pong")).toEqual({ type: "pong" });
    s.close();
  });

  it("keeps subscriptions through hibernation: tags, attachment and SQLite rebuild the fan-out", async () => {
    const d = await dashboard("live-hibernate");
    const s = await openSocket(d.key, "&subscribe=events:1m");
    await s.next((f) => f.type === "snapshot");
    s.send({ action: "subscribe", stream: "events", window: "1h" });
    await s.next((f) => f.type === "snapshot" && f.size === "1h");
    const hub = hubStub(env, d.id, 0);
    const tags = await runInDurableObject(hub, (_i, state) => state.getWebSockets().map((ws) => state.getTags(ws)));
    expect(tags).toEqual([[`p:${d.id}`, "s:events:1m"]]);

    await evictDurableObject(hub); // in-memory index gone; the socket hibernates
    await deliver([message(d.id, eventsAt(d.id, "h", 5, Date.now()))]);
    const sizes = new Set<string>();
    await s.next((f) => {
      if (f.type === "update") sizes.add((f.window as { size: string }).size);
      return sizes.size === 2;
    });
    expect([...sizes].sort()).toEqual(["1h", "1m"]);
    s.close();
  });
});
