// JSON arrays of bounded text: a long list split for statements that take it as one `json_each(?)` argument.

/**
 * `items` as JSON array texts of at most about `maxChars` characters each (an item longer than that
 * gets a chunk of its own), in order. None when `items` is empty.
 *
 * @example
 * for (const json of jsonChunks(keys, 512 * 1024)) sql.exec("DELETE FROM t WHERE k IN (SELECT value FROM json_each(?))", json);
 */
export function jsonChunks(items: readonly unknown[], maxChars: number): string[] {
  const out: string[] = [];
  let chunk: string[] = [];
  let chars = 2;
  for (const item of items) {
    const text = JSON.stringify(item);
    if (chunk.length > 0 && chars + text.length > maxChars) {
      out.push(`[${chunk.join(",")}]`);
      chunk = [];
      chars = 2;
    }
    chunk.push(text);
    chars += text.length + 1;
  }
  if (chunk.length > 0) out.push(`[${chunk.join(",")}]`);
  return out;
}
