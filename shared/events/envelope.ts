// The event envelope producers send (camelCase on the wire), validated at the edge.
import { z } from "zod";

/** Furthest into the future an event's timestamp may be. */
export const MAX_FUTURE_MS = 24 * 60 * 60 * 1000;

/**
 * Event type names: 1–128 printable characters other than `/` (Segment's names have spaces,
 * e.g. `Order Completed`), never dots only; lake keys escape them (`datasetSegment`).
 */
export const EVENT_TYPE_PATTERN = /^[^\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}/]+$/u;

export const EventTypeSchema = z
  .string({ error: (i) => (i.input === undefined ? "is required" : "must be a string") })
  .min(1, "must not be empty")
  .max(128, "must be at most 128 characters")
  .regex(EVENT_TYPE_PATTERN, "must use only printable characters other than /")
  .refine((s) => !/^\.+$/.test(s), "must not consist of dots only");

const optionalText = (max: number) => z.string().max(max, `must be at most ${max} characters`).optional();

export const EventEnvelope = z.object({
  eventType: EventTypeSchema,
  eventId: z.string().min(1, "must not be empty").max(128, "must be at most 128 characters").optional(),
  timestamp: z.iso.datetime({ offset: true, local: false, error: "must be an ISO-8601 date-time" }).optional(),
  eventSource: optionalText(256),
  version: optionalText(64),
  userId: optionalText(256),
  sessionId: optionalText(256),
  correlationId: optionalText(256),
  environment: optionalText(64),
  region: optionalText(64),
  data: z
    .object({
      payload: z.record(z.string(), z.unknown()).optional(),
      metadata: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
});

export type EventEnvelope = z.infer<typeof EventEnvelope>;

/** One verdict per rejected event, as the receipt lists them. */
export interface EventRejection {
  index: number;
  code: "VALIDATION_ERROR" | "INVALID_JSON" | "PAYLOAD_TOO_LARGE" | "CONTRACT_VIOLATION";
  message: string;
  /** Contract violations: where in data.payload, which keyword, which contract version. */
  details?: { path: string; keyword: string; contract_version: number };
}

const ViolationDetails = z.object({ path: z.string(), keyword: z.string(), contract_version: z.number().int() });

export const ReceiptSchema = z
  .object({
    accepted: z.number().int(),
    rejected: z.number().int(),
    errors: z.array(
      z.object({
        index: z.number().int(),
        code: z.enum(["VALIDATION_ERROR", "INVALID_JSON", "PAYLOAD_TOO_LARGE", "CONTRACT_VIOLATION"]),
        message: z.string(),
        details: ViolationDetails.optional(),
      }),
    ),
    /** Events accepted under a `warn` contract although they violate it. */
    warnings: z.array(z.object({ index: z.number().int(), message: z.string(), details: ViolationDetails })).optional(),
    request_id: z.string(),
  })
  .meta({ id: "Receipt" });

/** A human sentence for the first zod issue, naming the field. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid event";
  const field = issue.path.join(".");
  return field ? `${field} ${issue.message}` : issue.message;
}
