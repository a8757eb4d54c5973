// Shapes shared by every route: the error envelope and names.
import { z } from "zod";
import { ERROR_STATUS } from "../errors";

export const ErrorCodeSchema = z.enum(
  Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS, ...(keyof typeof ERROR_STATUS)[]],
);

export const ErrorEnvelopeSchema = z
  .object({
    error: z.object({
      code: ErrorCodeSchema,
      message: z.string(),
      details: z.record(z.string(), z.unknown()),
      request_id: z.string(),
      timestamp: z.string(),
    }),
  })
  .meta({ id: "Error" });

/** A human name for a project or key: 1–64 characters, letters, digits, space, `-_.:`. */
export const NameSchema = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9 _.:-]*$/,
    "must start with a letter or digit and use only letters, digits, space, _ . : -",
  );
