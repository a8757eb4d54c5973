// Live end to end against a real `wrangler dev`: dashboard WebSockets see every event of their project,
// counted once, within a second of ingest; projects never see each other; a fan-out tree of hubs (2
// sockets a hub here) reaches every viewer; an alert's webhook reaches a real local HTTP server, signed,
// and is retried after a failure.
import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyWebhook } from "../../shared/live/webhook-signature";
import { type ApiInit, type DevServer, startDevServer } from "./server";

let server: DevServer;

beforeAll(async () => {
  // A tiny hub capacity puts every socket beyond the second through the fan-out tree.
  server = await startDevServer([
    "--var",
    "LIVE_HUB_CAPACITY:2",
    "--var",
    "LIVE_HUB_FANOUT:2",
    "--var",
    "LIVE_ALLOWED_LATENESS_MS:1000",
  ]);
});
afterAll(async () => {
  await server?.stop();
});

function api(route: string, init?: ApiInit) {
  return server.api(route, init);
}

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

async function newProject(name: string) {
  const { admin_key: admin } = await json<{ admin_key: string }>(
    await api("/v1/projects", { method: "POST", token: server.adminKey, json: { name } }),
    201,
  );
  const key = async (scope: string) =>
    (
      await json<{ key: string }>(
        await api("/v1/keys", { method: "POST", token: admin, json: { name: scope, scopes: [scope] } }),
        201,
      )
    ).key;
  return { admin, ingest: await key("ingest"), query: await key("query") };
}

interface Frame {
  type: string;
  stream?: string;
  window?: { start: string; size: string };
  data?: { count: number; by_event_type?: Record<string, number> };
  rev?: number;
  windows?: {
    window: { start: string; size: string };
    data: { count: number; by_event_type: Record<string, number> };
    rev: number;
  }[];
  [k: string]: unknown;
}

/** A dashboard: keeps the highest-rev state of every window it is told about, as API.md asks. */
class Dashboard {
  readonly frames: Frame[] = [];
  readonly windows = new Map<string, { rev: number; count: number; types: Record<string, number> }>();
  private listeners: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.addEventListener("message", (e) => {
      const f = JSON.parse(String(e.data)) as Frame;
      this.frames.push(f);
      const put = (start: string, rev: number, data: { count: number; by_event_type?: Record<string, number> }) => {
        const cur = this.windows.get(start);
        if (!cur || cur.rev < rev) this.windows.set(start, { rev, count: data.count, types: data.by_event_type ?? {} });
      };
      if ((f.type === "update" || f.type === "correction") && f.window && f.data)
        put(f.window.start, f.rev ?? 0, f.data);
      if (f.type === "snapshot") for (const w of f.windows ?? []) put(w.window.start, w.rev, w.data);
      for (const l of this.listeners) l();
    });
  }

  static open(token: string, query = ""): Promise<Dashboard> {
    const ws = new WebSocket(`${server.url.replace("http", "ws")}/v1/live?token=${token}${query}`);
    return new Promise((resolve, reject) => {
      ws.addEventListener("open", () => resolve(new Dashboard(ws)), { once: true });
      ws.addEventListener("error", () => reject(new Error("socket failed to open")), { once: true });
    });
  }

  total(): number {
    let n = 0;
    for (const w of this.windows.values()) n += w.count;
    return n;
  }

  types(): Set<string> {
    const s = new Set<string>();
    for (const w of this.windows.values()) for (const t of Object.keys(w.types)) s.add(t);
    return s;
  }

  /** Resolves when `pred` holds, checked on every frame; rejects after `timeoutMs`. */
  until(pred: () => boolean, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (pred()) return resolve();
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== check);
        reject(new Error(`timed out after ${timeoutMs} ms (total ${this.total()})`));
      }, timeoutMs);
      const check = () => {
        if (!pred()) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        resolve();
      };
      this.listeners.push(check);
    });
  }

  async first(type: string, timeoutMs = 10_000): Promise<Frame> {
    await this.until(() => this.frames.some((f) => f.type === type), timeoutMs);
    return this.frames.find((f) => f.type === type) as Frame;
  }

  close(): void {
    this.ws.close(1000);
  }
}

function events(prefix: string, type: string, n: number) {
  return Array.from({ length: n }, (_, i) => ({ eventType: type, eventId: `${prefix}-${i}`, userId: `u${i % 7}` }));
}

async function send(ingest: string, body: unknown[]): Promise<number> {
  const receipt = await json<{ accepted: number }>(
    await api("/v1/events", { method: "POST", token: ingest, json: body }),
    202,
  );
  return receipt.accepted;
}

const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length * 0.95) - 1] as number;

