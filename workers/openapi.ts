// Helpers for declaring routes: the app factory and the error responses every route documents.
import { OpenAPIHono } from "@hono/zod-openapi";
import { ErrorEnvelopeSchema } from "../shared/api/common";
import type { AppEnv } from "./context";
import { validationHook } from "./validation-hook";

const DESCRIPTIONS: Record<number, string> = {
  400: "Invalid input (VALIDATION_ERROR, INVALID_JSON, INVALID_SQL)",
  401: "Missing, wrong or revoked credentials (UNAUTHORIZED)",
  403: "The credential lacks the scope (FORBIDDEN)",
  404: "Not found (NOT_FOUND)",
  408: "The query ran past its time limit (QUERY_TIMEOUT)",
  409: "Conflicts with existing state (CONFLICT)",
  410: "The snapshot's files were garbage-collected (GONE)",
  413: "Too large (PAYLOAD_TOO_LARGE, QUERY_TOO_LARGE)",
  415: "Wrong media type (UNSUPPORTED_MEDIA_TYPE)",
  422: "The language model's SQL failed validation twice; nothing ran (INVALID_SQL)",
  503: "A dependency refused; retry after Retry-After (UNAVAILABLE)",
};

/** OpenAPI response entries for the given error statuses, all with the error envelope. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: DESCRIPTIONS[s] ?? "Error", content: { "application/json": { schema: ErrorEnvelopeSchema } } },
    ]),
  );
}

/** A router whose validation failures become VALIDATION_ERROR envelopes. */
export function router() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

export const bearer = [{ bearer: [] }];
