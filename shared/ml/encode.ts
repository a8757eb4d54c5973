// Feature encoding: numeric columns standardized (missing → the mean), categorical ones one-hot over
// the categories seen in training (an unseen one is all zeros). Learned on the training rows only.
import { z } from "zod";

/** Most categories one feature keeps (the most frequent); the rest read as unseen. */
export const MAX_CATEGORIES = 50;

export const FeatureEncoding = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("numeric"), name: z.string(), mean: z.number(), std: z.number() }),
  z.object({ kind: z.literal("categorical"), name: z.string(), categories: z.array(z.string()) }),
]);
export type FeatureEncoding = z.infer<typeof FeatureEncoding>;

export type RawValue = number | string | boolean | null | undefined;

function asNumber(v: RawValue): number | null {
  if (v === null || v === undefined || v === "") return null;
  if (typeof v === "boolean") return v ? 1 : 0;
  const n = typeof v === "number" ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

/** A column is numeric when every present value reads as a finite number. */
function isNumeric(values: RawValue[]): boolean {
  return (
    values.every((v) => v === null || v === undefined || typeof v === "boolean" || asNumber(v) !== null) &&
    values.some((v) => typeof v === "number" || (typeof v === "string" && asNumber(v) !== null))
  );
}

/** Learns each feature's encoding from training rows (`rows[i][j]` = feature j of row i). */
export function learnEncodings(names: string[], rows: RawValue[][]): FeatureEncoding[] {
  return names.map((name, j) => {
    const values = rows.map((r) => r[j]);
    if (isNumeric(values)) {
      const nums = values.map(asNumber).filter((n): n is number => n !== null);
      const mean = nums.reduce((a, b) => a + b, 0) / Math.max(1, nums.length);
      const variance = nums.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, nums.length);
      return { kind: "numeric" as const, name, mean, std: Math.sqrt(variance) || 1 };
    }
    const counts = new Map<string, number>();
    for (const v of values) if (v !== null && v !== undefined) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
    const categories = [...counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, MAX_CATEGORIES)
      .map(([c]) => c)
      .sort();
    return { kind: "categorical" as const, name, categories };
  });
}

/** Width of the encoded vector (without the intercept). */
export function encodedWidth(encodings: FeatureEncoding[]): number {
  return encodings.reduce((w, e) => w + (e.kind === "numeric" ? 1 : e.categories.length), 0);
}

/** One row as the model's input vector. */
export function encodeRow(encodings: FeatureEncoding[], row: RawValue[]): number[] {
  const out: number[] = [];
  encodings.forEach((e, j) => {
    const v = row[j];
    if (e.kind === "numeric") {
      const n = asNumber(v);
      out.push(n === null ? 0 : (n - e.mean) / e.std);
    } else {
      const s = v === null || v === undefined ? null : String(v);
      for (const c of e.categories) out.push(c === s ? 1 : 0);
    }
  });
  return out;
}

export { asNumber };
