// POST /v1/query/natural: question → model → SQL checked by Tarn's own parser and binder → the
// normal query path → a short explanation. Nothing runs that did not pass validation.

import { LlmUnavailableError } from "../../shared/ai/llm-port";
import { explanationMessages, repairMessages, sqlMessages, sqlSystemPrompt } from "../../shared/ai/nl-prompt";
import { extractSql } from "../../shared/ai/sql-extract";
import { TarnError } from "../../shared/errors";
import { sqlTableName, validateQuery } from "../../shared/query";
import { jsonValue } from "../../shared/query/answer-format";
import { latestSnapshot } from "../manifest/read";
import { coordinateQuery, type QueryContext } from "../query/coordinator";
import { type LlmEnv, languageModel } from "./llm";
import { cachedNatural, storeNatural } from "./natural-cache";
import { schemaContext } from "./schema-context";

export interface NaturalAnswer {
  sql: string;
  meta: { name: string; type: string }[];
  data: Record<string, unknown>[];
  rows: number;
  statistics: Record<string, unknown>;
  explanation: string | null;
  model: string;
  cached: boolean;
  degraded: boolean;
}

function unavailable(err: LlmUnavailableError): TarnError {
  return new TarnError("UNAVAILABLE", `the language model is unavailable: ${err.message}`, {
    details: { reason: "llm_unavailable" },
    retryAfter: err.retryAfterSeconds,
    cause: err,
  });
}

/** The statement of a reply, or why it cannot run (validation errors, as the repair round tells the model). */
function check(
  reply: string,
  datasets: string[],
  tableColumns: Parameters<typeof validateQuery>[2],
): { sql: string; errors: string[] } {
  const sql = extractSql(reply);
  if (!sql) return { sql: reply.trim(), errors: ["the answer holds no SELECT statement"] };
  const verdict = validateQuery(sql, datasets, tableColumns);
  return { sql, errors: verdict.valid ? [] : verdict.errors };
}

export async function answerQuestion(
  ctx: QueryContext,
  request: { question: string; dataset?: string },
  /** Who asks (a principal id): answers are cached per asker, as masking and row policies differ by who asks. */
  audience: string,
): Promise<NaturalAnswer> {
  const env = ctx.env as Env & LlmEnv;
  const snapshot = await latestSnapshot(env.DB, ctx.projectId);
  const schema = await schemaContext(env.DB, ctx.projectId);
  const dataset = request.dataset ?? null;
  if (dataset && dataset !== "events" && !schema.datasets.includes(dataset)) {
    throw new TarnError("NOT_FOUND", `no dataset "${dataset}" in this project`);
  }
  const key = {
    projectId: ctx.projectId,
    question: request.question.trim(),
    dataset: dataset ?? "",
    snapshot,
    audience,
  };
  const hit = await cachedNatural<NaturalAnswer>(key);
  if (hit) return { ...hit, cached: true };

  const llm = languageModel(env);
  const focus = dataset ? (dataset === "events" ? "events" : sqlTableName(dataset)) : null;
  const first = sqlMessages(sqlSystemPrompt(schema.tables, focus), request.question);
  let model = llm.model ?? "none";
  let candidate: { sql: string; errors: string[] };
  try {
    const reply = await llm.complete(first);
    model = reply.model;
    candidate = check(reply.text, schema.datasets, schema.tableColumns);
    if (candidate.errors.length > 0) {
      // One repair round: the model sees its answer and the validator's words.
      const repaired = await llm.complete(repairMessages(first, reply.text, candidate.errors));
      candidate = check(repaired.text, schema.datasets, schema.tableColumns);
    }
  } catch (err) {
    if (err instanceof LlmUnavailableError) throw unavailable(err);
    throw err;
  }
  if (candidate.errors.length > 0) {
    throw new TarnError("INVALID_SQL", "the model's SQL failed validation twice; nothing was run", {
      status: 422,
      details: { sql: candidate.sql, errors: candidate.errors },
    });
  }

  const answer = await coordinateQuery(ctx, { sql: candidate.sql });
  let explanation: string | null = null;
  try {
    const words = await llm.complete(explanationMessages(request.question, candidate.sql, answer.meta, answer.rows), {
      maxTokens: 300,
    });
    explanation = words.text.trim() || null;
  } catch (err) {
    // The rows stand without words: degraded, not failed.
    console.warn(JSON.stringify({ level: "warn", msg: "explanation failed", error: String(err) }));
  }
  const result: NaturalAnswer = {
    sql: candidate.sql,
    meta: answer.meta,
    data: answer.rows.map((row) => Object.fromEntries(answer.meta.map((m, i) => [m.name, jsonValue(row[i], m.type)]))),
    rows: answer.rows.length,
    statistics: { ...answer.statistics },
    explanation,
    model,
    cached: false,
    degraded: explanation === null,
  };
  // A degraded answer is not kept: the next ask may get its explanation.
  if (!result.degraded) ctx.waitUntil(storeNatural(key, result).catch(() => {}));
  return result;
}
