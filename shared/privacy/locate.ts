// Locating a data subject's files without reading them: each row group's user_id min/max statistics
// (written for every lake file) rule a file out when the subject lies outside every group's range.
import type { FileMetaData } from "hyparquet";

/** Whether some row group of the file may hold rows of `subject` (true when statistics are missing). */
export function mayHoldSubject(metadata: FileMetaData, subject: string): boolean {
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
