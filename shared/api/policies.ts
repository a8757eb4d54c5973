// Shapes of /v1/policies (README, "Row-level policies").
import { z } from "zod";
import { ROLES } from "../access/permissions";

export const PolicyNameParam = z.object({
  name: z
    .string()
    .regex(
      /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/,
      "a name of letters, digits, _ . - (at most 64, not starting with a digit)",
    ),
});

export const PutPolicyBody = z
  .strictObject({
    dataset: z
      .string()
      .min(1)
      .max(128)
      .meta({ description: "A dataset (event type, upload, view), or `*` for every table" }),
    applies_to: z
      .strictObject({
        roles: z.array(z.enum(ROLES)).max(3).default([]),
        users: z.array(z.string().min(1).max(254)).max(1000).default([]).meta({ description: "User ids or emails" }),
        keys: z.array(z.string().min(1).max(64)).max(1000).default([]).meta({ description: "API key ids" }),
      })
      .refine((a) => a.roles.length + a.users.length + a.keys.length > 0, "name at least one role, user or key"),
    filter: z.string().min(1).max(4096).meta({
      description:
        "A SQL boolean expression over the dataset's columns; current_user_id(), current_user_email(), current_role() and current_user_attribute('<name>') are available",
    }),
  })
  .meta({ id: "PutPolicy" });

export const Policy = z
  .object({
    name: z.string(),
    dataset: z.string(),
    applies_to: z.object({ roles: z.array(z.string()), users: z.array(z.string()), keys: z.array(z.string()) }),
    filter: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "Policy" });

export const PolicyList = z.object({ policies: z.array(Policy) }).meta({ id: "PolicyList" });
