// One mapping from failures to the error envelope (README, "Errors"): domain errors, HTTP exceptions, bugs.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { type ErrorCode, errorEnvelope, TarnError } from "../shared/errors";
import type { AppEnv } from "./context";

/** Renders a TarnError as the envelope with its status and headers. */
export function errorResponse(c: Context<AppEnv>, err: TarnError): Response {
  const requestId = c.get("requestId") ?? "unknown";
  const headers: Record<string, string> = { ...err.headers, "X-Request-Id": requestId };
  if (err.retryAfter !== undefined) headers["Retry-After"] = String(err.retryAfter);
  return c.json(errorEnvelope(err.code, err.message, requestId, err.details), err.status, headers);
}

const HTTP_CODES: Partial<Record<number, ErrorCode>> = {
  400: "VALIDATION_ERROR",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  429: "RATE_LIMITED",
  503: "UNAVAILABLE",
};

/** The app's single `onError`: known errors keep their code; anything else is a logged bug. */
export function onError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof TarnError) return errorResponse(c, err);
  if (err instanceof HTTPException && err.status < 500) {
    const code = HTTP_CODES[err.status] ?? "VALIDATION_ERROR";
    return errorResponse(c, new TarnError(code, err.message || "bad request"));
  }
  console.error(
    JSON.stringify({ level: "error", request_id: c.get("requestId"), error: String(err), stack: err.stack }),
  );
  return errorResponse(c, new TarnError("INTERNAL", "internal error; the request id identifies it in the logs"));
}
