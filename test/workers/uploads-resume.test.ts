// A conversion that crashes halfway resumes from its checkpoint (byte offset), one that runs out of
// its invocation's budget goes on in the next; a file sent in parts is joined and converted.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runJob } from "../../queues/jobs-consumer";
import { sourceKey } from "../../services/uploads/store";
import { newId } from "../../shared/ids";
import { call, createProject } from "./helpers";
import { jobOf, settled, sql } from "./uploads-helpers";

const ROWS = 50;
const CSV = `id,label,amount\n${Array.from({ length: ROWS }, (_, i) => `${i + 1},row ${i + 1},${(i + 1) * 1.5}`).join("\n")}\n`;

/** An upload and its job, stored the way POST /v1/uploads stores them but without a queue message. */
async function storedUpload(projectId: string, body: string, format = "csv") {
  const id = newId("upl");
  const key = sourceKey(projectId, id);
  await env.LAKE.put(key, body);
  const jobId = newId("job");
  await env.DB.batch([
    env.DB.prepare(
      "INSERT INTO uploads (id, project_id, dataset, format, mode, source_key, status, bytes, job_id) VALUES (?, ?, 'ledger', ?, 'replace', ?, 'stored', ?, ?)",
    ).bind(id, projectId, format, key, body.length, jobId),
    env.DB.prepare("INSERT INTO jobs (id, type, project_id, params, status) VALUES (?, 'upload', ?, ?, 'queued')").bind(
      jobId,
      projectId,
      JSON.stringify({ upload_id: id, dataset: "ledger", format, mode: "replace" }),
    ),
  ]);
  return { id, jobId };
}

async function checkpointOf(uploadId: string) {
  const row = await env.DB.prepare("SELECT checkpoint FROM uploads WHERE id = ?")
    .bind(uploadId)
    .first<{ checkpoint: string }>();
  return JSON.parse(row?.checkpoint ?? "null") as {
    phase: string;
    offset: number;
    records: number;
    files: { key: string }[];
  };
}

describe("resumable conversion", () => {
  it("resumes after a crash from the byte offset of its last finished file", async () => {
    const p = await createProject("crash");
    const { id, jobId } = await storedUpload(p.id, CSV);
    const crash = (index: number) => {
      if (index === 1) throw new Error("the isolate died");
    };
    expect(await runJob(env, jobId, { upload: { fileRows: 20, rowGroupRows: 8, afterFile: crash } })).toBe("retry");
    const cp = await checkpointOf(id);
    expect(cp.phase).toBe("write");
    expect(cp.records).toBe(40);
    expect(cp.offset).toBe(CSV.indexOf("\n41,") + 1);
    expect(cp.files).toHaveLength(2);
    const first = await env.LAKE.head(cp.files[0]?.key as string);
    // Nothing is queryable before the conversion publishes.
    expect((await sql(p.adminKey, "SELECT count(*) FROM ledger")).status).toBe(400);

    expect(await runJob(env, jobId, { upload: { fileRows: 20, rowGroupRows: 8 } })).toBe("done");
    const job = await jobOf(p.adminKey, jobId);
    expect(job.status).toBe("succeeded");
    expect(job.result).toMatchObject({ rows: ROWS, files: 3 });
    // The first file was not written again: the resumed run started at the checkpoint.
    expect((await env.LAKE.head(cp.files[0]?.key as string))?.uploaded).toEqual(first?.uploaded);
    const all = await sql(p.adminKey, "SELECT count(*) AS n, count(DISTINCT id) AS ids, sum(amount) AS s FROM ledger");
    expect(all.data).toEqual([{ n: ROWS, ids: ROWS, s: (1.5 * ROWS * (ROWS + 1)) / 2 }]);
  });

  it("goes on in the next invocation when one runs out of its budget", async () => {
    const p = await createProject("budget");
    const { jobId } = await storedUpload(p.id, CSV);
    expect(await runJob(env, jobId, { upload: { fileRows: 10, budgetMs: 0 } })).toBe("done");
    // Its next invocation comes through the jobs queue, as on Cloudflare.
    const job = await settled(p.adminKey, jobId);
    expect(job.status).toBe("succeeded");
    expect(job.result?.invocations).toBe(2);
    expect((await sql(p.adminKey, "SELECT count(*) AS n FROM ledger")).data).toEqual([{ n: ROWS }]);
  });
});

describe("files sent in parts", () => {
  it("joins parts of 5 MiB and converts the file", async () => {
    const p = await createProject("parts");
    const start = await call("/v1/uploads/multipart", {
      method: "POST",
      token: p.adminKey,
      json: { name: "big", format: "csv" },
    });
    expect(start.status).toBe(201);
    const { upload_id } = (await start.json()) as { upload_id: string };
    const line = "1234567890,abcdefghij\n";
    const rowsPerPart = Math.ceil((5 * 1024 * 1024) / line.length);
    const first = `n,s\n${line.repeat(rowsPerPart)}`;
    const second = line.repeat(10);
    for (const [n, body] of [
      [2, second],
      [1, first],
    ] as const) {
      const res = await call(`/v1/uploads/multipart/${upload_id}/parts/${n}`, {
        method: "PUT",
        token: p.adminKey,
        body,
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { etag: string }).etag).toBeTruthy();
    }
    const done = await call(`/v1/uploads/multipart/${upload_id}/complete`, { method: "POST", token: p.adminKey });
    expect(done.status).toBe(202);
    const { job_id } = (await done.json()) as { job_id: string };
    const job = await settled(p.adminKey, job_id, 60_000);
    expect(job.status).toBe("succeeded");
    expect((await sql(p.adminKey, "SELECT count(*) AS n FROM big")).data).toEqual([{ n: rowsPerPart + 10 }]);
    const again = await call(`/v1/uploads/multipart/${upload_id}/parts/3`, {
      method: "PUT",
      token: p.adminKey,
      body: "x",
    });
    expect(again.status).toBe(409);
  });

  it("refuses to join a small part that is not the last", async () => {
    const p = await createProject("parts2");
    const start = await call("/v1/uploads/multipart", {
      method: "POST",
      token: p.adminKey,
      json: { name: "small", format: "csv" },
    });
    const { upload_id } = (await start.json()) as { upload_id: string };
    for (const n of [1, 2]) {
      await call(`/v1/uploads/multipart/${upload_id}/parts/${n}`, { method: "PUT", token: p.adminKey, body: "a\n1\n" });
    }
    const done = await call(`/v1/uploads/multipart/${upload_id}/complete`, { method: "POST", token: p.adminKey });
    expect(done.status).toBe(400);
    expect(await done.text()).toContain("5 MiB");
  });
});
