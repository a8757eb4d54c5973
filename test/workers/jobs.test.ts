import { createScheduledController, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { runJob } from "../../queues/jobs-consumer";
import { publishChange } from "../../services/manifest/publish";
import { FILE_COLUMNS } from "../../shared/lake/lake-row";
import { encodeLakeFile } from "../../shared/parquet/lake-file";
import { handleScheduled } from "../../workers/scheduled";
import { call, createKey, createProject } from "./helpers";
import { deliver, landedRows, message, queued } from "./lake-helpers";

const DAY = Date.UTC(2026, 10, 20);

/** A project with three bronze files of page.view on one day, and one of order.created. */
async function projectWithBronze() {
  const p = await createProject("jobs");
  const { key: query } = await createKey(p.adminKey, ["query"]);
  for (let b = 0; b < 3; b++) {
    await deliver([
      message(
        p.id,
        Array.from({ length: 5 }, (_, i) => queued(p.id, `b${b}-${i}`, { ts: DAY + (4 - i) * 3600_000 + b * 1000 })),
      ),
    ]);
  }
  await deliver([message(p.id, [queued(p.id, "o1", { ts: DAY + 1000, event_type: "order.created" })])]);
  return { ...p, query };
}

async function insertJob(projectId: string, type: "compact" | "retention", params: Record<string, unknown> = {}) {
  const id = `job_test_${crypto.randomUUID().slice(0, 8)}`;
  await env.DB.prepare("INSERT INTO jobs (id, type, project_id, params, status) VALUES (?, ?, ?, ?, 'queued')")
    .bind(id, type, projectId, JSON.stringify(params))
    .run();
  return id;
}

async function jobRow(id: string) {
  return env.DB.prepare("SELECT status, progress, attempts, error, result FROM jobs WHERE id = ?")
    .bind(id)
    .first<Record<string, unknown>>();
}

const currentFiles = async (projectId: string) =>
  (
    await env.DB.prepare(
      "SELECT key, layer, dataset, rows FROM lake_files WHERE project_id = ? AND removed_snapshot IS NULL ORDER BY key",
    )
      .bind(projectId)
      .all<{ key: string; layer: string; dataset: string; rows: number }>()
  ).results;

const ids = (rows: Record<string, unknown>[]) => rows.map((r) => r.event_id as string).sort();

describe("compaction", () => {
  it("merges a day's bronze files into one sorted silver file with the same rows", async () => {
    const p = await projectWithBronze();
    const before = await landedRows(p.id);
    expect((await currentFiles(p.id)).filter((f) => f.dataset === "page.view").length).toBeGreaterThan(3);

    const job = await insertJob(p.id, "compact");
    expect(await runJob(env, job)).toBe("done");
    const row = await jobRow(job);
    expect(row).toMatchObject({ status: "succeeded", progress: 100, attempts: 1 });

    const files = await currentFiles(p.id);
    const views = files.filter((f) => f.dataset === "page.view");
    expect(views).toHaveLength(1);
    expect(views[0]?.layer).toBe("silver");
    expect(views[0]?.key).toMatch(new RegExp(`^lake/${p.id}/silver/page.view/dt=2026-11-20/[\\w-]+\\.parquet$`));
    const after = await landedRows(p.id);
    expect(ids(after)).toEqual(ids(before));
    const silverRows = after.filter((r) => r.event_type === "page.view").map((r) => (r.ts as Date).getTime());
    expect(silverRows).toEqual([...silverRows].sort((a, b) => a - b));
    // A lone file in a partition is left alone.
    expect(files.filter((f) => f.dataset === "order.created").map((f) => f.layer)).toEqual(["bronze"]);
  });

  it("removes duplicates that reached different bronze files", async () => {
    const p = await projectWithBronze();
    // A file written around the dedupe path, repeating an id already in the lake.
    const dup = queued(p.id, "b0-1", { ts: DAY + 3 * 3600_000 });
    const bytes = encodeLakeFile([dup, queued(p.id, "extra", { ts: DAY + 5000 })]);
    const key = `lake/${p.id}/bronze/page.view/dt=2026-11-20/hr=03/manual.parquet`;
    await env.LAKE.put(key, bytes);
    await publishChange(env.DB, {
      projectId: p.id,
      kind: "append",
      commitId: "manual",
      remove: [],
      add: [
        {
          key,
          dataset: "page.view",
          layer: "bronze",
          dt: "2026-11-20",
          hr: 3,
          rows: 2,
          bytes: bytes.byteLength,
          minTs: DAY + 5000,
          maxTs: DAY + 3 * 3600_000,
          columns: FILE_COLUMNS,
        },
      ],
    });
    expect(ids(await landedRows(p.id)).filter((i) => i === "b0-1")).toHaveLength(2);

    const job = await insertJob(p.id, "compact", { dataset: "page.view" });
    await runJob(env, job);
    const after = ids(await landedRows(p.id));
    expect(after.filter((i) => i === "b0-1")).toHaveLength(1);
    expect(after).toContain("extra");
    const result = JSON.parse(String((await jobRow(job))?.result));
    expect(result).toMatchObject({ duplicates_removed: 1, files_out: 1 });
  });

  it("leaves answers unchanged when it crashes between writing and publishing, then succeeds on retry", async () => {
    const p = await projectWithBronze();
    const before = ids(await landedRows(p.id));
    const filesBefore = await currentFiles(p.id);
    const job = await insertJob(p.id, "compact");
    const crash = () => {
      throw new Error("injected crash between write and publish");
    };
    expect(await runJob(env, job, { compact: { afterWrite: crash } })).toBe("retry");
    expect(await jobRow(job)).toMatchObject({ status: "queued", attempts: 1 });
    expect(await currentFiles(p.id)).toEqual(filesBefore);
    expect(ids(await landedRows(p.id))).toEqual(before);

    expect(await runJob(env, job)).toBe("done");
    expect(await jobRow(job)).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(ids(await landedRows(p.id))).toEqual(before);
    expect(await runJob(env, job)).toBe("done");
    expect(ids(await landedRows(p.id))).toEqual(before);
  });
});

describe("compaction in several runs", () => {
  it("hands the partitions it has no budget for to a follow-up job", async () => {
    const p = await projectWithBronze();
    // A second partition: three more files on the next day.
    for (let b = 0; b < 3; b++) {
      await deliver([message(p.id, [queued(p.id, `next-${b}`, { ts: DAY + 86_400_000 + b * 1000 })])]);
    }
    const before = ids(await landedRows(p.id));
    const job = await insertJob(p.id, "compact", { dataset: "page.view" });
    expect(await runJob({ ...env, COMPACT_MAX_FILES_PER_RUN: "1" }, job)).toBe("done");
    const result = JSON.parse(String((await jobRow(job))?.result));
    expect(result).toMatchObject({ partitions: 1, partitions_left: 1 });
    const followUp = await env.DB.prepare("SELECT type, params FROM jobs WHERE id = ?")
      .bind(result.continued_by)
      .first();
    expect(followUp).toEqual({ type: "compact", params: '{"dataset":"page.view"}' });
    expect(ids(await landedRows(p.id))).toEqual(before);
  });
});

describe("jobs API and cron", () => {
  it("runs a job posted by an admin through the jobs queue and reports its progress", async () => {
    const p = await projectWithBronze();
    const res = await call("/v1/jobs", {
      method: "POST",
      token: p.adminKey,
      json: { type: "compact", dataset: "page.view" },
    });
    expect(res.status).toBe(202);
    const job = (await res.json()) as { id: string; status: string };
    expect(job.status).toBe("queued");
    let status = "queued";
    for (let i = 0; i < 100 && status !== "succeeded" && status !== "failed"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = ((await (await call(`/v1/jobs/${job.id}`, { token: p.adminKey })).json()) as { status: string }).status;
    }
    expect(status).toBe("succeeded");
    const list = (await (await call("/v1/jobs", { token: p.adminKey })).json()) as { jobs: { id: string }[] };
    expect(list.jobs.map((j) => j.id)).toContain(job.id);
    const other = await createProject();
    expect((await call(`/v1/jobs/${job.id}`, { token: other.adminKey })).status).toBe(404);
    expect((await call("/v1/jobs", { method: "POST", token: p.query, json: { type: "compact" } })).status).toBe(403);
    expect((await call("/v1/jobs", { method: "POST", token: p.adminKey, json: { type: "vacuum" } })).status).toBe(400);
  });

  it("plans compaction and rollups hourly and retention daily for every project", async () => {
    const p = await createProject("cron");
    await handleScheduled(createScheduledController({ cron: "5 * * * *", scheduledTime: Date.now() }), env);
    await handleScheduled(createScheduledController({ cron: "30 3 * * *", scheduledTime: Date.now() }), env);
    const types = (
      await env.DB.prepare("SELECT type FROM jobs WHERE project_id = ? ORDER BY type")
        .bind(p.id)
        .all<{ type: string }>()
    ).results.map((r) => r.type);
    expect(types).toEqual(["compact", "retention", "rollup"]);
  });
});

describe("retention, snapshots and time travel", () => {
  it("drops expired partitions through the manifest and old quarantine objects", async () => {
    const p = await createProject("ret");
    const old = Date.now() - 10 * 86_400_000;
    await deliver([
      message(p.id, [queued(p.id, "old", { ts: old }), queued(p.id, "new", { ts: Date.now() - 3600_000 })]),
    ]);
    const put = await call("/v1/datasets/page.view", { method: "PUT", token: p.adminKey, json: { retention_days: 7 } });
    expect(put.status).toBe(200);
    const oldDay = new Date(old).toISOString().slice(0, 10);
    await env.LAKE.put(`quarantine/${p.id}/${oldDay}/${oldDay}T00:00:00.000Z_r.ndjson`, "{}\n");
    const fresh = `quarantine/${p.id}/${new Date().toISOString().slice(0, 10)}/x_r.ndjson`;
    await env.LAKE.put(fresh, "{}\n");

    const job = await insertJob(p.id, "retention");
    await runJob({ ...env, QUARANTINE_RETENTION_DAYS: "7" }, job);
    expect(ids(await landedRows(p.id))).toEqual(["new"]);
    const left = (await env.LAKE.list({ prefix: `quarantine/${p.id}/` })).objects.map((o) => o.key);
    expect(left).toEqual([fresh]);
    const bad = await call("/v1/datasets/page.view", { method: "PUT", token: p.adminKey, json: { retention_days: 0 } });
    expect(bad.status).toBe(400);
  });

  it("lists snapshots and rolls a dataset back to one", async () => {
    const p = await projectWithBronze();
    const before = ids(await landedRows(p.id));
    const snaps = (await (await call("/v1/snapshots", { token: p.query })).json()) as {
      snapshots: { id: number; kind: string }[];
    };
    const beforeCompaction = snaps.snapshots[0]?.id as number;
    await runJob(env, await insertJob(p.id, "compact"));
    const after = (await (await call("/v1/snapshots", { token: p.query })).json()) as typeof snaps;
    expect(after.snapshots[0]?.kind).toBe("compact");

    const res = await call("/v1/datasets/page.view/rollback", {
      method: "POST",
      token: p.adminKey,
      json: { snapshot: beforeCompaction },
    });
    expect(res.status).toBe(200);
    const layers = (await currentFiles(p.id)).filter((f) => f.dataset === "page.view").map((f) => f.layer);
    expect(new Set(layers)).toEqual(new Set(["bronze"]));
    expect(ids(await landedRows(p.id))).toEqual(before);
    const missing = await call("/v1/datasets/page.view/rollback", {
      method: "POST",
      token: p.adminKey,
      json: { snapshot: 999_999 },
    });
    expect(missing.status).toBe(404);
  });

  it("garbage-collects replaced objects after the grace period, and then refuses to roll back to them", async () => {
    const p = await projectWithBronze();
    const first = ((await (await call("/v1/snapshots", { token: p.query })).json()) as { snapshots: { id: number }[] })
      .snapshots[0]?.id;
    const bronze = (await currentFiles(p.id)).filter((f) => f.dataset === "page.view").map((f) => f.key);
    await runJob(env, await insertJob(p.id, "compact"));
    await runJob({ ...env, GC_GRACE_HOURS: "0" }, await insertJob(p.id, "retention"));
    for (const key of bronze) expect(await env.LAKE.head(key)).toBeNull();
    expect((await landedRows(p.id)).length).toBe(16);
    const res = await call("/v1/datasets/page.view/rollback", {
      method: "POST",
      token: p.adminKey,
      json: { snapshot: first },
    });
    expect(res.status).toBe(409);
  });
});
