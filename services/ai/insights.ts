// POST /v1/insights: statistics from SQL over the engine (rollups answer the counts where they can),
// then words: the model's within the time budget, else templates (degraded).
import {
  ANOMALY_Z,
  type AnomalyFinding,
  pearson,
  round,
  type Series,
  seriesAnomalies,
  seriesTrend,
  severityOf,
  type TrendFinding,
} from "../../shared/ai/insight-stats";
import { anomalyText, recommendations, summaryText, trendText } from "../../shared/ai/insight-text";
import { LlmUnavailableError } from "../../shared/ai/llm-port";
import { TarnError } from "../../shared/errors";
import { sqlTableName } from "../../shared/query";
import { TABLE_COLUMNS } from "../../shared/query/schema";
import { datasetsOf } from "../manifest/read";
import { type CoordinatedAnswer, coordinateQuery, type QueryContext, tableColumnsOf } from "../query/coordinator";
import { type LlmEnv, languageModel } from "./llm";

/** The answer's promise (API.md): the whole request within 5 s; the model gets what is left of it. */
const BUDGET_MS = 5000;
const MAX_NUMERIC_COLUMNS = 5;
const MAX_TYPE_SERIES = 5;
const NUMERIC = /^(DOUBLE|FLOAT|REAL|BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|DECIMAL)/;

export interface InsightsRequest {
  dataset: string;
  from?: string;
  to?: string;
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;

const sqlTime = (ms: number) => `TIMESTAMP '${new Date(ms).toISOString().replace("T", " ").replace("Z", "")}'`;
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());

/** Every bucket start in [from, to): counts are zero where no event fell, which is what shows a drop. */
function bucketStarts(fromMs: number, toMs: number, size: number): number[] {
  const out: number[] = [];
  for (let t = Math.floor(fromMs / size) * size; t < toMs; t += size) out.push(t);
  return out;
}

function column(answer: CoordinatedAnswer, name: string): number {
  return answer.meta.findIndex((m) => m.name === name);
}

