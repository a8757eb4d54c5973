// The audit log through the real AuditLog object: what is recorded, filters and cursor, and tamper evidence.
import { env, runInDurableObject } from "cloudflare:test";
import { parquetReadObjects } from "hyparquet";
import { describe, expect, it } from "vitest";
import type { AuditLog } from "../../durable-objects/audit-log/index";
import { auditStub } from "../../services/stubs/audit-log";
import { lakeCompressors } from "../../shared/parquet/codecs";
import { createUser, eventually, login } from "./access-helpers";
import { call, createKey, createProject, expectEnvelope } from "./helpers";

interface Entry {
  seq: number;
  at: string;
  actor: { type: string; id: string };
  action: string;
  target: string;
  outcome: string;
  status: number;
  request_id: string;
  hash: string;
  prev_hash: string;
}

async function entries(adminKey: string, query = ""): Promise<{ entries: Entry[]; next_cursor: string | null }> {
  const res = await call(`/v1/audit${query}`, { token: adminKey });
  expect(res.status).toBe(200);
  return (await res.json()) as { entries: Entry[]; next_cursor: string | null };
}

async function untilCount(adminKey: string, action: string, n: number) {
  const ok = await eventually(async () => (await entries(adminKey, `?action=${action}`)).entries.length >= n, 5000);
  expect(ok, `${n} ${action} entries`).toBe(true);
}

