// Scores a real language model on the evaluation set: `LLM_BASE_URL=… LLM_MODEL=… [LLM_API_KEY=…] npx tsx bench/nl-eval/score.ts`.
// Starts `wrangler dev` with that model, loads the fixed dataset, asks every question through
// POST /v1/query/natural and counts the answers whose rows equal the reference SQL's.
import { readFileSync } from "node:fs";
import path from "node:path";
import { startDevServer } from "../../test/e2e/server";
import { sameRows } from "./compare";
import { CONTRACTS, evaluationEvents } from "./dataset";

interface Question {
  question: string;
  dataset?: string;
  sql: string;
}

const questions = JSON.parse(readFileSync(path.join(import.meta.dirname, "questions.json"), "utf8")) as Question[];
const baseUrl = process.env.LLM_BASE_URL;
const model = process.env.LLM_MODEL;
if (!baseUrl && !process.env.LLM_API_KEY) {
  console.error("set LLM_BASE_URL (and LLM_MODEL, LLM_API_KEY as the server needs) to score a model");
  process.exit(2);
}
const vars = [
  ...(baseUrl ? ["--var", `LLM_BASE_URL:${baseUrl}`] : []),
  ...(model ? ["--var", `LLM_MODEL:${model}`] : []),
  ...(process.env.LLM_API_KEY ? ["--var", `LLM_API_KEY:${process.env.LLM_API_KEY}`] : []),
  "--var",
  "LLM_TIMEOUT_MS:60000",
];
const server = await startDevServer(vars);
try {
  const created = await server.api("/v1/projects", {
    method: "POST",
    token: server.adminKey,
    json: { name: "nl-eval" },
  });
  const { admin_key: key } = (await created.json()) as { admin_key: string };
  for (const [type, schema] of Object.entries(CONTRACTS)) {
    await server.api(`/v1/contracts/${type}`, { method: "PUT", token: key, json: { schema } });
  }
  const events = evaluationEvents();
  for (let i = 0; i < events.length; i += 5000) {
    await server.api("/v1/events", { method: "POST", token: key, json: events.slice(i, i + 5000) });
  }
  for (const deadline = Date.now() + 120_000; ; ) {
    const q = await server.api("/v1/query", {
      method: "POST",
      token: key,
      json: { sql: "SELECT count(*) AS n FROM events" },
    });
    const n = Number(((await q.json()) as { data: { n: number }[] }).data[0]?.n);
    if (n === events.length) break;
    if (Date.now() > deadline) throw new Error(`only ${n} of ${events.length} events landed`);
    await new Promise((r) => setTimeout(r, 500));
  }
  let right = 0;
  for (const q of questions) {
    const reference = (await (
      await server.api("/v1/query", { method: "POST", token: key, json: { sql: q.sql } })
    ).json()) as { data: Record<string, unknown>[] };
    const res = await server.api("/v1/query/natural", {
      method: "POST",
      token: key,
      json: { question: q.question, dataset: q.dataset },
    });
    const body = (await res.json()) as { sql?: string; data?: Record<string, unknown>[]; error?: { code: string } };
    const ok = res.status === 200 && sameRows(reference.data, body.data ?? []);
    if (ok) right++;
    console.log(`${ok ? "✓" : "✗"} ${q.question}\n    ${res.status} ${body.sql ?? body.error?.code ?? ""}`);
  }
  console.log(
    `\n${right}/${questions.length} answers match the reference (${((100 * right) / questions.length).toFixed(0)} %), model ${model ?? "default"}`,
  );
} finally {
  await server.stop();
}
