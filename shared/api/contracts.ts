// Shapes of the contracts, quarantine replay, dead-letter redrive, catalog, glossary and lineage routes.
import { z } from "zod";

/** An event type in a path: the envelope's rule, widened to any printable text without `/`. */
export const EventTypeParam = z.object({
  eventType: z
    .string()
    .min(1)
    .max(128)
    .refine((s) => !s.includes("/") && ![...s].some((ch) => (ch.codePointAt(0) ?? 0) < 32 || ch === "\u007f"), {
      message: "must be 1–128 printable characters other than /",
    }),
});

export const ContractVersionQuery = z.object({
  version: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .meta({ description: "a past version's schema (default: the current one)" }),
});

export const ContractModeSchema = z.enum(["enforce", "warn", "canary"]);

export const PutContractBody = z
  .object({
    schema: z.record(z.string(), z.unknown()).meta({ description: "JSON Schema 2020-12 of data.payload" }),
    mode: ContractModeSchema.default("enforce"),
    description: z.string().max(2000).optional(),
    owner: z.string().max(200).optional(),
  })
  .meta({ id: "PutContract" });

export const PutContractQuery = z.object({
  force: z
    .enum(["true", "false"])
    .optional()
    .transform((v) => v === "true"),
});

const TypedColumnSchema = z.object({ name: z.string(), property: z.string(), type: z.string() });

export const ContractStored = z
  .object({
    event_type: z.string(),
    version: z.number().int(),
    mode: ContractModeSchema,
    compatibility: z.enum(["backward", "breaking"]),
    reasons: z.array(z.string()),
    enforced_version: z.number().int().nullable(),
    columns: z.array(TypedColumnSchema),
    created_at: z.string(),
  })
  .meta({ id: "ContractStored" });

export const ContractSummary = z.object({
  event_type: z.string(),
  version: z.number().int(),
  mode: ContractModeSchema,
  enforced_version: z.number().int().nullable(),
  description: z.string().nullable(),
  owner: z.string().nullable(),
  updated_at: z.string(),
});

export const ContractList = z.object({ contracts: z.array(ContractSummary) }).meta({ id: "ContractList" });

const FieldSchema = z.object({
  name: z.string(),
  column: z.string().nullable(),
  type: z.string(),
  description: z.string().nullable(),
  classification: z.string().nullable(),
  pii: z.boolean(),
  mask: z.string().nullable(),
  encrypt: z.boolean(),
  required: z.boolean(),
});

export const ContractDetail = ContractSummary.extend({
  /** The version `schema`, `fields` and `columns` describe (`?version=`, else the current one). */
  schema_version: z.number().int(),
  schema: z.record(z.string(), z.unknown()),
  fields: z.array(FieldSchema),
  columns: z.array(TypedColumnSchema),
  history: z.array(
    z.object({
      version: z.number().int(),
      mode: z.string(),
      compatibility: z.enum(["backward", "breaking"]),
      reasons: z.array(z.string()),
      forced: z.boolean(),
      created_at: z.string(),
      checked: z.number().int(),
      rejected: z.number().int(),
      warned: z.number().int(),
    }),
  ),
  canary: z
    .object({
      version: z.number().int(),
      checked: z.number().int(),
      would_reject: z.number().int(),
      samples: z.array(z.unknown()),
    })
    .nullable(),
}).meta({ id: "ContractDetail" });

export const ReplayBody = z
  .union([
    z.object({ ids: z.array(z.string().min(1).max(200)).min(1).max(1000) }),
    z.object({
      event_type: z.string().min(1).max(128),
      from: z.string().datetime({ offset: true }).optional(),
      to: z.string().datetime({ offset: true }).optional(),
    }),
  ])
  .meta({ id: "ReplayRequest" });

export const ReplayResult = z
  .object({
    replayed: z.number().int(),
    accepted: z.number().int(),
    rejected: z.number().int(),
    /** Entries already landed by an earlier replay: nothing new lands for them. */
    already_replayed: z.number().int(),
    errors: z.array(
      z.object({ id: z.string(), code: z.string(), message: z.string(), details: z.unknown().optional() }),
    ),
    /** More entries matched than one call replays (1,000): call again. */
    more: z.boolean(),
  })
  .meta({ id: "ReplayResult" });

export const RedriveBody = z.object({ ids: z.array(z.string().min(1).max(200)).min(1).max(100) });
export const RedriveResult = z
  .object({
    redriven: z.number().int(),
    errors: z.array(z.object({ id: z.string(), message: z.string() })),
  })
  .meta({ id: "RedriveResult" });

export const CatalogList = z
  .object({
    datasets: z.array(
      z.object({
        name: z.string(),
        kind: z.enum(["events", "upload", "view", "audit"]),
        description: z.string().nullable(),
        owner: z.string().nullable(),
        classification: z.string().nullable(),
        contract_version: z.number().int().nullable(),
        contract_mode: z.string().nullable(),
        rows: z.number().int(),
        files: z.number().int(),
        first_event_at: z.string().nullable(),
        last_event_at: z.string().nullable(),
        last_updated: z.string().nullable(),
        columns: z.array(
          z.object({
            name: z.string(),
            type: z.string(),
            description: z.string().nullable(),
            classification: z.string().nullable(),
            pii: z.boolean(),
            masked_for_you: z.boolean(),
          }),
        ),
        glossary: z.array(z.string()),
      }),
    ),
  })
  .meta({ id: "Catalog" });

export const GlossaryTermParam = z.object({ term: z.string().min(1).max(200) });
export const PutGlossaryBody = z
  .object({
    definition: z.string().min(1).max(10_000),
    links: z.array(z.string().min(1).max(300)).max(200).default([]).meta({
      description:
        '"dataset" or "dataset.column" (a dataset name may itself hold dots: the longest known dataset prefix wins)',
    }),
  })
  .meta({ id: "PutGlossaryTerm" });
export const GlossaryTerm = z
  .object({ term: z.string(), definition: z.string(), links: z.array(z.string()), updated_at: z.string() })
  .meta({ id: "GlossaryTerm" });
export const GlossaryList = z.object({ terms: z.array(GlossaryTerm) }).meta({ id: "GlossaryList" });

export const LineageQuery = z.object({
  dataset: z.string().min(1).max(300).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  after: z.coerce.number().int().min(0).optional(),
});
export const LineageAnswer = z
  .object({
    events: z.array(z.record(z.string(), z.unknown())),
    graph: z.object({
      nodes: z.array(z.object({ id: z.string(), kind: z.enum(["job", "dataset"]), name: z.string() })),
      edges: z.array(z.object({ from: z.string(), to: z.string() })),
    }),
    next_after: z.number().int().nullable(),
  })
  .meta({ id: "Lineage" });
