// Live sockets check the permission table, and close within 5 seconds when their credential stops working.
import { describe, expect, it } from "vitest";
import { createUser, login } from "./access-helpers";
import { call, createKey, createProject } from "./helpers";
import { openSocket } from "./live-helpers";

function closed(ws: WebSocket): Promise<{ code: number; at: number }> {
  return new Promise((resolve) => ws.addEventListener("close", (e) => resolve({ code: e.code, at: Date.now() })));
}

describe("live sockets and revocation", () => {
  it("admits a viewer's token (read) and closes the socket within 5 s after the user is disabled", async () => {
    const p = await createProject("sock-user");
    const u = await createUser(p.adminKey, "dash@example.com", "viewer");
    const s = await openSocket(await login(p.id, "dash@example.com"));
    s.send({ action: "subscribe", stream: "events", window: "1m" });
    await s.next((f) => f.type === "subscribed");
    const done = closed(s.ws);
    const start = Date.now();
    expect(
      (await call(`/v1/users/${u.id}`, { method: "PATCH", token: p.adminKey, json: { disabled: true } })).status,
    ).toBe(200);
    const { code, at } = await done;
    expect(code).toBe(1008);
    expect(at - start).toBeLessThan(5000);
    expect(s.frames.some((f) => f.type === "error" && (f.error as { code: string }).code === "UNAUTHORIZED")).toBe(
      true,
    );
  });

  it("closes the sockets of a revoked key within 5 s and leaves other sockets open", async () => {
    const p = await createProject("sock-key");
    const { key, id } = await createKey(p.adminKey, ["query"]);
    const { key: other } = await createKey(p.adminKey, ["query"]);
    const revoked = await openSocket(key);
    const kept = await openSocket(other);
    let keptClosed = false;
    kept.ws.addEventListener("close", () => {
      keptClosed = true;
    });
    const done = closed(revoked.ws);
    const start = Date.now();
    expect((await call(`/v1/keys/${id}`, { method: "DELETE", token: p.adminKey })).status).toBe(204);
    expect((await done).at - start).toBeLessThan(5000);
    kept.send({ action: "ping" });
    await kept.next((f) => f.type === "pong");
    expect(keptClosed).toBe(false);
    kept.close();
  });

  it("refuses a socket to a principal without the read permission (an ingest key)", async () => {
    const p = await createProject("sock-deny");
    const { key } = await createKey(p.adminKey, ["ingest"]);
    await expect(openSocket(key)).rejects.toThrow(/403/);
  });
});
