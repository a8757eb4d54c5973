// A Segment Tracking API request body and credentials: the messages, batch defaults and write key.
import { fromBase64 } from "../base64";
import type { BatchDefaults, SegmentType } from "./map-message";

export interface SegmentRequest {
  messages: unknown[];
  defaults: BatchDefaults;
  /** `writeKey` from the body, when it has one. */
  bodyWriteKey?: string;
}

export type ReadSegment = { ok: true; request: SegmentRequest } | { ok: false; message: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Reads the parsed body of `/v1/batch` (`{"batch": [...], "context", "integrations"}`) or of
 * a single call (`/v1/track` etc.: the message itself). Batch-level context and integrations are
 * returned apart so each message merges them under its own.
 */
export function readSegmentBody(body: unknown, route: "batch" | SegmentType): ReadSegment {
  if (!isRecord(body)) return { ok: false, message: "the body must be a JSON object" };
  const writeKey = typeof body.writeKey === "string" && body.writeKey.length > 0 ? body.writeKey : undefined;
  if (route !== "batch") return { ok: true, request: { messages: [body], defaults: {}, bodyWriteKey: writeKey } };
  if (!Array.isArray(body.batch)) return { ok: false, message: "batch must be an array of messages" };
  const defaults: BatchDefaults = {};
  if (isRecord(body.context)) defaults.context = body.context;
  if (isRecord(body.integrations)) defaults.integrations = body.integrations;
  return { ok: true, request: { messages: body.batch, defaults, bodyWriteKey: writeKey } };
}

/**
 * The write key in an `Authorization` header: HTTP Basic with the key as user name
 * (`base64(writeKey + ":")`, as Segment's SDKs send it) or `Bearer <key>`. Null when absent
 * or unreadable.
 */
export function writeKeyFromHeader(authorization: string | undefined): string | null {
  if (!authorization) return null;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (bearer?.[1]) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(authorization);
  if (!basic?.[1]) return null;
  let decoded: string;
  try {
    const b64 = basic[1].replace(/-/g, "+").replace(/_/g, "/");
    decoded = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(fromBase64(b64));
  } catch {
    return null;
  }
  const colon = decoded.indexOf(":");
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  // Some clients put the key in the password with an empty user name.
  const key = user || (colon < 0 ? "" : decoded.slice(colon + 1));
  return key.length > 0 ? key : null;
}
