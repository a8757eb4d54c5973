// What one principal may see of one project: per dataset, the columns and payload fields it gets masked,
// and the fields stored encrypted (decrypted for everyone, then masked for those who cannot unmask).
import type { ContractField } from "../contracts/fields";
import { type Classification, isSensitive, type MaskKind, maskKindOf } from "./masks";

/** An envelope column's classification as `PUT /v1/datasets/{name}` stores it. */
export interface ColumnClassification {
  classification: Classification | null;
  pii: boolean;
  mask: MaskKind | null;
}

/** Envelope columns a dataset classification may name: the lake's identifying columns. */
export const CLASSIFIABLE_COLUMNS = [
  "event_id",
  "user_id",
  "session_id",
  "correlation_id",
  "source",
  "version",
  "environment",
  "region",
  "request_id",
  "country",
  "colo",
  "received_at",
  "metadata",
] as const;

/** The dataset name whose classifications apply to every dataset of the project (a dataset's own win). */
export const ALL_DATASETS = "events";

export interface DatasetPrivacy {
  /** Column (envelope or typed) → its mask, for principals who cannot unmask. */
  columns: Map<string, MaskKind>;
  /** Payload property → its mask (inside the `payload` JSON). */
  fields: Map<string, MaskKind>;
  /** Payload properties stored encrypted, and the typed columns that hold them. */
  encryptedFields: Set<string>;
  encryptedColumns: Set<string>;
}

export interface PrivacyPolicy {
  /** The principal sees clear values (it holds the unmask permission). */
  unmask: boolean;
  datasets: Map<string, DatasetPrivacy>;
  /** For datasets with neither classification nor contract: the project-wide (`events`) classifications. */
  fallback: DatasetPrivacy;
  /** Names the masks in force, so a cached answer is never served to a principal who sees other values. */
  fingerprint: string;
}

function emptyDataset(): DatasetPrivacy {
  return { columns: new Map(), fields: new Map(), encryptedFields: new Set(), encryptedColumns: new Set() };
}

/**
 * The policy from the stored classifications (`dataset → column → classification`, `events` for all)
 * and each dataset's current contract fields.
 */
export function buildPolicy(
  unmask: boolean,
  classifications: Map<string, Map<string, ColumnClassification>>,
  contracts: Map<string, ContractField[]>,
): PrivacyPolicy {
  const projectWide = classifications.get(ALL_DATASETS) ?? new Map();
  const build = (dataset: string | null): DatasetPrivacy => {
    const d = emptyDataset();
    const own = dataset === null ? new Map() : (classifications.get(dataset) ?? new Map());
    for (const [column, c] of new Map([...projectWide, ...own]))
      if (isSensitive(c)) d.columns.set(column, maskKindOf(c));
    for (const f of (dataset !== null && contracts.get(dataset)) || []) {
      if (f.encrypt) {
        d.encryptedFields.add(f.name);
        if (f.column) d.encryptedColumns.add(f.column);
      }
      if (!isSensitive(f)) continue;
      d.fields.set(f.name, maskKindOf(f));
      if (f.column) d.columns.set(f.column, maskKindOf(f));
    }
    // The payload JSON carries every field: masked whole where a field inside it is.
    return d;
  };
  const datasets = new Map<string, DatasetPrivacy>();
  for (const name of new Set([...classifications.keys(), ...contracts.keys()]))
    if (name !== ALL_DATASETS) datasets.set(name, build(name));
  const fallback = build(null);
  const described = [...datasets, ["*", fallback] as const]
    .map(
      ([name, d]) =>
        `${name}:${[...d.columns].join(",")};${[...d.fields].join(",")};${[...d.encryptedFields].join(",")}`,
    )
    .sort();
  return { unmask, datasets, fallback, fingerprint: `${unmask ? "clear" : "masked"}|${described.join("|")}` };
}

export function datasetPrivacy(policy: PrivacyPolicy, dataset: string): DatasetPrivacy {
  return policy.datasets.get(dataset) ?? policy.fallback;
}

/** Whether the principal sees any column of the dataset other than as stored. */
export function columnGuarded(policy: PrivacyPolicy, dataset: string, column: string): boolean {
  const d = datasetPrivacy(policy, dataset);
  if (column === "payload") return d.encryptedFields.size > 0 || (!policy.unmask && d.fields.size > 0);
  if (d.encryptedColumns.has(column)) return true;
  return !policy.unmask && d.columns.has(column);
}

/** Whether any dataset masks one of these columns for this principal (rollups keep clear dimensions). */
export function masksAnyOf(policy: PrivacyPolicy, columns: readonly string[]): boolean {
  if (policy.unmask) return false;
  return [...policy.datasets.values(), policy.fallback].some((d) => columns.some((c) => d.columns.has(c)));
}

/** Whether the principal sees this column masked (the catalog's `masked_for_you`; payload: some field inside it). */
export function maskedForReader(policy: PrivacyPolicy, dataset: string, column: string): boolean {
  if (policy.unmask) return false;
  const d = datasetPrivacy(policy, dataset);
  return column === "payload" ? d.fields.size > 0 : d.columns.has(column);
}

/**
 * Whether a live-metric field path (`user_id`, `payload.email…`, `metadata.…`) reads a sensitive value in
 * any of `datasets` (null: every dataset). Live frames go to every reader, so such metrics are refused.
 */
export function sensitiveFieldPath(policy: PrivacyPolicy, datasets: string[] | null, path: string): boolean {
  const [head = "", prop = ""] = path.split(".");
  const scope = datasets
    ? datasets.map((d) => datasetPrivacy(policy, d))
    : [...policy.datasets.values(), policy.fallback];
  return scope.some((d) => {
    if (head === "payload") return d.fields.has(prop) || d.encryptedFields.has(prop);
    return d.columns.has(head);
  });
}

/** Whether a dataset stores any value a masked reader must not see as stored (its raw files are off limits). */
export function hasMaskedValues(policy: PrivacyPolicy, dataset: string): boolean {
  const d = datasetPrivacy(policy, dataset);
  return d.columns.size > 0 || d.fields.size > 0;
}