export async function computeInsights(ctx: QueryContext, request: InsightsRequest) {
  const started = Date.now();
  const toMs = request.to ? Date.parse(request.to) : started;
  const fromMs = request.from ? Date.parse(request.from) : toMs - 7 * DAY;
  if (!(fromMs < toMs))
    throw new TarnError("VALIDATION_ERROR", "from must be before to", { details: { field: "from" } });
  if (toMs - fromMs > 366 * DAY) throw new TarnError("VALIDATION_ERROR", "the range may span at most 366 days");
  const datasets = await datasetsOf(ctx.env.DB, ctx.projectId);
  const all = request.dataset === "events";
  if (!all && !datasets.includes(request.dataset)) {
    throw new TarnError("NOT_FOUND", `no dataset "${request.dataset}" in this project`);
  }
  const bucket: "hour" | "day" = toMs - fromMs <= 7 * DAY ? "hour" : "day";
  const size = bucket === "hour" ? HOUR : DAY;
  const table = all ? "events" : sqlTableName(request.dataset);
  // Whole buckets: a cut first or last bucket would read as a drop, and rollups answer whole hours.
  const alignedFrom = Math.floor(fromMs / size) * size;
  const alignedTo = Math.ceil(toMs / size) * size;
  const range = `ts >= ${sqlTime(alignedFrom)} AND ts < ${sqlTime(alignedTo)}`;
  // The table's own column list (contract columns, an uploaded dataset's), else the lake's.
  const columns = all ? [] : ((await tableColumnsOf(ctx.env.DB, ctx.projectId))[request.dataset] ?? []);
  if (columns.length > 0 && !columns.some((c) => c.name === "ts" && c.type.startsWith("TIMESTAMP"))) {
    throw new TarnError("VALIDATION_ERROR", `dataset "${request.dataset}" has no ts column to bucket by time`, {
      details: { field: "dataset" },
    });
  }
  const hasUsers = columns.length === 0 || columns.some((c) => c.name === "user_id");
  const lakeNames = new Set(TABLE_COLUMNS.map((c) => c.name));
  const numeric = columns.filter((c) => !lakeNames.has(c.name) && NUMERIC.test(c.type)).slice(0, MAX_NUMERIC_COLUMNS);
  const run = (sql: string) => coordinateQuery(ctx, { sql });

  // Per bucket: events and distinct users (the shape gold rollups answer: counts and approximate
  // distinct counts by hour or day over whole hours), then each numeric column's mean apart.
  const perBucket = await run(
    `SELECT date_trunc('${bucket}', ts) AS b, count(*) AS n, ${hasUsers ? "approx_count_distinct(user_id)" : "NULL"} AS users` +
      ` FROM ${table} WHERE ${range} GROUP BY 1 ORDER BY 1`,
  );
  const means =
    numeric.length === 0
      ? null
      : await run(
          `SELECT date_trunc('${bucket}', ts) AS b` +
            numeric.map((c, i) => `, avg(${ident(c.name)}) AS m${i}`).join("") +
            ` FROM ${table} WHERE ${range} GROUP BY 1 ORDER BY 1`,
        );
  const starts = bucketStarts(alignedFrom, alignedTo, size);
  const byStart = new Map(perBucket.rows.map((r) => [new Date(iso(r[0])).getTime(), r]));
  const meansByStart = new Map((means?.rows ?? []).map((r) => [new Date(iso(r[0])).getTime(), r]));
  const seriesOf = (metric: string, col: number, zeroFill: boolean, from = byStart): Series => ({
    metric,
    points: starts.flatMap((t) => {
      const v = num(from.get(t)?.[col]);
      if (v === null) return zeroFill ? [{ at: new Date(t).toISOString(), value: 0 }] : [];
      return [{ at: new Date(t).toISOString(), value: v }];
    }),
  });
  const series: Series[] = [
    seriesOf(`events per ${bucket}`, column(perBucket, "n"), true),
    seriesOf(`distinct users per ${bucket}`, column(perBucket, "users"), hasUsers),
    ...numeric.map((c, i) =>
      seriesOf(`mean ${c.name} per ${bucket}`, means ? column(means, `m${i}`) : -1, false, meansByStart),
    ),
  ];
  const events = series[0] as Series;
  const users = series[1] as Series;
  series.push({
    metric: `events per user per ${bucket}`,
    points: events.points.flatMap((p, i) => {
      const u = users.points[i]?.value ?? 0;
      return u > 0 ? [{ at: p.at, value: p.value / u }] : [];
    }),
  });

  if (all) {
    // Each of the busiest event types as its own series.
    const perType = await run(
      `SELECT date_trunc('${bucket}', ts) AS b, event_type, count(*) AS n FROM events WHERE ${range} GROUP BY 1, 2`,
    );
    const totals = new Map<string, number>();
    for (const r of perType.rows) totals.set(String(r[1]), (totals.get(String(r[1])) ?? 0) + Number(r[2]));
    const top = [...totals]
      .sort((a, b) => b[1] - a[1])
      .slice(0, MAX_TYPE_SERIES)
      .map(([t]) => t);
    for (const type of top) {
      const counts = new Map(
        perType.rows.filter((r) => String(r[1]) === type).map((r) => [new Date(iso(r[0])).getTime(), Number(r[2])]),
      );
      series.push({
        metric: `${type} events per ${bucket}`,
        points: starts.map((t) => ({ at: new Date(t).toISOString(), value: counts.get(t) ?? 0 })),
      });
    }
  }

  const anomalies: AnomalyFinding[] = series.flatMap(seriesAnomalies);
  const correlations: { a: string; b: string; r: number }[] = [];
  if (numeric.length > 0) {
    anomalies.push(
      ...(await valueAnomalies(
        run,
        table,
        range,
        numeric.map((c) => c.name),
      )),
    );
    const pairs = numeric.flatMap((a, i) => numeric.slice(i + 1).map((b) => [a.name, b.name] as const));
    if (pairs.length > 0) {
      const corr = await run(
        `SELECT ${pairs.map(([a, b], i) => `corr(${ident(a)}, ${ident(b)}) AS c${i}`).join(", ")} FROM ${table} WHERE ${range}`,
      );
      pairs.forEach(([a, b], i) => {
        const r = num(corr.rows[0]?.[i]);
        if (r !== null && Number.isFinite(r)) correlations.push({ a, b, r: round(r) });
      });
    }
  }
  // Per-bucket series correlations too: e.g. users and events moving together.
  for (let i = 0; i < series.length; i++)
    for (let j = i + 1; j < series.length; j++) {
      const a = series[i] as Series;
      const b = series[j] as Series;
      if (a.points.length !== b.points.length) continue;
      const r = pearson(
        a.points.map((p) => p.value),
        b.points.map((p) => p.value),
      );
      if (r !== null) correlations.push({ a: a.metric, b: b.metric, r: round(r) });
    }
  correlations.sort((x, y) => Math.abs(y.r) - Math.abs(x.r));
  anomalies.sort((x, y) => Math.abs(y.score) - Math.abs(x.score));
  const trends = series.map((s) => seriesTrend(s, bucket)).filter((t): t is TrendFinding => t !== null);

  const words = await wordsFor(ctx.env as Env & LlmEnv, request.dataset, anomalies, trends, started);
  return {
    anomalies: anomalies.slice(0, 20).map((a) => ({ ...a, explanation: anomalyText(a) })),
    trends: trends.map((t) => ({
      metric: t.metric,
      direction: t.direction,
      change_percent: t.change_percent,
      slope_per_bucket: t.slope_per_bucket,
      period: t.period,
      explanation: trendText(t),
    })),
    correlations: correlations.slice(0, 5),
    recommendations: words.recommendations,
    summary: words.summary,
    bucket,
    generated_in_ms: Date.now() - started,
    model: words.model,
    degraded: words.model === null,
  };
}

