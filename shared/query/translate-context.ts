// What translating one query needs besides the parser's tree: the text rewrites (windows, QUALIFY,
// set operations' ALL) and a way back into SELECT translation for subqueries. One query is translated
// at a time (synchronously), so the context is set for the duration of `withTranslation`.
import type { Select, WindowSpec } from "./ast";
import type { Rewritten, WindowText } from "./sql-rewrite";

// biome-ignore lint/suspicious/noExplicitAny: node-sql-parser's AST is untyped JSON
type P = any;

export interface TranslateContext {
  sql: string;
  rewritten: Rewritten;
  /** Next entry of rewritten.setOpAll to consume (set operations are translated in text order). */
  setOps: number;
  select: (ast: P) => Select;
  /** Translate a window specification kept aside by the rewrite. */
  window: (text: WindowText) => WindowSpec;
  /** Parse a fragment of SQL text (a SELECT) with the same parser. */
  parseFragment: (text: string) => P;
}

let current: TranslateContext | null = null;

export function withTranslation<T>(ctx: TranslateContext, run: () => T): T {
  const previous = current;
  current = ctx;
  try {
    return run();
  } finally {
    current = previous;
  }
}

export function translation(): TranslateContext {
  if (!current) throw new Error("translation context is not set");
  return current;
}
