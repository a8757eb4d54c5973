// The evaluation dataset: two event types with contracts, generated from a fixed seed (same rows every run).
import { mulberry32 } from "../../shared/random";

export const CONTRACTS = {
  "order.created": {
    type: "object",
    properties: {
      quantity: { type: "integer" },
      channel: { type: "string" },
      amount: { type: "number" },
      market: { type: "string" },
    },
  },
  "page.view": {
    type: "object",
    properties: { path: { type: "string" }, duration_ms: { type: "integer" } },
  },
} as const;

export const START = Date.UTC(2026, 10, 1);
const HOUR = 3600_000;

/** 7 days of orders and page views from 50 users. */
export function evaluationEvents(): object[] {
  const random = mulberry32(2026);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)] as T;
  const events: object[] = [];
  for (let h = 0; h < 7 * 24; h++) {
    const orders = 3 + Math.floor(random() * 6);
    for (let i = 0; i < orders; i++) {
      const quantity = 1 + Math.floor(random() * 5);
      events.push({
        eventType: "order.created",
        eventId: `ord-${h}-${i}`,
        userId: `user-${Math.floor(random() * 50)}`,
        timestamp: new Date(START + h * HOUR + Math.floor(random() * HOUR)).toISOString(),
        data: {
          payload: {
            quantity,
            channel: pick(["web", "app", "store"]),
            amount: Math.round(quantity * (5 + random() * 20) * 100) / 100,
            market: pick(["FR", "DE", "US", "JP"]),
          },
        },
      });
    }
    const views = 10 + Math.floor(random() * 10);
    for (let i = 0; i < views; i++) {
      events.push({
        eventType: "page.view",
        eventId: `pv-${h}-${i}`,
        userId: `user-${Math.floor(random() * 50)}`,
        sessionId: `s-${h}-${Math.floor(random() * 5)}`,
        timestamp: new Date(START + h * HOUR + Math.floor(random() * HOUR)).toISOString(),
        data: {
          payload: {
            path: pick(["/", "/pricing", "/docs", "/blog", "/signup"]),
            duration_ms: Math.floor(random() * 30_000),
          },
        },
      });
    }
  }
  return events;
}