/** Single values far outside a column's spread (robust z from the interquartile range), five per column. */
async function valueAnomalies(
  run: (sql: string) => Promise<CoordinatedAnswer>,
  table: string,
  range: string,
  columns: string[],
): Promise<AnomalyFinding[]> {
  const q = await run(
    `SELECT ${columns
      .map(
        (c, i) =>
          `quantile_cont(${ident(c)}, 0.25) AS q1_${i}, median(${ident(c)}) AS md_${i}, quantile_cont(${ident(c)}, 0.75) AS q3_${i}`,
      )
      .join(", ")} FROM ${table} WHERE ${range}`,
  );
  const row = q.rows[0] ?? [];
  const out: AnomalyFinding[] = [];
  for (const [i, c] of columns.entries()) {
    const [q1, md, q3] = [num(row[3 * i]), num(row[3 * i + 1]), num(row[3 * i + 2])];
    if (q1 === null || md === null || q3 === null || q3 <= q1) continue;
    const scale = (q3 - q1) / 1.349;
    const lo = md - ANOMALY_Z * scale;
    const hi = md + ANOMALY_Z * scale;
    const far = await run(
      `SELECT ts, ${ident(c)} AS v FROM ${table} WHERE ${range} AND (${ident(c)} < ${lo} OR ${ident(c)} > ${hi}) ` +
        `ORDER BY abs(${ident(c)} - ${md}) DESC LIMIT 5`,
    );
    for (const r of far.rows) {
      const v = Number(r[1]);
      const score = (v - md) / scale;
      out.push({
        column: c,
        value: v,
        expected_range: [round(lo), round(hi)],
        severity: severityOf(score),
        at: iso(r[0]),
        score: round(score),
      });
    }
  }
  return out;
}

/** The model words the findings when it answers within the budget; otherwise templates (model null). */
async function wordsFor(
  env: Env & LlmEnv,
  dataset: string,
  anomalies: AnomalyFinding[],
  trends: TrendFinding[],
  started: number,
): Promise<{ summary: string; recommendations: string[]; model: string | null }> {
  const templated = {
    summary: summaryText(dataset, anomalies, trends),
    recommendations: recommendations(dataset, anomalies, trends),
    model: null,
  };
  const llm = languageModel(env);
  const left = BUDGET_MS - (Date.now() - started) - 250;
  if (!llm.model || left < 500) return templated;
  const facts = JSON.stringify({ dataset, anomalies: anomalies.slice(0, 10), trends });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const reply = await Promise.race([
      llm.complete(
        [
          {
            role: "system",
            content:
              'You are an analyst. From the JSON findings, write {"summary": "<3 sentences>", "recommendations": ["<actionable step>", …]} as JSON only. Use only the numbers given.',
          },
          { role: "user", content: facts },
        ],
        { maxTokens: 500 },
      ),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new LlmUnavailableError("no answer within the insights budget", 5)), left);
      }),
    ]);
    const parsed = parseWords(reply.text);
    return parsed ? { ...parsed, model: reply.model } : templated;
  } catch (err) {
    console.warn(JSON.stringify({ level: "warn", msg: "insights words templated", error: String(err) }));
    return templated;
  } finally {
    clearTimeout(timer);
  }
}

/** The model's JSON, checked: a non-empty summary and at least one recommendation, or null. */
function parseWords(text: string): { summary: string; recommendations: string[] } | null {
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  if (start < 0 || end <= start) return null;
  try {
    const value: unknown = JSON.parse(text.slice(start, end + 1));
    if (!value || typeof value !== "object") return null;
    const { summary, recommendations: recs } = value as Record<string, unknown>;
    if (typeof summary !== "string" || summary.trim() === "" || !Array.isArray(recs)) return null;
    const list = recs.filter((r): r is string => typeof r === "string" && r.trim() !== "");
    return list.length > 0 ? { summary: summary.trim(), recommendations: list } : null;
  } catch {
    return null;
  }
}
