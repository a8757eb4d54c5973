// Helpers for upload tests: send a file, run its conversion job the way the jobs queue would, query.
import { env } from "cloudflare:workers";
import type { UploadHooks } from "../../queues/jobs/upload";
import { runJob } from "../../queues/jobs-consumer";
import { call } from "./helpers";

export interface Job {
  id: string;
  status: string;
  progress: number;
  error: string | null;
  result: Record<string, unknown> | null;
}

export async function uploadFile(
  token: string,
  query: string,
  body: BodyInit,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await call(`/v1/uploads?${query}`, { method: "POST", token, body, headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function jobOf(token: string, id: string): Promise<Job> {
  const res = await call(`/v1/jobs/${id}`, { token });
  return (await res.json()) as Job;
}

/** Runs the job until it stops asking for another invocation, as redeliveries of its message would. */
export async function runToEnd(id: string, hooks: UploadHooks = {}, vars: Record<string, string> = {}): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const outcome = await runJob({ ...env, ...vars } as Env, id, { upload: hooks });
    const row = await env.DB.prepare("SELECT status FROM jobs WHERE id = ?").bind(id).first<{ status: string }>();
    if (outcome === "done" && row?.status !== "queued") return;
  }
  throw new Error("the job did not finish");
}

/** Waits until the jobs queue's consumer has finished the job. */
export async function settled(token: string, id: string, timeoutMs = 20_000): Promise<Job> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const job = await jobOf(token, id);
    if (job.status === "succeeded" || job.status === "failed") return job;
    if (Date.now() > until) throw new Error(`job ${id} still ${job.status} at ${job.progress}%`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Uploads, lets the jobs queue convert it, and returns the finished job. */
export async function uploadAndConvert(
  token: string,
  query: string,
  body: BodyInit,
  headers: Record<string, string> = {},
): Promise<Job> {
  const sent = await uploadFile(token, query, body, headers);
  if (sent.status !== 202) throw new Error(`upload refused: ${sent.status} ${JSON.stringify(sent.body)}`);
  return settled(token, sent.body.job_id as string);
}

export async function sql(token: string, text: string) {
  const res = await call("/v1/query", { method: "POST", token, json: { sql: text } });
  const body = (await res.json()) as {
    data: Record<string, unknown>[];
    meta: { name: string; type: string }[];
    error?: { code: string; message: string };
  };
  return { status: res.status, ...body };
}

export function gzip(text: string): Promise<ArrayBuffer> {
  return new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
}
