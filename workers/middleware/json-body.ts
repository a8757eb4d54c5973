// JSON request bodies: a wrong media type is 415, text that is not JSON is 400 INVALID_JSON.
import type { MiddlewareHandler } from "hono";
import { TarnError } from "../../shared/errors";
import type { AppEnv } from "../context";

const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

/** Parses the body once (Hono caches it for the validator) so malformed JSON gets its own code. */
export function jsonBody(): MiddlewareHandler<AppEnv> {
  return async function jsonBodyMiddleware(c, next) {
    const type = c.req.header("Content-Type");
    if (type && !JSON_TYPE.test(type)) {
      throw new TarnError("UNSUPPORTED_MEDIA_TYPE", `expected application/json, got ${type.slice(0, 100)}`);
    }
    if (!type) throw new TarnError("UNSUPPORTED_MEDIA_TYPE", "send the body as Content-Type: application/json");
    try {
      await c.req.json();
    } catch {
      throw new TarnError("INVALID_JSON", "the request body is not valid JSON");
    }
    await next();
  };
}
