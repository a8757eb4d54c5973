// Iceberg metadata in workerd against real R2 and D1: one Iceberg snapshot per Tarn snapshot of a
// dataset, compaction as `replace`, a rollback as `overwrite`, and the REST catalog's answers.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { runJob } from "../../queues/jobs-consumer";
import { readMetadata, syncIcebergAfterBatch, syncIcebergProject, tablePrefix } from "../../services/iceberg/sync";
import { call, createKey, createProject } from "./helpers";
import { deliver, message, queued } from "./lake-helpers";

const DAY = Date.UTC(2026, 10, 20);

async function project() {
  const p = await createProject("iceberg");
  const { key: query } = await createKey(p.adminKey, ["query"]);
  for (let b = 0; b < 3; b++) {
    await deliver([
      message(
        p.id,
        Array.from({ length: 4 }, (_, i) => queued(p.id, `b${b}-${i}`, { ts: DAY + i * 3600_000 + b * 1000 })),
      ),
    ]);
  }
  await deliver([message(p.id, [queued(p.id, "o1", { ts: DAY, event_type: "Order Completed" })])]);
  return { ...p, query };
}

async function tarnSnapshots(query: string) {
  const body = (await (await call("/v1/snapshots", { token: query })).json()) as {
    snapshots: { id: number; kind: string }[];
  };
  return body.snapshots.reverse();
}

