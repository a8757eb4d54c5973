// Helpers for live tests inside workerd: dashboard sockets through the Worker, frame waits, events.
import { exports } from "cloudflare:workers";
import type { QueuedEvent } from "../../shared/events/queue-message";
import { BASE } from "./helpers";
import { queued } from "./lake-helpers";

export interface Frame {
  type: string;
  [k: string]: unknown;
}

export interface TestSocket {
  ws: WebSocket;
  frames: Frame[];
  send: (frame: unknown) => void;
  /** Resolves with the first frame (seen or to come) matching `pred`, after `from` frames. */
  next: (pred: (f: Frame) => boolean, opts?: { timeoutMs?: number; from?: number }) => Promise<Frame>;
  close: () => void;
}

/** Opens `GET /v1/live` as a dashboard would; `query` is appended to the URL. */
export async function openSocket(token: string, query = ""): Promise<TestSocket> {
  const res = await exports.default.fetch(
    new Request(`${BASE}/v1/live?token=${encodeURIComponent(token)}${query}`, { headers: { Upgrade: "websocket" } }),
  );
  if (res.status !== 101 || !res.webSocket) throw new Error(`no socket: ${res.status} ${await res.text()}`);
  const ws = res.webSocket;
  const frames: Frame[] = [];
  ws.accept();
  ws.addEventListener("message", (e) => {
    frames.push(JSON.parse(e.data as string) as Frame);
  });
  return {
    ws,
    frames,
    send: (frame) => ws.send(typeof frame === "string" ? frame : JSON.stringify(frame)),
    next: async (pred, { timeoutMs = 5000, from = 0 } = {}) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = frames.slice(from).find(pred);
        if (found) return found;
        if (Date.now() > deadline)
          throw new Error(`no matching frame in ${timeoutMs} ms; got ${JSON.stringify(frames).slice(0, 2000)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () => ws.close(1000, "done"),
  };
}

/** Waits until `fn` stops throwing. */
export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** `n` events of `type` at `ts` with ids from `prefix`. */
export function eventsAt(project: string, prefix: string, n: number, ts: number, extra: Partial<QueuedEvent> = {}) {
  return Array.from({ length: n }, (_, i) => queued(project, `${prefix}-${i}`, { ts, received_at: ts, ...extra }));
}

/** A timestamp inside the 1-minute window that started `minutesAgo` minutes ago (closed by now). */
export function closedMinute(minutesAgo = 3, offsetMs = 1500): number {
  const m = 60_000;
  return Math.floor((Date.now() - minutesAgo * m) / m) * m + offsetMs;
}
