import { createScheduledController, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { runJob } from "../../queues/jobs-consumer";
import { compactSoon } from "../../services/jobs/compact-soon";
import { publish } from "../../services/manifest/publish";
import { FILE_COLUMNS } from "../../shared/lake/lake-row";
import { landing } from "../../shared/lake/landing-first";
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
      "SELECT key, layer, dataset, dt, rows FROM lake_files WHERE project_id = ? AND removed_snapshot IS NULL ORDER BY key",
    )
      .bind(projectId)
      .all<{ key: string; layer: string; dataset: string; dt: string; rows: number }>()
  ).results;

const ids = (rows: Record<string, unknown>[]) => rows.map((r) => r.event_id as string).sort();

describe("compaction", () => {
  it("merges a day's bronze files into one sorted silver file with the same rows", async () => {
    const p = await projectWithBronze();
    const before = await landedRows(p.id);
    // Three deliveries: three bronze files (one per batch and dataset), events over five hours.
    expect((await currentFiles(p.id)).filter((f) => f.dataset === "page.view").length).toBe(3);

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
    // Landed in the same arrival partition as the others, as a consumer would have written it.
    const [today, hour] = [new Date().toISOString().slice(0, 10), new Date().getUTCHours()];
    const key = `lake/${p.id}/bronze/page.view/dt=${today}/hr=${String(hour).padStart(2, "0")}/manual.parquet`;
    await env.LAKE.put(key, bytes);
    await publish(env.DB, {
      kind: "append",
      commitId: "manual",
      files: [
        {
          projectId: p.id,
          key,
          dataset: "page.view",
          layer: "bronze",
          dt: today,
          hr: hour,
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

describe("landing first", () => {
  it("holds a compaction's steps while a landing batch of its isolate is in flight", async () => {
    const p = await projectWithBronze();
    let release: () => void = () => {};
    const lands = landing(() => new Promise<void>((r) => (release = r)));
    let finished = false;
    const run = runJob(env, await insertJob(p.id, "compact")).then(() => {
      finished = true;
    });
    await new Promise((r) => setTimeout(r, 150));
    // Still waiting at its first step: nothing read, nothing published.
    expect(finished).toBe(false);
    expect((await currentFiles(p.id)).every((f) => f.layer === "bronze")).toBe(true);
    release();
    await lands;
    await run;
    expect((await currentFiles(p.id)).filter((f) => f.dataset === "page.view").map((f) => f.layer)).toEqual(["silver"]);
  });
});

describe("compaction in several runs", () => {
  it("hands the files it has no budget for to a follow-up job", async () => {
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

describe("few large files", () => {
  it("sorts a backfill's bronze into silver by event day, then merges small silver files and leaves large ones", async () => {
    const p = await createProject("layers");
    const start = Date.UTC(2026, 10, 18, 12);
    // Two batches, each spanning five event days (a backfill): two bronze files.
    for (const b of [0, 1]) {
      await deliver([
        message(
          p.id,
          Array.from({ length: 30 }, (_, i) => queued(p.id, `b${b}-${i}`, { ts: start + i * 3 * 3600_000 + b })),
        ),
      ]);
    }
    const before = ids(await landedRows(p.id));
    expect((await currentFiles(p.id)).map((f) => f.layer)).toEqual(["bronze", "bronze"]);
    await runJob(env, await insertJob(p.id, "compact"));
    const silver = await currentFiles(p.id);
    expect(silver.map((f) => [f.layer, f.dt])).toEqual([
      ["silver", "2026-11-18"],
      ["silver", "2026-11-19"],
      ["silver", "2026-11-20"],
      ["silver", "2026-11-21"],
      ["silver", "2026-11-22"],
    ]);
    expect(ids(await landedRows(p.id))).toEqual(before);

    // More arrives for the same days: the next run merges each day's small silver files into one.
    await deliver([
      message(p.id, [queued(p.id, "late-1", { ts: start + 1000 }), queued(p.id, "late-2", { ts: start + 2000 })]),
    ]);
    await deliver([message(p.id, [queued(p.id, "late-3", { ts: start + 3000 })])]);
    await runJob(env, await insertJob(p.id, "compact"));
    const merged = await currentFiles(p.id);
    expect(merged.filter((f) => f.dt === "2026-11-18").map((f) => f.layer)).toEqual(["silver"]);
    expect(merged).toHaveLength(5);
    expect(ids(await landedRows(p.id))).toEqual([...before, "late-1", "late-2", "late-3"].sort());

    // Files of at least half the target size are left alone: nothing to merge at a target of 10 rows.
    await deliver([message(p.id, [queued(p.id, "late-4", { ts: start + 4000 })])]);
    await deliver([message(p.id, [queued(p.id, "late-5", { ts: start + 5000 })])]);
    const small = await insertJob(p.id, "compact");
    await runJob({ ...env, COMPACT_TARGET_ROWS: "10" }, small);
    const day18 = (await currentFiles(p.id)).filter((f) => f.dt === "2026-11-18");
    // The bronze pair became one silver file; the 11-row silver file (≥ 5) was not rewritten.
    expect(day18.map((f) => f.rows).sort((a, b) => a - b)).toEqual([2, 11]);
  });

  it("bounds each compacted file by its inputs' stored bytes, so a compaction's memory stays bounded", async () => {
    const p = await projectWithBronze();
    const before = ids(await landedRows(p.id));
    const sizes = (
      await env.DB.prepare(
        "SELECT bytes FROM lake_files WHERE project_id = ? AND dataset = 'page.view' AND removed_snapshot IS NULL",
      )
        .bind(p.id)
        .all<{ bytes: number }>()
    ).results.map((r) => r.bytes);
    expect(sizes).toHaveLength(3);
    // A target no two inputs fit in together: each becomes a silver file of its own, none larger.
    const target = Math.max(...sizes) + 1;
    expect(2 * Math.min(...sizes)).toBeGreaterThan(target);
    await runJob({ ...env, COMPACT_TARGET_BYTES: String(target) }, await insertJob(p.id, "compact"));
    const silver = (await currentFiles(p.id)).filter((f) => f.dataset === "page.view");
    expect(silver.map((f) => [f.layer, f.rows])).toEqual([
      ["silver", 5],
      ["silver", 5],
      ["silver", 5],
    ]);
    expect(ids(await landedRows(p.id))).toEqual(before);
  });

  it("queues a compaction as soon as a dataset's bronze files pile up, and only one at a time", async () => {
    const p = await createProject("soon");
    const tight = { ...env, COMPACT_BRONZE_FILES: "3" };
    const pending = async () =>
      (
        await env.DB.prepare("SELECT count(*) AS n FROM jobs WHERE project_id = ? AND type = 'compact'")
          .bind(p.id)
          .first<{ n: number }>()
      )?.n;
    for (const b of [0, 1]) await deliver([message(p.id, [queued(p.id, `s${b}`)])]);
    expect(await compactSoon(tight, [p.id])).toEqual([]);
    await deliver([message(p.id, [queued(p.id, "s2")])]);
    expect(await compactSoon(tight, [p.id])).toEqual([p.id]);
    expect(await pending()).toBe(1);
    // While that job is queued or running, more landings queue no other.
    await deliver([message(p.id, [queued(p.id, "s3")])]);
    expect(await compactSoon(tight, [p.id])).toEqual([]);
    expect(await pending()).toBe(1);
  });

  it("queues a compaction when many event types each have a few bronze files", async () => {
    const p = await createProject("soon-wide");
    const tight = { ...env, COMPACT_BRONZE_FILES: "3" };
    // Two batches of six event types: 12 bronze files, no type with 3, but 12 ≥ 4 × 3 in all.
    const types = ["a", "b", "c", "d", "e", "f"];
    await deliver([
      message(
        p.id,
        types.map((t) => queued(p.id, `x-${t}`, { event_type: t })),
      ),
    ]);
    expect(await compactSoon(tight, [p.id])).toEqual([]);
    await deliver([
      message(
        p.id,
        types.map((t) => queued(p.id, `y-${t}`, { event_type: t })),
      ),
    ]);
    expect(await compactSoon(tight, [p.id])).toEqual([p.id]);
  });

  it("lets the tail of a burst settle: one delayed compaction for bronze below the threshold, which merges it", async () => {
    const p = await createProject("settle");
    const settling = { ...env, COMPACT_BRONZE_FILES: "3", COMPACT_SETTLE_SECONDS: "60" };
    const compactJobs = async () =>
      (
        await env.DB.prepare(
          "SELECT id, status, params FROM jobs WHERE project_id = ? AND type = 'compact' ORDER BY created_at",
        )
          .bind(p.id)
          .all<{ id: string; status: string; params: string }>()
      ).results;
    await deliver([message(p.id, [queued(p.id, "t0")])]);
    // One bronze file: nothing to merge, nothing queued.
    expect(await compactSoon(settling, [p.id])).toEqual([]);
    expect(await compactJobs()).toEqual([]);
    await deliver([message(p.id, [queued(p.id, "t1")])]);
    // Two, below the threshold of three: a compaction that waits to settle (not one queued now).
    expect(await compactSoon(settling, [p.id])).toEqual([]);
    const [settle] = await compactJobs();
    expect(settle?.status).toBe("queued");
    expect(JSON.parse(settle?.params ?? "{}")).toEqual({ settle: true });
    // While it waits, landings queue no other.
    expect(await compactSoon(settling, [p.id])).toEqual([]);
    expect(await compactJobs()).toHaveLength(1);
    // Turned off, nothing settles.
    const other = await createProject("settle-off");
    for (const b of [0, 1]) await deliver([message(other.id, [queued(other.id, `o${b}`)])]);
    await compactSoon({ ...settling, COMPACT_SETTLE_SECONDS: "0" }, [other.id]);
    expect(
      (await env.DB.prepare("SELECT count(*) AS n FROM jobs WHERE project_id = ?").bind(other.id).first())?.n,
    ).toBe(0);
    // When it runs, the tail is merged into silver, every row kept.
    const before = ids(await landedRows(p.id));
    await runJob(settling, settle?.id as string);
    expect((await jobRow(settle?.id as string))?.status).toBe("succeeded");
    expect((await currentFiles(p.id)).map((f) => f.layer)).toEqual(["silver"]);
    expect(ids(await landedRows(p.id))).toEqual(before);
  });

  it("compacts a pile-up at once even while a settling compaction waits", async () => {
    const p = await createProject("settle-pile");
    const settling = { ...env, COMPACT_BRONZE_FILES: "3", COMPACT_SETTLE_SECONDS: "60" };
    for (const b of [0, 1]) await deliver([message(p.id, [queued(p.id, `u${b}`)])]);
    expect(await compactSoon(settling, [p.id])).toEqual([]);
    await deliver([message(p.id, [queued(p.id, "u2")])]);
    expect(await compactSoon(settling, [p.id])).toEqual([p.id]);
    const params = (
      await env.DB.prepare("SELECT params FROM jobs WHERE project_id = ? AND type = 'compact' ORDER BY created_at")
        .bind(p.id)
        .all<{ params: string }>()
    ).results.map((r) => JSON.parse(r.params));
    expect(params).toEqual([{ settle: true }, { minor: true }]);
  });

  it("has a minor compaction merge small silver by tier, leaving a larger file whole until the burst settles", async () => {
    const p = await createProject("tiers");
    const settling = { ...env, COMPACT_SETTLE_SECONDS: "60" };
    const batch = (prefix: string, n: number) =>
      deliver([
        message(
          p.id,
          Array.from({ length: n }, (_, i) => queued(p.id, `${prefix}${i}`)),
        ),
      ]);
    // 40 rows of one event day in one silver file (a full compaction of two bronze files).
    await batch("a", 20);
    await batch("b", 20);
    await runJob(settling, await insertJob(p.id, "compact"));
    const [large] = await currentFiles(p.id);
    expect(large).toMatchObject({ layer: "silver", rows: 40 });
    // A burst's small delta: 4 rows. The minor job makes it silver but does not rewrite the 40 rows.
    await batch("c", 2);
    await batch("d", 2);
    const minor = await insertJob(p.id, "compact", { minor: true });
    await runJob(settling, minor);
    expect((await jobRow(minor))?.status).toBe("succeeded");
    const afterMinor = await currentFiles(p.id);
    expect(afterMinor.map((f) => [f.layer, f.rows]).sort()).toEqual([
      ["silver", 4],
      ["silver", 40],
    ]);
    expect(afterMinor.map((f) => f.key)).toContain(large?.key);
    // Its end queued the settling compaction. Run while events still arrive (the last landing is
    // younger than COMPACT_SETTLE_SECONDS), it merges by tier too and leaves the next settling job.
    const queuedSettle = async () =>
      env.DB.prepare("SELECT id, params FROM jobs WHERE project_id = ? AND type = 'compact' AND status = 'queued'")
        .bind(p.id)
        .first<{ id: string; params: string }>();
    const early = await queuedSettle();
    expect(JSON.parse(early?.params ?? "null")).toEqual({ settle: true });
    await runJob(settling, early?.id as string);
    expect((await currentFiles(p.id)).map((f) => f.rows).sort()).toEqual([4, 40]);
    // A minute after the last landing the burst is over: the settling job merges the day whole.
    await env.DB.prepare("UPDATE snapshots SET created_at = '2026-01-01T00:00:00.000Z' WHERE project_id = ?")
      .bind(p.id)
      .run();
    const settle = await queuedSettle();
    expect(settle?.id).not.toBe(early?.id);
    const before = ids(await landedRows(p.id));
    await runJob(settling, settle?.id as string);
    expect((await currentFiles(p.id)).map((f) => [f.layer, f.rows])).toEqual([["silver", 44]]);
    expect(ids(await landedRows(p.id))).toEqual(before);
  });

  it("has a finishing compaction queue the next one when bronze landed meanwhile", async () => {
    const p = await createProject("soon-chain");
    const tight = { ...env, COMPACT_BRONZE_FILES: "2" };
    const job = await insertJob(p.id, "compact");
    // The job compacts what is there; more lands while it runs (its hook), enough for another.
    for (const b of [0, 1]) await deliver([message(p.id, [queued(p.id, `c${b}`)])]);
    let landed = false;
    await runJob(tight, job, {
      compact: {
        afterWrite: async () => {
          if (landed) return;
          landed = true;
          for (const b of [2, 3]) await deliver([message(p.id, [queued(p.id, `c${b}`)])]);
        },
      },
    });
    expect(JSON.parse(String((await jobRow(job))?.result))).toMatchObject({
      files_in: 2,
      followed_by_compaction: true,
    });
    const next = await env.DB.prepare(
      "SELECT count(*) AS n FROM jobs WHERE project_id = ? AND type = 'compact' AND id != ?",
    )
      .bind(p.id, job)
      .first<{ n: number }>();
    expect(next?.n).toBe(1);
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

  it("plans compaction and rollups hourly and retention and profiles daily for every project", async () => {
    const p = await createProject("cron");
    await handleScheduled(createScheduledController({ cron: "5 * * * *", scheduledTime: Date.now() }), env);
    await handleScheduled(createScheduledController({ cron: "30 3 * * *", scheduledTime: Date.now() }), env);
    const types = (
      await env.DB.prepare("SELECT type FROM jobs WHERE project_id = ? ORDER BY type")
        .bind(p.id)
        .all<{ type: string }>()
    ).results.map((r) => r.type);
    expect(types).toEqual(["compact", "profile", "retention", "rollup"]);
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
    expect(res.status).toBe(410);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("GONE");

    // Time travel to a snapshot whose files are gone says so, naming the snapshot.
    const travel = await call("/v1/query", {
      method: "POST",
      token: p.query,
      json: { sql: "SELECT count(*) AS n FROM events", snapshot: first },
    });
    expect(travel.status).toBe(410);
    const { error } = (await travel.json()) as {
      error: { code: string; message: string; details: { snapshot: number } };
    };
    expect(error.code).toBe("GONE");
    expect(error.message).toContain(`snapshot ${first}`);
    expect(error.details.snapshot).toBe(first);
    // The current lake still answers.
    const now = await call("/v1/query", {
      method: "POST",
      token: p.query,
      json: { sql: "SELECT count(*) AS n FROM events" },
    });
    expect(((await now.json()) as { data: { n: number }[] }).data[0]?.n).toBe(16);
  });

  it("deletes orphan and staged objects past the grace period, and keeps published and young ones", async () => {
    const p = await createProject("orphans");
    await deliver([message(p.id, [queued(p.id, "kept-1"), queued(p.id, "kept-2")])]);
    const published = (await currentFiles(p.id)).map((f) => f.key);
    // What a consumer or compaction that died before publishing leaves, and a staged request body.
    const orphan = `lake/${p.id}/bronze/page.view/dt=2026-11-20/hr=10/dead-writer.parquet`;
    const staged = `staging/${p.id}/2026-11-20/req-1.ndjson`;
    const neighbour = `lake/${p.id}x/bronze/page.view/dt=2026-11-20/hr=10/not-mine.parquet`;
    for (const key of [orphan, staged, neighbour]) await env.LAKE.put(key, "x");

    // Within the grace period nothing goes: a writer may still be about to publish.
    const young = await insertJob(p.id, "retention");
    await runJob(env, young);
    expect(await env.LAKE.head(orphan)).not.toBeNull();
    expect(await env.LAKE.head(staged)).not.toBeNull();

    const old = await insertJob(p.id, "retention");
    await runJob({ ...env, GC_GRACE_HOURS: "0" }, old);
    expect(await env.LAKE.head(orphan)).toBeNull();
    expect(await env.LAKE.head(staged)).toBeNull();
    expect(await env.LAKE.head(neighbour)).not.toBeNull();
    for (const key of published) expect(await env.LAKE.head(key)).not.toBeNull();
    expect(JSON.parse((await jobRow(old))?.result as string)).toMatchObject({ orphans_deleted: 1, staged_deleted: 1 });
    expect(ids(await landedRows(p.id)).sort()).toEqual(["kept-1", "kept-2"]);
  });

  it("releases rolled-back events from the dedupe window, so sending them again lands them once", async () => {
    const p = await createProject("rollback-dedupe");
    const { key: query } = await createKey(p.adminKey, ["query"]);
    await deliver([message(p.id, [queued(p.id, "a-1"), queued(p.id, "a-2")])]);
    const before = (await (await call("/v1/snapshots", { token: query })).json()) as { snapshots: { id: number }[] };
    const snapshot = before.snapshots[0]?.id as number;
    await deliver([message(p.id, [queued(p.id, "b-1"), queued(p.id, "b-2")])]);
    // Compaction folds both batches into one silver file: the rollback must keep a-* claimed.
    await runJob(env, await insertJob(p.id, "compact"));

    // Before the rollback a re-send is a duplicate.
    await deliver([message(p.id, [queued(p.id, "b-1")])]);
    expect(ids(await landedRows(p.id)).sort()).toEqual(["a-1", "a-2", "b-1", "b-2"]);

    const res = await call("/v1/datasets/page.view/rollback", {
      method: "POST",
      token: p.adminKey,
      json: { snapshot },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ released_ids: 2 });
    expect(ids(await landedRows(p.id)).sort()).toEqual(["a-1", "a-2"]);

    // The producer re-sends everything: the rolled-back events land again, the others stay single.
    await deliver([
      message(
        p.id,
        ["a-1", "a-2", "b-1", "b-2"].map((id) => queued(p.id, id)),
      ),
    ]);
    expect(ids(await landedRows(p.id)).sort()).toEqual(["a-1", "a-2", "b-1", "b-2"]);
  });
});
