// The fan-out tree: the root hub seats sockets by capacity, relays every update down to each hub once,
// and frees seats when sockets close.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { hubStub } from "../../services/stubs/live-hub";
import type { UpdateFrame } from "../../shared/live/frames";
import { CONNECT_HEADERS } from "../../shared/live/live-rpc";
import { eventually } from "./live-helpers";

async function connect(project: string, capacity: number) {
  const index = await hubStub(env, project, 0).assign(project, capacity);
  const res = await hubStub(env, project, index).fetch("https://live-hub/connect", {
    headers: {
      Upgrade: "websocket",
      [CONNECT_HEADERS.project]: project,
      [CONNECT_HEADERS.hub]: String(index),
      [CONNECT_HEADERS.key]: "key_test",
      [CONNECT_HEADERS.subscribe]: JSON.stringify([{ stream: "alerts" }]),
    },
  });
  const ws = res.webSocket;
  if (!ws) throw new Error(`no socket: ${res.status}`);
  const frames: string[] = [];
  ws.accept();
  ws.addEventListener("message", (e) => {
    frames.push(e.data as string);
  });
  return { index, ws, frames };
}

const frame: UpdateFrame = {
  type: "update",
  stream: "events",
  window: { start: "2026-11-22T00:00:00.000Z", end: "2026-11-22T00:01:00.000Z", size: "1m" },
  data: { count: 1, by_event_type: { a: 1 } },
  final: false,
  rev: 1,
  timestamp: "2026-11-22T00:00:01.000Z",
};

describe("the hub fan-out tree", () => {
  it("seats sockets hub by hub at the capacity, and every socket gets each update exactly once", async () => {
    const p = `prj_tree_${crypto.randomUUID().slice(0, 8)}`;
    const sockets: Awaited<ReturnType<typeof connect>>[] = [];
    for (let i = 0; i < 7; i++) sockets.push(await connect(p, 2));
    expect(sockets.map((s) => s.index)).toEqual([0, 0, 1, 1, 2, 2, 3]);
    const root = hubStub(env, p, 0);
    expect(await root.hubs()).toEqual([
      { index: 0, sockets: 2 },
      { index: 1, sockets: 2 },
      { index: 2, sockets: 2 },
      { index: 3, sockets: 1 },
    ]);
    await eventually(() => expect(sockets.every((s) => s.frames.some((f) => f.includes('"subscribed"')))).toBe(true));

    const delivered = await root.publish(p, [{ keys: ["alerts", "events:1m"], frame }]);
    expect(delivered).toBe(7);
    await eventually(() => {
      for (const s of sockets) expect(s.frames.filter((f) => f.includes('"update"'))).toEqual([JSON.stringify(frame)]);
    });

    sockets[2]?.ws.close(1000, "bye");
    await eventually(async () => expect((await root.hubs())[1]).toEqual({ index: 1, sockets: 1 }));
    expect((await connect(p, 2)).index).toBe(1); // the freed seat is reused before a new hub
  });

  it("refuses to serve a socket or an update for another project", async () => {
    const p = `prj_own_${crypto.randomUUID().slice(0, 8)}`;
    await connect(p, 10);
    const res = await hubStub(env, p, 0).fetch("https://live-hub/connect", {
      headers: { Upgrade: "websocket", [CONNECT_HEADERS.project]: "prj_other", [CONNECT_HEADERS.hub]: "0" },
    });
    expect(res.status).toBe(403);
    expect(await hubStub(env, p, 0).publish("prj_other", [{ keys: ["alerts"], frame }])).toBe(0);
  });
});
