// Turns zod validation failures from @hono/zod-openapi into 400 VALIDATION_ERROR naming the field.
import type { Hook } from "@hono/zod-openapi";
import { TarnError } from "../shared/errors";
import type { AppEnv } from "./context";

export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (result.success) return;
  const issues = result.error.issues.map((i) => ({
    field: i.path.join(".") || result.target,
    message: i.message,
  }));
  const first = issues[0];
  const message = first ? `${first.field}: ${first.message}` : "invalid request";
  throw new TarnError("VALIDATION_ERROR", message, { details: { issues, target: result.target } });
};
