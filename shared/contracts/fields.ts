// The field annotations a contract carries for people and for privacy: per top-level property.
import { typedColumnsOf } from "./typed-columns";

export interface ContractField {
  name: string;
  /** The typed column it is stored as, when it is one. */
  column: string | null;
  type: string;
  description: string | null;
  classification: "public" | "internal" | "confidential" | "restricted" | null;
  pii: boolean;
  mask: "redact" | "hash" | "partial" | null;
  encrypt: boolean;
  required: boolean;
}

/** Top-level properties of a schema with their annotations (`description`, `x-classification`, `x-pii`, `x-mask`, `x-encrypt`). */
export function contractFields(schema: unknown): ContractField[] {
  if (!schema || typeof schema !== "object") return [];
  const s = schema as { properties?: Record<string, unknown>; required?: string[] };
  const columns = new Map(typedColumnsOf(schema).map((c) => [c.property, c]));
  const required = new Set(Array.isArray(s.required) ? s.required : []);
  return Object.entries(s.properties ?? {}).map(([name, raw]) => {
    const p = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
    const declared = Array.isArray(p.type)
      ? (p.type as string[]).join("|")
      : typeof p.type === "string"
        ? p.type
        : "any";
    const column = columns.get(name);
    return {
      name,
      column: column?.name ?? null,
      type: column?.type ?? (declared === "object" || declared === "array" ? "JSON" : declared),
      description: typeof p.description === "string" ? p.description : null,
      classification: (p["x-classification"] as ContractField["classification"]) ?? null,
      pii: p["x-pii"] === true,
      mask: (p["x-mask"] as ContractField["mask"]) ?? null,
      encrypt: p["x-encrypt"] === true,
      required: required.has(name),
    };
  });
}

const RANK = { public: 0, internal: 1, confidential: 2, restricted: 3 } as const;

/** A dataset's classification: the most sensitive of its fields' (null when none says). */
export function datasetClassification(fields: ContractField[]): ContractField["classification"] {
  let best: ContractField["classification"] = null;
  for (const f of fields)
    if (f.classification && (!best || RANK[f.classification] > RANK[best])) best = f.classification;
  return best;
}
