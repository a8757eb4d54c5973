// The SQL in a model's reply: inside a code fence if there is one, else from the first SELECT/WITH on.

const FENCE = /```[ \t]*([A-Za-z]*)[ \t]*\r?\n?([\s\S]*?)```/g;
const START = /\b(SELECT|WITH)\b/i;

/**
 * Tolerates prose before and after, ```sql fences, a trailing semicolon. Returns the statement
 * text only (validation decides whether it is one SELECT), or null when the reply has none.
 * @example extractSql("Here:\n```sql\nSELECT 1;\n```\nDone") // "SELECT 1"
 */
export function extractSql(reply: string): string | null {
  const fences = [...reply.matchAll(FENCE)];
  const fenced = fences.find((m) => /^(sql|duckdb)?$/i.test(m[1] ?? "") && START.test(m[2] ?? "")) ?? fences[0];
  let text = fenced ? (fenced[2] ?? "") : reply;
  if (!fenced) {
    const at = text.search(START);
    if (at < 0) return null;
    text = text.slice(at);
    // Prose after the statement: cut at the first blank line.
    const blank = text.search(/\r?\n\s*\r?\n/);
    if (blank >= 0) text = text.slice(0, blank);
  }
  const sql = text.trim().replace(/;\s*$/, "").trim();
  return sql.length > 0 ? sql : null;
}
