// Request and response shapes for projects and API keys (README, "Projects and keys").
import { z } from "zod";
import { TIERS } from "../access/permissions";
import { SCOPES } from "../scopes";
import { NameSchema } from "./common";

export const CreateProjectBody = z.strictObject({ name: NameSchema }).meta({ id: "CreateProject" });

export const ProjectCreated = z
  .object({
    id: z.string(),
    name: z.string(),
    created_at: z.string(),
    admin_key: z.string().meta({ description: "An admin-scoped key for the project. Shown once." }),
  })
  .meta({ id: "ProjectCreated" });

export const ScopeSchema = z.enum(SCOPES);

export const CreateKeyBody = z
  .strictObject({
    name: NameSchema,
    scopes: z
      .array(ScopeSchema)
      .min(1, "give at least one scope")
      .max(SCOPES.length)
      .refine((s) => new Set(s).size === s.length, "scopes must not repeat"),
    tier: z.enum(TIERS).default("free").meta({ description: "Rate-limit tier of the key's query requests." }),
  })
  .meta({ id: "CreateKey" });

export const KeySummary = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(ScopeSchema),
    tier: z.enum(TIERS),
    created_at: z.string(),
    last_used_at: z.string().nullable(),
  })
  .meta({ id: "Key" });

export const KeyCreated = KeySummary.omit({ last_used_at: true })
  .extend({ key: z.string().meta({ description: "The secret key. Shown once; only its hash is stored." }) })
  .meta({ id: "KeyCreated" });

export const KeyList = z.object({ keys: z.array(KeySummary) }).meta({ id: "KeyList" });

export const KeyIdParam = z.object({ id: z.string().min(1).max(64) });
