import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { parquetReadObjects } from "hyparquet";
import { describe, expect, it } from "vitest";
import { consumeDeadLetters } from "../../queues/dead-letters";
import { lakeCompressors } from "../../shared/parquet/codecs";
import { call, createKey, createProject, expectEnvelope } from "./helpers";
import { deliver, message, queued } from "./lake-helpers";

async function projectWithData() {
  const p = await createProject("lake");
  const { key } = await createKey(p.adminKey, ["query"]);
  const t = Date.UTC(2026, 10, 21, 8, 15);
  await deliver([
    message(p.id, [
      queued(p.id, "e1", { ts: t }),
      queued(p.id, "e2", { ts: t + 60_000 }),
      queued(p.id, "e3", { ts: t + 2 * 3600_000, event_type: "order.created" }),
    ]),
  ]);
  return { ...p, query: key, t };
}

describe("reading the lake", () => {
  it("lists datasets with rows, files, time range and columns", async () => {
    const p = await projectWithData();
    const res = await call("/v1/datasets", { token: p.query });
    expect(res.status).toBe(200);
    const { datasets } = (await res.json()) as { datasets: Record<string, unknown>[] };
    expect(datasets.map((d) => [d.name, d.rows, d.files])).toEqual([
      ["order.created", 1, 1],
      ["page.view", 2, 1],
    ]);
    expect(datasets[1]?.first_event_at).toBe(new Date(p.t).toISOString());
    expect(datasets[1]?.last_event_at).toBe(new Date(p.t + 60_000).toISOString());
    const columns = (datasets[0] as { columns: { name: string }[] }).columns;
    expect(columns.map((c) => c.name)).toContain("payload");
  });

  it("lists the current files, filtered by dataset and time", async () => {
    const p = await projectWithData();
    const all = (await (await call("/v1/lake/files", { token: p.query })).json()) as {
      files: { key: string; dataset: string }[];
    };
    expect(all.files).toHaveLength(2);
    const views = (await (await call("/v1/lake/files?dataset=page.view", { token: p.query })).json()) as typeof all;
    expect(views.files.map((f) => f.dataset)).toEqual(["page.view"]);
    const later = new Date(p.t + 3600_000).toISOString();
    const recent = (await (await call(`/v1/lake/files?from=${later}`, { token: p.query })).json()) as typeof all;
    expect(recent.files.map((f) => f.dataset)).toEqual(["order.created"]);
    const bad = await call("/v1/lake/files?from=yesterday", { token: p.query });
    expect(bad.status).toBe(400);
  });

  it("streams a file of the caller's project and refuses other projects' keys and traversal", async () => {
    const p = await projectWithData();
    const { files } = (await (await call("/v1/lake/files", { token: p.query })).json()) as {
      files: { key: string; rows: number }[];
    };
    const first = files[0] as { key: string; rows: number };
    const res = await call(`/v1/lake/files/${first.key}`, { token: p.query });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/vnd.apache.parquet");
    const rows = await parquetReadObjects({ file: await res.arrayBuffer(), compressors: lakeCompressors });
    expect(rows).toHaveLength(first.rows);
    const encoded = await call(`/v1/lake/files/${encodeURIComponent(first.key)}`, { token: p.query });
    expect(encoded.status).toBe(200);

    const other = await createProject("other");
    const { key: otherQuery } = await createKey(other.adminKey, ["query"]);
    const foreign = await call(`/v1/lake/files/${first.key}`, { token: otherQuery });
    expect(foreign.status).toBe(404);
    expect((await expectEnvelope(foreign)).code).toBe("NOT_FOUND");
    const traversal = await call(`/v1/lake/files/lake/${other.id}/../${p.id}/x.parquet`, { token: otherQuery });
    expect(traversal.status).toBe(404);
  });

  it("needs the query scope", async () => {
    const p = await createProject();
    const { key } = await createKey(p.adminKey, ["ingest"]);
    for (const path of ["/v1/datasets", "/v1/lake/files", "/v1/lake/files/lake/x.parquet"]) {
      expect((await call(path, { token: key })).status).toBe(403);
    }
  });
});

describe("dead letters", () => {
  it("keeps messages that exhausted their retries where the project's admin can see them", async () => {
    const p = await createProject("dlq");
    const poison = {
      id: "dead-1",
      timestamp: new Date(),
      attempts: 6,
      body: { v: 1, project: p.id, events: [{ bad: 1 }] },
    };
    const batch = createMessageBatch("tarn-events-dlq", [poison]);
    await consumeDeadLetters(batch, env);
    expect((await getQueueResult(batch, createExecutionContext())).explicitAcks).toEqual(["dead-1"]);
    const res = await call("/v1/dead-letters", { token: p.adminKey });
    expect(res.status).toBe(200);
    const { dead_letters } = (await res.json()) as { dead_letters: Record<string, unknown>[] };
    expect(dead_letters).toHaveLength(1);
    expect(dead_letters[0]).toMatchObject({ message_id: "dead-1", attempts: 6, events: 1, queue: "tarn-events-dlq" });
    expect(JSON.parse(dead_letters[0]?.body as string)).toEqual(poison.body);
  });

  it("shows a dead-lettered job message to its project's admin", async () => {
    const p = await createProject("dlq-jobs");
    const queuedJob = await call("/v1/jobs", { method: "POST", token: p.adminKey, json: { type: "compact" } });
    expect(queuedJob.status).toBe(202);
    const { id } = (await queuedJob.json()) as { id: string };
    // As queued now (it names its project), and as queued before messages did (only the job id).
    const batch = createMessageBatch("tarn-jobs-dlq", [
      { id: "dead-job-1", timestamp: new Date(), attempts: 6, body: { job_id: id, project: p.id } },
      { id: "dead-job-2", timestamp: new Date(), attempts: 6, body: { job_id: id } },
    ]);
    await consumeDeadLetters(batch, env);
    const res = await call("/v1/dead-letters", { token: p.adminKey });
    const { dead_letters } = (await res.json()) as { dead_letters: Record<string, unknown>[] };
    expect(dead_letters.map((d) => d.message_id).sort()).toEqual(["dead-job-1", "dead-job-2"]);
    expect(dead_letters.every((d) => d.queue === "tarn-jobs-dlq")).toBe(true);
    const other = await createProject("dlq-jobs-other");
    const theirs = (await (await call("/v1/dead-letters", { token: other.adminKey })).json()) as {
      dead_letters: unknown[];
    };
    expect(theirs.dead_letters).toHaveLength(0);
  });
});