describe("live dashboards (real wrangler dev)", () => {
  it("see every event of their project, counted once, within a second of ingest; never another project's", async () => {
    const a = await newProject("live-e2e-a");
    const b = await newProject("live-e2e-b");
    const da = await Dashboard.open(a.query, "&subscribe=events:1m");
    const db = await Dashboard.open(b.query, "&subscribe=events:1m");
    await da.first("snapshot");
    await db.first("snapshot");

    const latencies: number[] = [];
    let expectedA = 0;
    let expectedB = 0;
    for (let r = 0; r < 20; r++) {
      const batch = events(`a${r}`, "a.click", 25 + r);
      const started = performance.now();
      const target = expectedA + batch.length;
      const seen = da.until(() => da.total() >= target, 10_000);
      expectedA += await send(a.ingest, batch);
      await seen;
      latencies.push(performance.now() - started);
      expectedB += await send(b.ingest, events(`b${r}`, "b.view", 10));
      if (r % 5 === 4) {
        // A producer retry of an earlier request: every event is a duplicate and must not count again.
        expect(await send(a.ingest, events(`a${r}`, "a.click", 25 + r))).toBe(25 + r);
      }
      await new Promise((res) => setTimeout(res, 100));
    }
    await db.until(() => db.total() >= expectedB, 10_000);
    // Let duplicates and stragglers land; the counts must not move.
    await new Promise((res) => setTimeout(res, 3000));
    expect(da.total()).toBe(expectedA);
    expect(db.total()).toBe(expectedB);
    expect([...da.types()]).toEqual(["a.click"]);
    expect([...db.types()]).toEqual(["b.view"]);
    const sorted = [...latencies].sort((x, y) => x - y);
    console.log(
      `ingest → WebSocket (ms): p50 ${sorted[Math.floor(sorted.length / 2)]?.toFixed(0)}, p95 ${p95(latencies).toFixed(0)}, max ${sorted.at(-1)?.toFixed(0)}`,
    );
    expect(p95(latencies)).toBeLessThanOrEqual(1000);
    da.close();
    db.close();
  });

  it("reach every viewer through the fan-out tree of hubs, each update once", async () => {
    const p = await newProject("live-e2e-tree");
    const viewers = await Promise.all(Array.from({ length: 7 }, () => Dashboard.open(p.query, "&subscribe=events:1h")));
    await Promise.all(viewers.map((v) => v.first("snapshot")));
    const sent = await send(p.ingest, events("tree", "t.x", 40));
    await Promise.all(viewers.map((v) => v.until(() => v.total() === sent, 5000)));
    for (const v of viewers) {
      const updates = v.frames.filter((f) => f.type === "update").map((f) => f.rev);
      expect(new Set(updates).size).toBe(updates.length); // no frame twice
      v.close();
    }
  });

  it("refuse a socket without a valid token", async () => {
    const ws = new WebSocket(`${server.url.replace("http", "ws")}/v1/live?token=tk_nope`);
    const outcome = await new Promise<string>((resolve) => {
      ws.addEventListener("open", () => resolve("open"));
      ws.addEventListener("error", () => resolve("error"));
    });
    expect(outcome).toBe("error");
  });
});

describe("alerts (real wrangler dev)", () => {
  let hook: Server;
  const received: { headers: IncomingMessage["headers"]; body: string; at: number }[] = [];
  let hookUrl = "";

  beforeAll(async () => {
    let calls = 0;
    hook = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        received.push({ headers: req.headers, body, at: Date.now() });
        calls++;
        // The first delivery fails, so the queue must retry it.
        res.writeHead(calls === 1 ? 500 : 204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", () => r()));
    const addr = hook.address();
    hookUrl = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}/hook`;
  });
  afterAll(async () => {
    await new Promise((r) => hook?.close(r));
  });

  it("fire on a closed window, record history, push an alert frame, and deliver a signed webhook with a retry", async () => {
    const p = await newProject("live-e2e-alert");
    const created = await json<{ id: string; webhook_secret: string }>(
      await api("/v1/alerts", {
        method: "POST",
        token: p.admin,
        json: {
          name: "burst",
          metric: "events",
          window: "1s",
          value: "count",
          condition: { kind: "threshold", op: ">=", value: 5 },
          webhook_url: hookUrl,
        },
      }),
      201,
    );
    expect(created.webhook_secret).toMatch(/^whsec_/);
    const dash = await Dashboard.open(p.query, "&subscribe=alerts");
    await dash.first("subscribed");
    await send(p.ingest, events("burst", "x.y", 12));

    const alert = await dash.first("alert", 20_000);
    expect(alert.alert).toMatchObject({ id: created.id, name: "burst", status: "firing", value: 12 });
    const eventId = (alert.alert as { event_id: string }).event_id;
    const firing = () => received.filter((r) => r.headers["x-tarn-event-id"] === eventId);

    // The next, empty window resolves the alert: that is a second event with its own webhook.
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 30_000;
      const tick = () => {
        if (firing().length >= 2) return resolve();
        if (Date.now() > deadline) return reject(new Error(`webhook deliveries: ${JSON.stringify(received)}`));
        setTimeout(tick, 100);
      };
      tick();
    });
    const [first, second] = firing();
    expect(received[0]?.headers["x-tarn-event-id"]).toBe(eventId); // the failed first try was this one
    expect(second?.body).toBe(first?.body);
    expect(second?.headers["x-tarn-delivery-attempt"]).toBe("2");
    const body = JSON.parse(second?.body ?? "{}");
    expect(body).toMatchObject({ type: "alert.firing", alert: { id: created.id }, value: 12 });
    expect(
      await verifyWebhook(created.webhook_secret, second?.body ?? "", String(second?.headers["x-tarn-signature"])),
    ).toBe(true);
    expect(await verifyWebhook("whsec_wrong", second?.body ?? "", String(second?.headers["x-tarn-signature"]))).toBe(
      false,
    );

    const deadline = Date.now() + 10_000;
    for (;;) {
      const history = await json<{ events: { id: string; status: string; delivery: string; attempts: number }[] }>(
        await api(`/v1/alerts/${created.id}/history`, { token: p.query }),
      );
      const fired = history.events.find((e) => e.id === eventId);
      if (fired?.delivery === "delivered") {
        expect(fired).toMatchObject({ status: "firing", attempts: 2 });
        expect(history.events.map((e) => e.status)).toContain("resolved");
        break;
      }
      if (Date.now() > deadline) throw new Error(`history: ${JSON.stringify(history)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    dash.close();
  });
});
