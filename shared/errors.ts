// Domain errors: one closed union of codes, each with its HTTP status, mapped to the error envelope.

/** Every error code Tarn may send. Clients branch on these, never on message text. */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  INVALID_JSON: 400,
  INVALID_SQL: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  QUERY_TIMEOUT: 408,
  CONFLICT: 409,
  GONE: 410,
  PAYLOAD_TOO_LARGE: 413,
  QUERY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

export interface TarnErrorOptions {
  details?: Record<string, unknown>;
  /** Seconds, sent as `Retry-After` (429 and 503). */
  retryAfter?: number;
  headers?: Record<string, string>;
  /** What went wrong underneath, for logs; never sent to the client. */
  cause?: unknown;
  /** A status other than the code's own, where API.md names one (422 INVALID_SQL of /v1/query/natural). */
  status?: ErrorStatus | 422;
}

/**
 * An error a client is meant to see.
 * @example throw new TarnError("FORBIDDEN", "this key lacks the admin scope")
 */
export class TarnError extends Error {
  readonly code: ErrorCode;
  readonly status: ErrorStatus | 422;
  readonly details: Record<string, unknown>;
  readonly retryAfter?: number;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message: string, options: TarnErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TarnError";
    this.code = code;
    this.status = options.status ?? ERROR_STATUS[code];
    this.details = options.details ?? {};
    this.retryAfter = options.retryAfter;
    this.headers = options.headers ?? {};
  }
}

export interface ErrorEnvelope {
  error: {
    code: ErrorCode;
    message: string;
    details: Record<string, unknown>;
    request_id: string;
    timestamp: string;
  };
}

/** Builds the body every 4xx/5xx carries. */
export function errorEnvelope(
  code: ErrorCode,
  message: string,
  requestId: string,
  details: Record<string, unknown> = {},
  now: Date = new Date(),
): ErrorEnvelope {
  return {
    error: { code, message, details, request_id: requestId, timestamp: now.toISOString() },
  };
}
