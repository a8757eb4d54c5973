// The prompts of POST /v1/query/natural: the schema as context, the repair round, the explanation.
import type { ChatMessage } from "./llm-port";

export interface PromptTable {
  /** The name as SQL writes it (quoted when it has dots). */
  sql_name: string;
  description: string;
  columns: { name: string; type: string; description?: string }[];
}

/** Rows of a result shown to the model for the explanation: few, and values cut short. */
const EXPLAIN_ROWS = 10;
const MAX_VALUE_CHARS = 80;

/**
 * The system prompt: the dialect, the rules validation enforces, and the catalog. Only names, types
 * and descriptions go in; no values of any column (so no masked value can reach the model).
 */
export function sqlSystemPrompt(tables: PromptTable[], focus: string | null): string {
  const schema = tables
    .map(
      (t) =>
        `TABLE ${t.sql_name} -- ${t.description}\n` +
        t.columns.map((c) => `  ${c.name} ${c.type}${c.description ? ` -- ${c.description}` : ""}`).join("\n"),
    )
    .join("\n\n");
  return [
    "You translate questions about an analytics dataset into one SQL query in the DuckDB dialect.",
    "Rules: answer with exactly one SELECT statement (WITH is allowed) in a ```sql code block and nothing that changes data;",
    "use only the tables and columns below; quote table names that contain dots with double quotes;",
    "no table functions (read_parquet, read_csv, …); times are UTC TIMESTAMPs; payload and metadata are JSON text (use json_extract_string).",
    focus ? `The question is about the table ${focus} unless it says otherwise.` : "",
    "",
    schema,
  ]
    .filter((l) => l !== "")
    .join("\n");
}

export function sqlMessages(system: string, question: string): ChatMessage[] {
  return [
    { role: "system", content: system },
    { role: "user", content: question },
  ];
}

/** The repair round: the model's own answer and why it was refused. */
export function repairMessages(first: ChatMessage[], reply: string, errors: string[]): ChatMessage[] {
  return [
    ...first,
    { role: "assistant", content: reply },
    {
      role: "user",
      content:
        `That query was refused before running:\n- ${errors.join("\n- ")}\n` +
        "Answer again with one corrected SELECT in a ```sql code block.",
    },
  ];
}

function cell(v: unknown): string {
  const s = v instanceof Date ? v.toISOString() : typeof v === "bigint" ? v.toString() : JSON.stringify(v);
  return (s ?? "null").length > MAX_VALUE_CHARS ? `${(s ?? "").slice(0, MAX_VALUE_CHARS)}…` : (s ?? "null");
}

/** Asks for two or three sentences on what the result says, given the question, the SQL and the first rows. */
export function explanationMessages(
  question: string,
  sql: string,
  meta: { name: string }[],
  rows: unknown[][],
): ChatMessage[] {
  const head = meta.map((m) => m.name).join(" | ");
  const body = rows
    .slice(0, EXPLAIN_ROWS)
    .map((r) => r.map(cell).join(" | "))
    .join("\n");
  return [
    {
      role: "system",
      content:
        "You explain query results to a business user in two or three plain sentences. Say what the numbers show; do not repeat the SQL.",
    },
    {
      role: "user",
      content: `Question: ${question}\nSQL: ${sql}\nResult (${rows.length} rows${rows.length > EXPLAIN_ROWS ? `, first ${EXPLAIN_ROWS} shown` : ""}):\n${head}\n${body}`,
    },
  ];
}