describe("Iceberg tables", () => {
  it("collapses the appends between two syncs into one Iceberg snapshot, with the version hint at the head", async () => {
    const p = await project();
    await syncIcebergProject(env, p.id);
    const snaps = await tarnSnapshots(p.query);
    const page = await readMetadata(env.LAKE, p.id, "page.view");
    // Three appends since the table began: one Iceberg append named by the last of them.
    expect(page?.snapshots.map((s) => s["snapshot-id"])).toEqual([snaps[2]?.id]);
    expect(page?.["current-snapshot-id"]).toBe(snaps[2]?.id);
    expect(page?.snapshots[0]?.summary["added-data-files"]).toBe("3");
    expect(page?.snapshots[0]?.summary["total-records"]).toBe("12");
    const hint = await env.LAKE.get(`${tablePrefix(p.id, "page.view")}/metadata/version-hint.text`);
    expect(await hint?.text()).toBe(String(snaps[2]?.id));
    const order = await readMetadata(env.LAKE, p.id, "Order Completed");
    expect(order?.location).toBe(`s3://tarn-lake/lake/${p.id}/iceberg/Order~20Completed`);
    expect(order?.snapshots.map((s) => s["snapshot-id"])).toEqual([snaps[3]?.id]);
    // Syncing again changes nothing.
    await syncIcebergProject(env, p.id);
    expect((await readMetadata(env.LAKE, p.id, "page.view"))?.["last-updated-ms"]).toBe(page?.["last-updated-ms"]);
    // The next append, synced on its own, is the next snapshot, its parent the collapsed one.
    await deliver([message(p.id, [queued(p.id, "later", { ts: DAY })])]);
    await syncIcebergProject(env, p.id);
    const next = await readMetadata(env.LAKE, p.id, "page.view");
    expect(next?.snapshots).toHaveLength(2);
    expect(next?.snapshots[1]?.["parent-snapshot-id"]).toBe(snaps[2]?.id);
    expect(next?.snapshots[1]?.summary["added-data-files"]).toBe("1");
    expect(next?.snapshots[1]?.summary["total-records"]).toBe("13");
  });

  it("records compaction as a replace snapshot and a rollback as an overwrite", async () => {
    const p = await project();
    await syncIcebergProject(env, p.id);
    const job = `job_test_${crypto.randomUUID().slice(0, 8)}`;
    await env.DB.prepare(
      "INSERT INTO jobs (id, type, project_id, params, status) VALUES (?, 'compact', ?, '{}', 'queued')",
    )
      .bind(job, p.id)
      .run();
    await runJob(env, job);
    await syncIcebergProject(env, p.id);
    const compacted = await readMetadata(env.LAKE, p.id, "page.view");
    expect(compacted?.snapshots.at(-1)?.summary.operation).toBe("replace");
    // The bronze files left and the silver file came: the manifest's entries (read with an
    // independent Avro reader in test/node/iceberg-avro.test.ts) are counted in the summary.
    const summary = compacted?.snapshots.at(-1)?.summary ?? {};
    expect(summary["deleted-data-files"]).toBe("3");
    expect(summary["added-data-files"]).toBe("1");
    expect(summary["total-records"]).toBe("12");
    const list = await env.LAKE.get(
      `${tablePrefix(p.id, "page.view")}/metadata/snap-${compacted?.["current-snapshot-id"]}.avro`,
    );
    expect(list).not.toBeNull();

    const beforeCompaction = compacted?.snapshots.at(-2)?.["snapshot-id"] as number;
    const res = await call("/v1/datasets/page.view/rollback", {
      method: "POST",
      token: p.adminKey,
      json: { snapshot: beforeCompaction },
    });
    expect(res.status).toBe(200);
    // The rollback's own sync runs under waitUntil; the catalog read syncs too, before answering.
    const table = (await (await call("/iceberg/v1/namespaces/lake/tables/page.view", { token: p.query })).json()) as {
      metadata: { snapshots: { summary: Record<string, string> }[] };
    };
    expect(table.metadata.snapshots.at(-1)?.summary.operation).toBe("overwrite");
    expect(table.metadata.snapshots.at(-1)?.summary["total-records"]).toBe("12");
  });

  it("answers the REST catalog only for query keys of the project", async () => {
    const p = await project();
    const ingest = (await createKey(p.adminKey, ["ingest"])).key;
    expect((await call("/iceberg/v1/namespaces", { token: ingest })).status).toBe(403);
    expect((await call("/iceberg/v1/namespaces")).status).toBe(401);
    const list = (await (await call("/iceberg/v1/namespaces/lake/tables", { token: p.query })).json()) as {
      identifiers: { name: string }[];
    };
    expect(list.identifiers.map((i) => i.name)).toEqual(["Order Completed", "page.view"]);
    expect((await call("/iceberg/v1/namespaces/other/tables", { token: p.query })).status).toBe(404);
    const other = await createProject("iceberg-other");
    const otherQuery = (await createKey(other.adminKey, ["query"])).key;
    const key = `${tablePrefix(p.id, "page.view")}/metadata/version-hint.text`;
    await syncIcebergProject(env, p.id);
    expect((await call(`/iceberg/v1/objects/${key}`, { token: p.query })).status).toBe(200);
    expect((await call(`/iceberg/v1/objects/${key}`, { token: otherQuery })).status).toBe(404);
    // A data file the manifest lists reads whole or by range; other objects under lake/ do not read at all.
    const file = (await env.DB.prepare("SELECT key FROM lake_files WHERE project_id = ? LIMIT 1").bind(p.id).first<{
      key: string;
    }>()) as { key: string };
    const whole = await call(`/iceberg/v1/objects/${file.key}`, { token: p.query });
    expect(whole.status).toBe(200);
    const bytes = new Uint8Array(await whole.arrayBuffer());
    const tail = await call(`/iceberg/v1/objects/${file.key}`, { token: p.query, headers: { Range: "bytes=4-11" } });
    expect(tail.status).toBe(206);
    expect(tail.headers.get("Content-Range")).toBe(`bytes 4-11/${bytes.length}`);
    expect([...new Uint8Array(await tail.arrayBuffer())]).toEqual([...bytes.slice(4, 12)]);
    await env.LAKE.put(`lake/${p.id}/audit/entries.parquet`, "secret");
    expect((await call(`/iceberg/v1/objects/lake/${p.id}/audit/entries.parquet`, { token: p.query })).status).toBe(404);
  });

  it("syncs after ingest batches at most once per interval, catching up on every append it skipped", async () => {
    const p = await createProject("iceberg-interval");
    const at = Date.now();
    const batch = (b: number) => [message(p.id, [queued(p.id, `i${b}`, { ts: DAY + b * 1000 })])];
    const head = async () => (await readMetadata(env.LAKE, p.id, "page.view"))?.["current-snapshot-id"] ?? 0;

    await deliver(batch(0));
    await syncIcebergAfterBatch(env, batch(0), { intervalMs: 5000, now: at });
    const first = await head();
    expect(first).toBeGreaterThan(0);
    // Two more batches within the interval: the table stays at the first head.
    for (const b of [1, 2]) {
      await deliver(batch(b));
      await syncIcebergAfterBatch(env, batch(b), { intervalMs: 5000, now: at + b * 1000 });
    }
    expect(await head()).toBe(first);
    // The first batch after the interval catches up on every append it missed.
    await deliver(batch(3));
    await syncIcebergAfterBatch(env, batch(3), { intervalMs: 5000, now: at + 5000 });
    // One snapshot for the three appends it missed.
    const table = await readMetadata(env.LAKE, p.id, "page.view");
    expect(table?.snapshots).toHaveLength(2);
    expect(table?.snapshots.at(-1)?.summary["added-data-files"]).toBe("3");
    expect(table?.snapshots.at(-1)?.summary["total-records"]).toBe("4");
  });
});