describe("the audit log", () => {
  it("records admin actions, data reads and denials with actor, outcome and request id", async () => {
    const p = await createProject("audit");
    const created = await call("/v1/keys", {
      method: "POST",
      token: p.adminKey,
      json: { name: "q", scopes: ["query"] },
    });
    const { key, id: keyId } = (await created.json()) as { key: string; id: string };
    await createUser(p.adminKey, "v@example.com", "viewer");
    const viewer = await login(p.id, "v@example.com");
    const denied = await call("/v1/query", { method: "POST", token: viewer, json: { sql: "SELECT 1" } });
    expect(denied.status).toBe(403);
    const q = await call("/v1/query", { method: "POST", token: key, json: { sql: "SELECT count(*) FROM events" } });
    expect(q.status).toBe(200);
    await untilCount(p.adminKey, "query", 2);

    const all = (await entries(p.adminKey, "?limit=1000")).entries;
    const keysCreate = all.find((e) => e.action === "keys.create");
    expect(keysCreate).toMatchObject({
      outcome: "ok",
      status: 201,
      target: `/v1/keys/${keyId}`,
      actor: { type: "key" },
    });
    expect(keysCreate?.request_id).toBe(created.headers.get("X-Request-Id"));
    expect(all.find((e) => e.action === "users.create")).toMatchObject({ outcome: "ok", status: 201 });
    expect(all.find((e) => e.action === "auth.login")).toMatchObject({ outcome: "ok", actor: { type: "user" } });
    const deniedEntry = all.find((e) => e.action === "query.run" && e.outcome === "denied");
    expect(deniedEntry).toMatchObject({
      status: 403,
      actor: { type: "user" },
      request_id: denied.headers.get("X-Request-Id"),
    });
    expect(all.find((e) => e.action === "query.run" && e.outcome === "ok")).toMatchObject({
      actor: { type: "key", id: keyId },
    });
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    for (let i = 1; i < all.length; i++) expect(all[i]?.prev_hash).toBe(all[i - 1]?.hash);
  });

  it("filters by action prefix, actor and time, and pages with a cursor, oldest first", async () => {
    const p = await createProject("audit-pages");
    for (let i = 0; i < 5; i++) await createKey(p.adminKey, ["ingest"], `k${i}`);
    await untilCount(p.adminKey, "keys.create", 5);
    const first = await entries(p.adminKey, "?action=keys&limit=2");
    expect(first.entries.map((e) => e.action)).toEqual(["keys.create", "keys.create"]);
    expect(first.next_cursor).not.toBeNull();
    const second = await entries(p.adminKey, `?action=keys&limit=2&cursor=${first.next_cursor}`);
    const third = await entries(p.adminKey, `?action=keys&limit=2&cursor=${second.next_cursor}`);
    expect(third.entries).toHaveLength(1);
    expect(third.next_cursor).toBeNull();
    const seqs = [...first.entries, ...second.entries, ...third.entries].map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const actor = first.entries[0]?.actor.id;
    expect((await entries(p.adminKey, `?actor=${actor}&action=keys.create`)).entries).toHaveLength(5);
    expect((await entries(p.adminKey, "?actor=key_nobody")).entries).toHaveLength(0);
    const later = new Date(Date.now() + 60_000).toISOString();
    expect((await entries(p.adminKey, `?from=${later}`)).entries).toHaveLength(0);
    expect((await entries(p.adminKey, `?to=${later}&action=keys.create`)).entries).toHaveLength(5);
  });

  it("rejects bad filters with 400 naming the field", async () => {
    const p = await createProject("audit-bad");
    for (const [q, field] of [
      ["?from=yesterday", "from"],
      ["?limit=0", "limit"],
      ["?cursor=abc", "cursor"],
      ["?action=drop%20table", "action"],
    ]) {
      const res = await call(`/v1/audit${q}`, { token: p.adminKey });
      expect(res.status, q).toBe(400);
      expect(JSON.stringify((await expectEnvelope(res)).details)).toContain(`"field":"${field}"`);
    }
  });

  it("verifies the chain, and reports valid: false at the first altered entry", async () => {
    const p = await createProject("audit-tamper");
    for (let i = 0; i < 4; i++) await createKey(p.adminKey, ["ingest"], `t${i}`);
    await untilCount(p.adminKey, "keys.create", 4);
    const good = (await (await call("/v1/audit/verify", { token: p.adminKey })).json()) as Record<string, unknown>;
    expect(good).toMatchObject({ valid: true });
    expect(good.entries).toBeGreaterThanOrEqual(4);
    // Someone with storage access rewrites entry 2 (a denial made to look like success, or the actor changed).
    await runInDurableObject(auditStub(env, p.id), (_instance: AuditLog, state) => {
      state.storage.sql.exec("UPDATE entries SET actor_id = 'key_innocent' WHERE seq = 2");
    });
    const bad = (await (await call("/v1/audit/verify", { token: p.adminKey })).json()) as Record<string, unknown>;
    expect(bad).toMatchObject({ valid: false, broken_seq: 2 });
  });

  it("reports a deleted entry as the first broken seq", async () => {
    const p = await createProject("audit-delete");
    for (let i = 0; i < 3; i++) await createKey(p.adminKey, ["ingest"], `d${i}`);
    await untilCount(p.adminKey, "keys.create", 3);
    await runInDurableObject(auditStub(env, p.id), (_instance: AuditLog, state) => {
      state.storage.sql.exec("DELETE FROM entries WHERE seq = 1");
    });
    const bad = (await (await call("/v1/audit/verify", { token: p.adminKey })).json()) as Record<string, unknown>;
    expect(bad).toMatchObject({ valid: false, broken_seq: 1 });
  });

  it("copies new entries to R2 as Parquet once each, the file named by its seq range", async () => {
    const p = await createProject("audit-export");
    for (let i = 0; i < 3; i++) await createKey(p.adminKey, ["ingest"], `e${i}`);
    await untilCount(p.adminKey, "keys.create", 3);
    const before = (await entries(p.adminKey, "?limit=1000")).entries;
    const first = (await (await call("/v1/audit/export", { method: "POST", token: p.adminKey })).json()) as {
      files: string[];
    };
    expect(first.files).toHaveLength(1);
    expect(first.files[0]).toMatch(
      new RegExp(`^audit/${p.id}/dt=\\d{4}-\\d{2}-\\d{2}/000000000001-\\d{12}\\.parquet$`),
    );
    const object = await env.LAKE.get(first.files[0] as string);
    const rows = await parquetReadObjects({
      file: await (object as R2ObjectBody).arrayBuffer(),
      compressors: lakeCompressors,
    });
    expect(rows.length).toBeGreaterThanOrEqual(before.length);
    expect(rows.slice(0, before.length).map((r) => [Number(r.seq), r.action, r.hash])).toEqual(
      before.map((e) => [e.seq, e.action, e.hash]),
    );
    // The next export starts after the last exported entry (the export itself was audited meanwhile).
    await untilCount(p.adminKey, "audit.export", 1);
    const second = (await (await call("/v1/audit/export", { method: "POST", token: p.adminKey })).json()) as {
      files: string[];
    };
    const lastSeq = Number((first.files[0] as string).match(/-(\d{12})\.parquet$/)?.[1]);
    expect(second.files).toHaveLength(1);
    expect(second.files[0]).toContain(`/${String(lastSeq + 1).padStart(12, "0")}-`);
  });

  it("is the audit table admins query with SQL, exactly once per entry, refused to everyone else", async () => {
    const p = await createProject("audit-sql");
    for (let i = 0; i < 3; i++) await createKey(p.adminKey, ["ingest"], `s${i}`);
    await createUser(p.adminKey, "a@example.com", "analyst");
    await untilCount(p.adminKey, "users.create", 1);
    const exported = await (await call("/v1/audit/export", { method: "POST", token: p.adminKey })).json();
    expect((exported as { files: string[] }).files).toHaveLength(1);
    const listed = (await entries(p.adminKey, "?limit=1000")).entries;
    const lastExported = Number(
      ((exported as { files: string[] }).files[0] as string).match(/-(\d{12})\.parquet$/)?.[1],
    );
    const expected = listed.filter((e) => e.seq <= lastExported);

    const sql = (token: string, text: string) => call("/v1/query", { method: "POST", token, json: { sql: text } });
    const res = await sql(p.adminKey, "SELECT seq, action, outcome, status, hash FROM audit ORDER BY seq");
    expect(res.status).toBe(200);
    const answer = (await res.json()) as {
      meta: { name: string; type: string }[];
      data: { seq: number; action: string; outcome: string; status: number; hash: string }[];
    };
    expect(answer.meta.find((m) => m.name === "status")?.type).toBe("INTEGER");
    expect(answer.data).toEqual(
      expected.map((e) => ({ seq: e.seq, action: e.action, outcome: e.outcome, status: e.status, hash: e.hash })),
    );
    const grouped = await sql(p.adminKey, "SELECT count(*) AS n FROM audit WHERE action = 'keys.create'");
    expect(((await grouped.json()) as { data: { n: number }[] }).data).toEqual([{ n: 3 }]);

    // Exporting again publishes only the new entries: still one row per seq.
    await call("/v1/audit/export", { method: "POST", token: p.adminKey });
    const again = await sql(p.adminKey, "SELECT count(*) AS n, count(DISTINCT seq) AS seqs FROM audit");
    const [counts] = ((await again.json()) as { data: { n: number; seqs: number }[] }).data;
    expect(counts?.n).toBe(counts?.seqs);
    expect(counts?.n).toBeGreaterThan(expected.length);

    // An export that published its file but stopped before moving the mark: the next one rewrites
    // from the same first seq, with more entries, and replaces the earlier file in the table.
    await runInDurableObject(auditStub(env, p.id), (_instance: AuditLog, state) => {
      state.storage.sql.exec("UPDATE export_state SET exported_seq = ?", lastExported);
    });
    await createKey(p.adminKey, ["ingest"], "late");
    await untilCount(p.adminKey, "keys.create", 4);
    await call("/v1/audit/export", { method: "POST", token: p.adminKey });
    const rewritten = await sql(p.adminKey, "SELECT count(*) AS n, count(DISTINCT seq) AS seqs FROM audit");
    const [after] = ((await rewritten.json()) as { data: { n: number; seqs: number }[] }).data;
    expect(after?.n).toBe(after?.seqs);
    expect(after?.n).toBeGreaterThan(counts?.n ?? 0);

    // Not for analysts or query keys, however the table is reached; not listed to them either.
    const analyst = await login(p.id, "a@example.com");
    const { key: queryKey } = await createKey(p.adminKey, ["query"], "q");
    for (const token of [analyst, queryKey]) {
      for (const text of [
        "SELECT count(*) FROM audit",
        "SELECT count(*) FROM events WHERE user_id IN (SELECT actor_id FROM audit)",
        "WITH x AS (SELECT * FROM audit) SELECT count(*) FROM x",
      ]) {
        const denied = await sql(token, text);
        expect(denied.status, text).toBe(403);
      }
      const datasets = (await (await call("/v1/datasets", { token })).json()) as { datasets: { name: string }[] };
      expect(datasets.datasets.map((d) => d.name)).not.toContain("audit");
    }
    const adminList = (await (await call("/v1/datasets", { token: p.adminKey })).json()) as {
      datasets: { name: string; kind: string }[];
    };
    expect(adminList.datasets.find((d) => d.name === "audit")?.kind).toBe("audit");
  });
});
