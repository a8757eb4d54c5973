// Live tiles: one WebSocket per open dashboard, subscribed to each metric tile's stream and window.
// Snapshots fill a tile, updates and corrections replace their window's row; no reload, no polling.
import { fillQuietWindows, metricRow, upsertWindowRow } from "../../shared/dashboards/metric-rows";
import type { WindowData } from "../../shared/live/render";

interface WindowFrame {
  window: { start: string; end: string };
  data: WindowData;
}
type Frame =
  | { type: "snapshot"; stream: string; size: string; windows: WindowFrame[] }
  | {
      type: "update" | "correction";
      stream: string;
      window: { start: string; end: string; size: string };
      data: WindowData;
    }
  | { type: string };

/** A window's length from its bounds (the client needs no table of sizes). */
const spanOf = (w: { start: string; end: string }) => Date.parse(w.end) - Date.parse(w.start);

export interface LiveSubscription {
  stream: string;
  window: string;
  last: number;
  onRows: (rows: Record<string, unknown>[]) => void;
  rows: Record<string, unknown>[];
}

/** Opens the socket and keeps it open (reconnecting with backoff) until `close()` is called. */
export function openLive(token: string, subs: LiveSubscription[], onState: (state: string) => void) {
  let ws: WebSocket | null = null;
  let closed = false;
  let retry = 500;
  const key = (stream: string, window: string) => `${stream}:${window}`;
  const byKey = new Map<string, LiveSubscription[]>();
  for (const s of subs) byKey.set(key(s.stream, s.window), [...(byKey.get(key(s.stream, s.window)) ?? []), s]);

  const connect = () => {
    const url = new URL("/v1/live", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("token", token);
    ws = new WebSocket(url);
    ws.onopen = () => {
      retry = 500;
      onState("live");
      const sent = new Set<string>();
      for (const s of subs) {
        if (sent.has(key(s.stream, s.window))) continue;
        sent.add(key(s.stream, s.window));
        const last = Math.max(...(byKey.get(key(s.stream, s.window)) ?? [s]).map((x) => x.last));
        ws?.send(JSON.stringify({ action: "subscribe", stream: s.stream, window: s.window, last }));
      }
    };
    ws.onmessage = (ev) => {
      let frame: Frame;
      try {
        frame = JSON.parse(String(ev.data)) as Frame;
      } catch {
        return;
      }
      if (frame.type === "snapshot" && "windows" in frame) {
        for (const s of byKey.get(key(frame.stream, frame.size)) ?? []) {
          const w = frame.windows[0]?.window;
          s.rows = fillQuietWindows(frame.windows.map(metricRow), w ? spanOf(w) : 0, s.last);
          s.onRows(s.rows);
        }
      } else if ((frame.type === "update" || frame.type === "correction") && "window" in frame) {
        for (const s of byKey.get(key(frame.stream, frame.window.size)) ?? []) {
          s.rows = fillQuietWindows(upsertWindowRow(s.rows, metricRow(frame), s.last), spanOf(frame.window), s.last);
          s.onRows(s.rows);
        }
      }
    };
    ws.onclose = () => {
      if (closed) return;
      onState("reconnecting");
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 15_000);
    };
  };
  if (subs.length > 0) connect();
  return {
    close() {
      closed = true;
      ws?.close();
    },
  };
}
