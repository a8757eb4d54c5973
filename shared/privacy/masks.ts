// The three masks of API.md "Privacy": redact, hash (keyed HMAC per project), partial. Pure and synchronous,
// so the scan can mask a dictionary page or a live frame without awaiting anything.
import { createHmac } from "node:crypto";

export const MASKS = ["redact", "hash", "partial"] as const;
export type MaskKind = (typeof MASKS)[number];

export const CLASSIFICATIONS = ["public", "internal", "confidential", "restricted"] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

/** A value's mask; `hmacKey` is the project's masking key (see maskingKey). */
export type Masker = (value: unknown) => unknown;

/** The text a non-string value is masked as (so hashes of 42 and "42" agree, like DuckDB's cast). */
export function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Date) return value.toISOString();
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** `***` for strings (the column keeps its type), NULL for everything else. */
export function redact(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  return typeof value === "string" ? "***" : null;
}

/** The first character and the domain of an email; the last 4 characters of other strings; NULL otherwise. */
export function partial(value: unknown): unknown {
  if (value === null || value === undefined || typeof value !== "string") return redact(value);
  const at = value.lastIndexOf("@");
  if (at > 0 && at < value.length - 1) return `${value[0]}***@${value.slice(at + 1)}`;
  return value.length <= 4 ? "*".repeat(value.length) : `***${value.slice(-4)}`;
}

/** A stable hex HMAC-SHA-256 of the value's text under the project's key (first 32 hex digits: 128 bits). */
export function hashWith(hmacKey: Uint8Array): Masker {
  return (value) => {
    if (value === null || value === undefined) return null;
    return createHmac("sha256", hmacKey).update(textOf(value)).digest("hex").slice(0, 32);
  };
}

export function maskerOf(kind: MaskKind, hmacKey: Uint8Array): Masker {
  return kind === "hash" ? hashWith(hmacKey) : kind === "partial" ? partial : redact;
}

/**
 * The project's masking key: HMAC(MASTER_KEY, "tarn-mask:" + project). Derived, never stored, so
 * every isolate and split computes the same hashes; hashes of two projects never match.
 */
export function maskingKey(masterKey: Uint8Array, projectId: string): Uint8Array {
  return new Uint8Array(createHmac("sha256", masterKey).update(`tarn-mask:${projectId}`).digest());
}

/** Whether a column or field with these annotations is masked for a principal who cannot unmask. */
export function isSensitive(a: { classification?: Classification | null; pii?: boolean; encrypt?: boolean }): boolean {
  return (
    a.pii === true || a.encrypt === true || a.classification === "confidential" || a.classification === "restricted"
  );
}

/** The mask a sensitive column gets when none is named: redact (the safe default). */
export function maskKindOf(a: { mask?: MaskKind | null }): MaskKind {
  return a.mask ?? "redact";
}
