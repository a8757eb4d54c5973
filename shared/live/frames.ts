// WebSocket frames of GET /v1/live: what clients send, what the server sends, and subscription filters.
import { z } from "zod";
import { EventTypeSchema } from "../events/envelope";
import type { Scalar } from "./fields";
import { MetricNameSchema } from "./metric-def";
import type { EventsData, MetricData, WindowData } from "./render";
import { type WindowSize, WindowSizeSchema } from "./window-size";

/** `events`, `alerts`, `jobs`, or a metric's name. */
export const StreamSchema = MetricNameSchema;

/** Streams without windows: alerts, and job progress (`{"type": "job", "job": {...}}` frames). */
export function isWindowless(stream: string): boolean {
  return stream === "alerts" || stream === "jobs";
}

const ScalarValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const SubscriptionFilterSchema = z.object({
  /** `events` stream: only these types in `by_event_type`, and `count` over them. */
  event_types: z.array(EventTypeSchema).min(1).max(50).optional(),
  /** Grouped metrics: only groups whose key matches one of these (field → value) entries. */
  groups: z.array(z.record(z.string(), ScalarValue)).min(1).max(50).optional(),
  /** Only closed windows (and corrections), no in-progress updates. */
  final_only: z.boolean().optional(),
});
export type SubscriptionFilter = z.infer<typeof SubscriptionFilterSchema>;

export const SubscribeFrame = z
  .object({
    action: z.literal("subscribe"),
    stream: StreamSchema,
    window: WindowSizeSchema.optional(),
    filter: SubscriptionFilterSchema.optional(),
    /** How many recent windows the snapshot answer carries. */
    last: z.number().int().min(0).max(300).default(10),
  })
  .refine((f) => isWindowless(f.stream) || f.window !== undefined, { path: ["window"], message: "is required" });

export const UnsubscribeFrame = z
  .object({ action: z.literal("unsubscribe"), stream: StreamSchema, window: WindowSizeSchema.optional() })
  .refine((f) => isWindowless(f.stream) || f.window !== undefined, { path: ["window"], message: "is required" });

const PingFrame = z.object({ action: z.literal("ping") });

export const ClientFrame = z.union([SubscribeFrame, UnsubscribeFrame, PingFrame]);
export type ClientFrame = z.infer<typeof ClientFrame>;

const BY_ACTION = { subscribe: SubscribeFrame, unsubscribe: UnsubscribeFrame, ping: PingFrame } as const;

/** Parses a client frame, with issues that name the field (a plain union would only say "invalid"). */
export function parseClientFrame(raw: unknown) {
  const action = raw !== null && typeof raw === "object" ? (raw as { action?: unknown }).action : undefined;
  const schema = typeof action === "string" ? BY_ACTION[action as keyof typeof BY_ACTION] : undefined;
  if (!schema)
    return z
      .object({ action: z.enum(["subscribe", "unsubscribe", "ping"]) })
      .safeParse(raw) as z.ZodSafeParseResult<ClientFrame>;
  return schema.safeParse(raw) as z.ZodSafeParseResult<ClientFrame>;
}

/** The ping a client may send at any time; answered by the runtime without waking the hub. */
export const PING_FRAME = '{"action":"ping"}';
export const PONG_FRAME = '{"type":"pong"}';

/** A subscription's identity: one per stream and window size (or `alerts`). */
export function subscriptionKey(stream: string, window: WindowSize | undefined): string {
  if (stream === "jobs") return "jobs";
  return stream === "alerts" || window === undefined ? "alerts" : `${stream}:${window}`;
}

export interface WindowRef {
  start: string;
  end: string;
  size: WindowSize;
}

/** `update` while a window fills and when it closes (`final`); `correction` for a late event after close. */
export interface UpdateFrame {
  type: "update" | "correction";
  stream: string;
  window: WindowRef;
  data: WindowData;
  final: boolean;
  /** Grows with every change of the window: a client keeps the highest it has seen. */
  rev: number;
  timestamp: string;
}

export interface SnapshotFrame {
  type: "snapshot";
  stream: string;
  size: WindowSize;
  windows: { window: WindowRef; data: WindowData; final: boolean; rev: number }[];
  timestamp: string;
}

export interface AlertFrame {
  type: "alert";
  alert: {
    id: string;
    name: string;
    metric: string;
    status: "firing" | "resolved";
    window: WindowRef;
    value: number | null;
    reason: string;
    event_id: string;
  };
  timestamp: string;
}

/** A job's row as GET /v1/jobs/{id} shows it, pushed on every change of status or progress. */
export interface JobFrame {
  type: "job";
  job: Record<string, unknown>;
  timestamp: string;
}

export type ServerFrame =
  | JobFrame
  | UpdateFrame
  | SnapshotFrame
  | AlertFrame
  | { type: "subscribed" | "unsubscribed"; stream: string; window: WindowSize | null; subscriptions: number }
  | { type: "pong" }
  | { type: "error"; error: Record<string, unknown> };

function keyMatches(key: Record<string, Scalar>, wanted: Record<string, unknown>): boolean {
  return Object.entries(wanted).every(([f, v]) => key[f] === v);
}

/** The data a subscriber with `filter` sees. */
export function filterData(data: WindowData, filter: SubscriptionFilter | undefined): WindowData {
  if (!filter) return data;
  if ("by_event_type" in data && filter.event_types) {
    const by = Object.fromEntries(Object.entries(data.by_event_type).filter(([t]) => filter.event_types?.includes(t)));
    return { count: Object.values(by).reduce((n, c) => n + c, 0), by_event_type: by } satisfies EventsData;
  }
  if ("values" in data && data.groups && filter.groups) {
    const wanted = filter.groups;
    return {
      ...data,
      groups: data.groups.filter((g) => wanted.some((w) => keyMatches(g.key, w))),
    } satisfies MetricData;
  }
  return data;
}

/** The frame a subscriber with `filter` gets, or null when the filter drops it. */
export function filterFrame(frame: ServerFrame, filter: SubscriptionFilter | undefined): ServerFrame | null {
  if (!filter) return frame;
  if (frame.type === "update" || frame.type === "correction") {
    if (filter.final_only && frame.type === "update" && !frame.final) return null;
    return { ...frame, data: filterData(frame.data, filter) };
  }
  if (frame.type === "snapshot") {
    const windows = filter.final_only ? frame.windows.filter((w) => w.final) : frame.windows;
    return { ...frame, windows: windows.map((w) => ({ ...w, data: filterData(w.data, filter) })) };
  }
  return frame;
}
