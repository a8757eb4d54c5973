// Helpers for view tests: SQL through /v1/query, and waiting for queued jobs to finish.
import { env } from "cloudflare:workers";
import { call } from "./helpers";

export async function sql(token: string, text: string, extra: Record<string, unknown> = {}) {
  const res = await call("/v1/query", { method: "POST", token, json: { sql: text, ...extra } });
  const body = (await res.json()) as {
    meta: { name: string; type: string }[];
    data: Record<string, unknown>[];
    error?: { code: string; message: string };
  };
  return { status: res.status, ...body };
}

/** Waits until the jobs queue's consumer has finished the job; returns its row. */
export async function finished(jobId: string, timeoutMs = 25_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const row = await env.DB.prepare("SELECT status, error, result FROM jobs WHERE id = ?")
      .bind(jobId)
      .first<{ status: string; error: string | null; result: string | null }>();
    if (row && (row.status === "succeeded" || row.status === "failed")) {
      return { ...row, result: row.result ? (JSON.parse(row.result) as Record<string, unknown>) : null };
    }
    if (Date.now() > until) throw new Error(`job ${jobId} did not finish: ${JSON.stringify(row)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Defines a view through the API and waits for its first build. */
export async function defineView(token: string, name: string, body: Record<string, unknown>) {
  const res = await call(`/v1/views/${name}`, { method: "PUT", token, json: body });
  const out = (await res.json()) as { job_id: string | null; error?: { code: string; message: string } };
  if (res.status !== 201 && res.status !== 200) throw new Error(`PUT view: ${res.status} ${JSON.stringify(out)}`);
  if (out.job_id) {
    const job = await finished(out.job_id);
    if (job.status !== "succeeded") throw new Error(`view build failed: ${job.error}`);
  }
  return out;
}

/** Refreshes a view now and waits for the job. */
export async function refresh(token: string, name: string) {
  const res = await call(`/v1/views/${name}/refresh`, { method: "POST", token });
  if (res.status !== 202) throw new Error(`refresh: ${res.status} ${await res.text()}`);
  const { job_id } = (await res.json()) as { job_id: string };
  return finished(job_id);
}
