// Locating a data subject's files without reading them: the footer's user id Bloom filter, then each row
// group's user_id min/max statistics, rule a file out.
import type { FileMetaData } from "hyparquet";
import { bloomMayHold, USER_BLOOM_KEY } from "./user-bloom";

/** Whether some row group of the file may hold rows of `subject` (true when statistics are missing). */
export function mayHoldSubject(metadata: FileMetaData, subject: string): boolean {
  const bloom = metadata.key_value_metadata?.find((kv) => kv.key === USER_BLOOM_KEY)?.value;
  if (bloom !== undefined && !bloomMayHold(bloom, subject)) return false;
  for (const group of metadata.row_groups) {
    const rows = Number(group.num_rows);
    if (rows === 0) continue;
    const chunk = group.columns.find((c) => c.meta_data?.path_in_schema[0] === "user_id")?.meta_data;
    const s = chunk?.statistics;
    if (!s) return true;
    if (s.null_count !== undefined && Number(s.null_count) >= rows) continue;
    const min = s.min_value ?? s.min;
    const max = s.is_max_value_exact === false ? undefined : (s.max_value ?? s.max);
    if (typeof min === "string" && subject < min) continue;
    if (typeof max === "string" && subject > max) continue;
    return true;
  }
  return false;
}

/** A receipt's proof: SHA-256 (hex) of its fields in a canonical order. */
export async function receiptHash(fields: Record<string, unknown>): Promise<string> {
  const canonical = JSON.stringify(
    Object.keys(fields)
      .sort()
      .map((k) => [k, fields[k]]),
  );
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
