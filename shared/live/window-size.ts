// Tumbling window sizes, their lengths and how long a live shard keeps their windows.
import { z } from "zod";

/** Window lengths in milliseconds; windows are aligned to the Unix epoch (UTC). */
export const WINDOW_MS = {
  "1s": 1_000,
  "10s": 10_000,
  "1m": 60_000,
  "5m": 300_000,
  "15m": 900_000,
  "1h": 3_600_000,
  "1d": 86_400_000,
} as const;

export type WindowSize = keyof typeof WINDOW_MS;
export const WINDOW_SIZES = Object.keys(WINDOW_MS) as [WindowSize, ...WindowSize[]];
export const WindowSizeSchema = z.enum(WINDOW_SIZES);

/**
 * How long closed windows are kept (and so how late an event may be and still be counted live).
 * The lake keeps every event regardless; this bounds a shard's SQLite only.
 */
export const RETENTION_MS: Record<WindowSize, number> = {
  "1s": 3_600_000,
  "10s": 6 * 3_600_000,
  "1m": 24 * 3_600_000,
  "5m": 7 * 86_400_000,
  "15m": 7 * 86_400_000,
  "1h": 31 * 86_400_000,
  "1d": 400 * 86_400_000,
};

/** Start of the window of `size` that holds `ts`. */
export function windowStart(ts: number, size: WindowSize): number {
  const ms = WINDOW_MS[size];
  return Math.floor(ts / ms) * ms;
}

/** The `{start, end, size}` object frames carry. */
export function windowBounds(start: number, size: WindowSize): { start: string; end: string; size: WindowSize } {
  return { start: new Date(start).toISOString(), end: new Date(start + WINDOW_MS[size]).toISOString(), size };
}

/** True when a window of `size` starting at `start` is older than the shard keeps. */
export function isBeyondRetention(start: number, size: WindowSize, now: number): boolean {
  return start + WINDOW_MS[size] < now - RETENTION_MS[size];
}
