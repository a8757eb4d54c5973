// Field paths a live metric may read: envelope columns, or a path into the payload or metadata JSON.
import { z } from "zod";
import type { QueuedEvent } from "../events/queue-message";

export const ENVELOPE_FIELDS = [
  "event_type",
  "user_id",
  "session_id",
  "correlation_id",
  "source",
  "version",
  "environment",
  "region",
  "country",
  "colo",
] as const;

const PATH = new RegExp(`^(?:${ENVELOPE_FIELDS.join("|")}|(?:payload|metadata)(?:\\.[A-Za-z0-9_$-]{1,64}){1,8})$`);

export const FieldPathSchema = z
  .string()
  .max(600)
  .regex(PATH, `must be an envelope field (${ENVELOPE_FIELDS.join(", ")}) or payload.<path> / metadata.<path>`)
  .refine(
    (p) => !/\.(?:__proto__|constructor|prototype)(?:\.|$)/.test(p),
    "must not name __proto__, constructor or prototype",
  );

export type Scalar = string | number | boolean | null;

/** One event, with its payload and metadata parsed at most once however many fields are read. */
export class EventView {
  private payload: unknown;
  private metadata: unknown;
  private parsed = 0;

  constructor(readonly event: QueuedEvent) {}

  /** The value at `path`, or undefined when absent. */
  get(path: string): unknown {
    const dot = path.indexOf(".");
    if (dot === -1) return this.event[path as (typeof ENVELOPE_FIELDS)[number]] ?? undefined;
    const root = path.slice(0, dot) === "payload" ? this.json("payload") : this.json("metadata");
    let v: unknown = root;
    for (const part of path.slice(dot + 1).split(".")) {
      if (v === null || typeof v !== "object" || Array.isArray(v) || !Object.hasOwn(v, part)) return undefined;
      v = (v as Record<string, unknown>)[part];
    }
    return v;
  }

  /** A finite number at `path`, or undefined. */
  number(path: string): number | undefined {
    const v = this.get(path);
    return typeof v === "number" && Number.isFinite(v) ? v : undefined;
  }

  /** A value usable as a group key or distinct item: scalars as they are, anything else as JSON. */
  scalar(path: string): Scalar {
    const v = this.get(path);
    if (v === undefined || v === null) return null;
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
    return JSON.stringify(v);
  }

  private json(which: "payload" | "metadata"): unknown {
    const bit = which === "payload" ? 1 : 2;
    if (!(this.parsed & bit)) {
      this.parsed |= bit;
      const text = this.event[which];
      let value: unknown;
      try {
        value = text === null ? undefined : JSON.parse(text);
      } catch {
        value = undefined;
      }
      if (which === "payload") this.payload = value;
      else this.metadata = value;
    }
    return which === "payload" ? this.payload : this.metadata;
  }
}
