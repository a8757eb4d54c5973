// Privacy through the real Worker, lake writer and jobs: masks per role in every format, filters that
// cannot confirm a masked value, field encryption at rest, erasure (keys at once, rows by a job, with
// crashes injected) and subject export.
import { env } from "cloudflare:test";
import { tableFromIPC } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { runErasure } from "../../queues/jobs/erase";
import { destroySubjectKeys } from "../../services/privacy/key-vault";
import { insertRequest, updateRequest } from "../../services/privacy/requests";
import { holds, ROLES } from "../../shared/access/permissions";
import { partial } from "../../shared/privacy/masks";
import { createUser, login } from "./access-helpers";
import { call, createKey, createProject } from "./helpers";
import { deliver, landedRows, message, queued } from "./lake-helpers";
import { eventually } from "./live-helpers";
import { finished } from "./views-helpers";

const SIGNUP = {
  type: "object",
  properties: {
    email: { type: "string", "x-pii": true, "x-mask": "hash" },
    phone: { type: "string", "x-classification": "confidential", "x-mask": "partial" },
    plan: { type: "string", "x-classification": "restricted" },
    income: { type: "integer", "x-classification": "confidential" },
    ssn: { type: "string", "x-encrypt": true, "x-mask": "partial" },
    country_name: { type: "string" },
  },
};

const T0 = Date.UTC(2026, 10, 20, 10);
const USERS = ["u-alice", "u-bob", "u-carol"];
const emailOf = (u: string) => `${u.slice(2)}@example.com`;
const ssnOf = (u: string) => `SSN-${u.slice(2).toUpperCase()}-123456`;

function signupEvent(project: string, u: string, i: number, extra: { received_at?: number } = {}) {
  return queued(project, `${u}-${i}`, {
    event_type: "signup",
    ts: T0 + i * 60_000,
    user_id: u,
    ...extra,
    payload: JSON.stringify({
      email: emailOf(u),
      phone: "+33 6 12 34 56 78",
      plan: "pro",
      income: 50_000 + i,
      ssn: ssnOf(u),
      country_name: "France",
    }),
  });
}

interface Answer {
  meta: { name: string; type: string }[];
  data: Record<string, unknown>[];
}

async function sql(token: string, text: string, extra: Record<string, unknown> = {}): Promise<Answer> {
  const res = await call("/v1/query", { method: "POST", token, json: { sql: text, ...extra } });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(body)}`);
  return body as Answer;
}

/** A project with the signup contract, user_id classified, and two events per user landed in two batches. */
async function setup() {
  const p = await createProject("privacy");
  const put = await call("/v1/contracts/signup", { method: "PUT", token: p.adminKey, json: { schema: SIGNUP } });
  expect(put.status).toBe(201);
  const classify = await call("/v1/datasets/signup", {
    method: "PUT",
    token: p.adminKey,
    json: { columns: { user_id: { pii: true, mask: "hash" }, session_id: { classification: "restricted" } } },
  });
  if (classify.status !== 200) throw new Error(await classify.text());
  for (const i of [0, 1])
    await deliver([
      message(
        p.id,
        USERS.map((u) => signupEvent(p.id, u, i)),
      ),
    ]);
  const { key: queryKey } = await createKey(p.adminKey, ["query"], "analyst-key");
  return { ...p, queryKey };
}

/** Tokens of every role, as users, and of every key scope set: with whether each may see clear values. */
async function principals(p: { id: string; adminKey: string; queryKey: string }) {
  const out: { name: string; token: string; unmask: boolean }[] = [];
  for (const role of ROLES) {
    if (!holds({ role }, "query")) continue;
    const email = `${role}-${crypto.randomUUID().slice(0, 6)}@corp.test`;
    await createUser(p.adminKey, email, role);
    out.push({ name: `user ${role}`, token: await login(p.id, email), unmask: holds({ role }, "unmask") });
  }
  out.push({ name: "key [query]", token: p.queryKey, unmask: holds({ scopes: ["query"] }, "unmask") });
  out.push({ name: "key [admin]", token: p.adminKey, unmask: holds({ scopes: ["admin"] }, "unmask") });
  return out;
}

const CLEAR_TEXTS = [...USERS.map(emailOf), ...USERS.map(ssnOf), "+33 6 12 34 56 78"];

describe("masking by role", () => {
  it("shows clear values only to principals with the unmask permission, in every format", async () => {
    const p = await setup();
    const list = await principals(p);
    expect(list.some((x) => x.unmask) && list.some((x) => !x.unmask)).toBe(true);
    const text = "SELECT user_id, email, phone, plan, income, ssn, country_name, payload FROM signup ORDER BY event_id";
    for (const who of list) {
      const json = await sql(who.token, text);
      expect(json.data.length, who.name).toBe(6);
      const first = json.data[0] as Record<string, unknown>;
      const payload = JSON.parse(first.payload as string) as Record<string, unknown>;
      if (who.unmask) {
        expect(first.user_id, who.name).toBe("u-alice");
        expect(first.email).toBe("alice@example.com");
        expect(first.ssn).toBe(ssnOf("u-alice"));
        expect(first.income).toBe(50_000);
        expect(payload.ssn).toBe(ssnOf("u-alice"));
        expect(payload.email).toBe("alice@example.com");
      } else {
        expect(first.user_id, who.name).toMatch(/^[0-9a-f]{32}$/);
        expect(first.email).toMatch(/^[0-9a-f]{32}$/);
        expect(first.phone).toBe("***6 78");
        expect(first.plan).toBe("***");
        expect(first.income).toBeNull();
        expect(first.ssn).toBe(partial(ssnOf("u-alice")));
        expect(first.country_name).toBe("France");
        expect(payload).toMatchObject({ email: first.email, plan: "***", income: null, ssn: first.ssn });
      }
      for (const format of ["csv", "ndjson", "arrow"]) {
        const res = await call("/v1/query", { method: "POST", token: who.token, json: { sql: text, format } });
        expect(res.status).toBe(200);
        const bytes = new Uint8Array(await res.arrayBuffer());
        const body = new TextDecoder().decode(bytes);
        for (const clear of CLEAR_TEXTS)
          expect(body.includes(clear), `${who.name} ${format} ${clear}`).toBe(who.unmask);
        if (format === "arrow") expect(tableFromIPC(bytes).numRows).toBe(6);
      }
    }
  });

  it("keeps GROUP BY and COUNT DISTINCT working on hashes, stable across queries", async () => {
    const p = await setup();
    const clear = await sql(p.adminKey, "SELECT count(DISTINCT email) AS n, count(DISTINCT user_id) AS u FROM signup");
    const masked = await sql(p.queryKey, "SELECT count(DISTINCT email) AS n, count(DISTINCT user_id) AS u FROM signup");
    expect(masked.data).toEqual(clear.data);
    expect(masked.data[0]).toEqual({ n: 3, u: 3 });
    const groups = await sql(p.queryKey, "SELECT email, count(*) AS n FROM signup GROUP BY email ORDER BY email");
    expect(groups.data.map((g) => g.n)).toEqual([2, 2, 2]);
    const again = await sql(p.queryKey, "SELECT DISTINCT email FROM signup ORDER BY email");
    expect(again.data.map((r) => r.email)).toEqual(groups.data.map((g) => g.email));
  });

  it("does not confirm a known value through a filter, a join or an expression", async () => {
    const p = await setup();
    const probe = "SELECT count(*) AS n FROM signup WHERE email = 'alice@example.com'";
    expect((await sql(p.adminKey, probe)).data[0]?.n).toBe(2);
    expect((await sql(p.queryKey, probe)).data[0]?.n).toBe(0);
    const statistics = (await call("/v1/query", { method: "POST", token: p.queryKey, json: { sql: probe } }).then((r) =>
      r.json(),
    )) as { statistics: { row_groups_pruned: number } };
    // Row-group statistics of the clear column are never used to prune for a masked reader (no oracle).
    expect(statistics.statistics.row_groups_pruned).toBe(0);
    for (const q of [
      "SELECT count(*) AS n FROM signup WHERE user_id = 'u-alice'",
      "SELECT count(*) AS n FROM signup WHERE email LIKE 'alice%'",
      "SELECT count(*) AS n FROM signup WHERE json_extract_string(payload, '$.email') = 'alice@example.com'",
      "SELECT count(*) AS n FROM signup WHERE ssn = 'SSN-ALICE-123456'",
      "SELECT count(*) AS n FROM signup s JOIN (SELECT 'alice@example.com' AS e) k ON s.email = k.e",
      "SELECT count(*) AS n FROM events WHERE user_id IN ('u-alice', 'u-bob')",
    ])
      expect((await sql(p.queryKey, q)).data[0]?.n, q).toBe(0);
    // The masked value itself matches: filters work on what the reader sees.
    const hash = (await sql(p.queryKey, "SELECT email FROM signup ORDER BY event_id LIMIT 1")).data[0]?.email;
    expect((await sql(p.queryKey, `SELECT count(*) AS n FROM signup WHERE email = '${hash}'`)).data[0]?.n).toBe(2);
  });

  it("masks inside scan splits as in the coordinator", async () => {
    const p = await setup();
    for (const i of [2, 3])
      await deliver([
        message(
          p.id,
          USERS.map((u) => signupEvent(p.id, u, i)),
        ),
      ]);
    const res = await call("/v1/query", {
      method: "POST",
      token: p.queryKey,
      json: { sql: "SELECT user_id, ssn, min(payload) AS p, count(*) AS n FROM signup GROUP BY 1, 2" },
    });
    const body = (await res.json()) as Answer & { statistics: { splits: number } };
    expect(body.statistics.splits).toBeGreaterThan(0);
    expect(body.data.map((r) => r.n)).toEqual([4, 4, 4]);
    for (const r of body.data) {
      expect(r.user_id).toMatch(/^[0-9a-f]{32}$/);
      expect(r.ssn).toMatch(/^\*\*\*3456$/);
      expect(String(r.p)).not.toContain("@example.com");
    }
    const clear = await sql(p.adminKey, "SELECT DISTINCT ssn FROM signup ORDER BY ssn");
    expect(clear.data.map((r) => r.ssn)).toEqual(USERS.map(ssnOf).sort());
  });

  it("tells each reader in the catalog which columns it sees masked", async () => {
    const p = await setup();
    const columnsFor = async (token: string) => {
      const body = (await (await call("/v1/catalog", { token })).json()) as {
        datasets: {
          name: string;
          columns: { name: string; classification: string | null; pii: boolean; masked_for_you: boolean }[];
        }[];
      };
      const signup = body.datasets.find((d) => d.name === "signup");
      return new Map((signup?.columns ?? []).map((c) => [c.name, c]));
    };
    const analyst = await columnsFor(p.queryKey);
    const admin = await columnsFor(p.adminKey);
    for (const name of ["user_id", "session_id", "email", "phone", "plan", "income", "ssn", "payload"])
      expect([name, analyst.get(name)?.masked_for_you, admin.get(name)?.masked_for_you]).toEqual([name, true, false]);
    expect(analyst.get("country_name")?.masked_for_you).toBe(false);
    expect(analyst.get("user_id")).toMatchObject({ pii: true, classification: null });
    expect(analyst.get("session_id")).toMatchObject({ classification: "restricted" });
  });

  it("keeps raw files and live metrics from bypassing masks", async () => {
    const p = await setup();
    const files = (await (await call("/v1/lake/files?dataset=signup", { token: p.queryKey })).json()) as {
      files: { key: string }[];
    };
    const key = files.files[0]?.key as string;
    expect((await call(`/v1/lake/files/${key}`, { token: p.queryKey })).status).toBe(403);
    expect((await call(`/v1/lake/files/${key}`, { token: p.adminKey })).status).toBe(200);
    const metric = (body: Record<string, unknown>) =>
      call("/v1/metrics", {
        method: "POST",
        token: p.adminKey,
        json: { name: `m${Math.random().toString(36).slice(2, 8)}`, ...body },
      });
    const byEmail = await metric({ filter: { event_types: ["signup"] }, group_by: ["payload.email"] });
    expect(byEmail.status).toBe(400);
    const byUser = await metric({ filter: { where: [{ field: "user_id", op: "eq", value: "u-alice" }] } });
    expect(byUser.status).toBe(400);
    expect((await metric({ group_by: ["payload.country_name"] })).status).toBe(201);
  });

  it("never serves an admin's cached answer to an analyst", async () => {
    const p = await setup();
    const text = "SELECT email FROM signup ORDER BY event_id LIMIT 1";
    expect((await sql(p.adminKey, text)).data[0]?.email).toBe("alice@example.com");
    await new Promise((r) => setTimeout(r, 50));
    expect((await sql(p.queryKey, text)).data[0]?.email).toMatch(/^[0-9a-f]{32}$/);
  });

  it("builds materialized views from masked values, so no analyst reads a clear value from the gold layer", async () => {
    const p = await setup();
    const put = await call("/v1/views/signups_by_email", {
      method: "PUT",
      token: p.adminKey,
      json: { sql: "SELECT email, user_id, count(*) AS n FROM signup GROUP BY 1, 2" },
    });
    expect(put.status).toBe(201);
    expect((await finished(((await put.json()) as { job_id: string }).job_id)).status).toBe("succeeded");
    for (const token of [p.adminKey, p.queryKey]) {
      const rows = (await sql(token, "SELECT email, user_id, n FROM signups_by_email ORDER BY n, email")).data;
      expect(rows).toHaveLength(USERS.length);
      for (const r of rows) {
        expect(r.email).toMatch(/^[0-9a-f]{32}$/);
        expect(r.user_id).toMatch(/^[0-9a-f]{32}$/);
        expect(r.n).toBe(2);
      }
    }
  });

  it("classifies envelope columns per dataset, project-wide through `events`, and rejects unknown columns", async () => {
    const p = await setup();
    const bad = await call("/v1/datasets/signup", {
      method: "PUT",
      token: p.adminKey,
      json: { columns: { ts: { pii: true } } },
    });
    expect(bad.status).toBe(400);
    const analyst = await call("/v1/datasets/signup", { method: "PUT", token: p.queryKey, json: { columns: {} } });
    expect(analyst.status).toBe(403);
    await deliver([message(p.id, [queued(p.id, "pv1", { event_type: "page.view", source: "web-secret" })])]);
    const read = () => sql(p.queryKey, `SELECT source FROM "page.view"`).then((a) => a.data[0]?.source);
    expect(await read()).toBe("web-secret");
    const all = await call("/v1/datasets/events", {
      method: "PUT",
      token: p.adminKey,
      json: { columns: { source: { classification: "confidential", mask: "partial" } } },
    });
    expect(all.status).toBe(200);
    expect(await read()).toBe("***cret");
    const got = (await (await call("/v1/datasets/events/classification", { token: p.queryKey })).json()) as {
      columns: Record<string, unknown>;
    };
    expect(got.columns.source).toEqual({ classification: "confidential", pii: false, mask: "partial" });
  });
});

describe("field encryption", () => {
  it("stores x-encrypt fields sealed in the Parquet files and opens them for clear readers", async () => {
    const p = await setup();
    const rows = await landedRows(p.id);
    expect(rows.length).toBe(6);
    for (const row of rows) {
      // hyparquet reads the JSON column as an object.
      const payload = row.payload as Record<string, unknown>;
      expect(JSON.stringify(payload)).not.toContain("SSN-");
      expect(payload.ssn).toMatch(/^tenc1:[0-9a-f]{32}:/);
      expect(row.ssn).toMatch(/^tenc1:/);
      // Masked (not encrypted) fields are stored as sent: masks apply on the way out.
      expect(payload.email).toBe(emailOf(String(row.user_id)));
    }
    const clear = await sql(p.adminKey, "SELECT user_id, ssn FROM signup ORDER BY user_id, event_id");
    expect(clear.data.map((r) => r.ssn)).toEqual(USERS.flatMap((u) => [ssnOf(u), ssnOf(u)]));
  });

  it("uses one data key per subject and the project key for events without a user", async () => {
    const p = await setup();
    await deliver([message(p.id, [{ ...signupEvent(p.id, "x", 9), user_id: null, event_id: "anon-1" }])]);
    const keys = await env.DB.prepare("SELECT subject FROM privacy_keys WHERE project_id = ? ORDER BY subject")
      .bind(p.id)
      .all<{ subject: string }>();
    expect(keys.results.map((k) => k.subject)).toEqual(["", ...USERS]);
    const anon = await sql(p.adminKey, "SELECT ssn FROM signup WHERE event_id = 'anon-1'");
    expect(anon.data[0]?.ssn).toBe(ssnOf("x"));
  });
});

const snapshotIds = async (projectId: string) =>
  (
    await env.DB.prepare("SELECT id FROM snapshots WHERE project_id = ? ORDER BY id")
      .bind(projectId)
      .all<{ id: number }>()
  ).results.map((r) => r.id);

/** Rows of `user` in `signup` at every snapshot, or GONE where time travel can no longer read. */
async function rowsAtEverySnapshot(p: { id: string; adminKey: string }, user: string) {
  const out: (number | "gone")[] = [];
  for (const snapshot of await snapshotIds(p.id)) {
    const res = await call("/v1/query", {
      method: "POST",
      token: p.adminKey,
      json: { sql: `SELECT count(*) AS n FROM events WHERE user_id = '${user}'`, snapshot },
    });
    if (res.status === 410) out.push("gone");
    else {
      expect(res.status).toBe(200);
      out.push(Number(((await res.json()) as Answer).data[0]?.n));
    }
  }
  return out;
}

interface ErasureView {
  status: string;
  rows_removed: number;
  files_rewritten: number;
  receipt: Record<string, unknown> | null;
}

describe("erasure", () => {
  it("destroys the keys at once, then removes every row of the subject at every snapshot, with a receipt", async () => {
    const p = await setup();
    const before = await snapshotIds(p.id);
    const res = await call("/v1/privacy/erasure", { method: "POST", token: p.adminKey, json: { user_id: "u-bob" } });
    expect(res.status).toBe(202);
    const { id, status } = (await res.json()) as { id: string; status: string };
    expect(status).toBe("keys_destroyed");
    // Keys are gone before the answer: the encrypted field reads NULL now, at the old snapshot too.
    for (const snapshot of [undefined, before[0]]) {
      const a = await call("/v1/query", {
        method: "POST",
        token: p.adminKey,
        json: { sql: "SELECT user_id, ssn FROM signup ORDER BY user_id", ...(snapshot ? { snapshot } : {}) },
      });
      if (a.status === 410) continue; // the job already deleted the snapshot's files
      const rows = ((await a.json()) as Answer).data;
      for (const r of rows) expect(r.ssn).toBe(r.user_id === "u-bob" ? null : ssnOf(String(r.user_id)));
    }
    let view: ErasureView | undefined;
    await eventually(async () => {
      const s = await call(`/v1/privacy/erasure/${id}`, { token: p.adminKey });
      view = (await s.json()) as ErasureView;
      expect(view.status).toBe("completed");
    }, 20_000);
    expect(view?.rows_removed).toBe(2);
    expect(view?.files_rewritten).toBe(2);
    expect(view?.receipt).toMatchObject({
      user_id: "u-bob",
      rows_removed: 2,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    for (const n of await rowsAtEverySnapshot(p, "u-bob")) expect(n === "gone" || n === 0).toBe(true);
    // Other subjects are untouched, now and at snapshots that stayed readable.
    const left = await sql(p.adminKey, "SELECT user_id, ssn FROM signup ORDER BY user_id, event_id");
    expect(left.data).toEqual(["u-alice", "u-alice", "u-carol", "u-carol"].map((u) => ({ user_id: u, ssn: ssnOf(u) })));
    expect((await landedRows(p.id)).some((r) => r.user_id === "u-bob")).toBe(false);
    // The audit log tells the whole operation.
    const audit = (await (await call("/v1/audit?limit=200", { token: p.adminKey })).json()) as {
      entries: { action: string }[];
    };
    expect(audit.entries.map((e) => e.action)).toEqual(expect.arrayContaining(["privacy.erasure.complete"]));
    // The same user sending again later is accepted under a new key and readable.
    await deliver([message(p.id, [signupEvent(p.id, "u-bob", 7, { received_at: Date.now() + 1000 })])]);
    const back = await sql(p.adminKey, "SELECT ssn FROM signup WHERE user_id = 'u-bob'");
    expect(back.data).toEqual([{ ssn: ssnOf("u-bob") }]);
  });

  it("finishes after crashes between key destruction and rewrite, and between rewrite and publish", async () => {
    const p = await setup();
    const id = `er_test_${crypto.randomUUID().slice(0, 8)}`;
    const requestedAt = new Date().toISOString();
    await insertRequest(env.DB, {
      id,
      projectId: p.id,
      kind: "erasure",
      subject: "u-carol",
      status: "requested",
      actor: "key:test",
      requestedAt,
    });
    await destroySubjectKeys(env.DB, p.id, "u-carol");
    await updateRequest(env.DB, id, { status: "keys_destroyed", keysDestroyedAt: new Date().toISOString() });
    const crash = () => {
      throw new Error("injected crash");
    };
    await expect(
      runErasure(env, p.id, { request_id: id }, { id: "j", attempt: 1 }, { beforeRewrite: crash }),
    ).rejects.toThrow("injected");
    await expect(
      runErasure(env, p.id, { request_id: id }, { id: "j", attempt: 2 }, { afterWrite: crash }),
    ).rejects.toThrow("injected");
    // Nothing published yet: every other subject's rows are all there; carol's fields read NULL already.
    const mid = await sql(p.adminKey, "SELECT user_id, ssn FROM signup ORDER BY user_id, event_id");
    expect(mid.data.length).toBe(6);
    expect(mid.data.filter((r) => r.user_id === "u-carol").every((r) => r.ssn === null)).toBe(true);
    const done = await runErasure(env, p.id, { request_id: id }, { id: "j", attempt: 3 });
    expect(done).toMatchObject({ rows_removed: 2 });
    const after = await sql(p.adminKey, "SELECT user_id FROM signup ORDER BY user_id, event_id");
    expect(after.data.map((r) => r.user_id)).toEqual(["u-alice", "u-alice", "u-bob", "u-bob"]);
    for (const n of await rowsAtEverySnapshot(p, "u-carol")) expect(n === "gone" || n === 0).toBe(true);
    // Running it again changes nothing (idempotent).
    expect(await runErasure(env, p.id, { request_id: id }, { id: "j", attempt: 4 })).toMatchObject({ rows_removed: 2 });
  });

  it("purges the subject's quarantined events", async () => {
    const p = await setup();
    const bad = await call("/v1/events", {
      method: "POST",
      token: p.adminKey,
      json: [
        { eventType: "signup", userId: "u-dave", data: { payload: { income: "not a number" } } },
        { eventType: "signup", userId: "u-erin", data: { payload: { income: "nope" } } },
      ],
    });
    expect(((await bad.json()) as { rejected: number }).rejected).toBe(2);
    const res = await call("/v1/privacy/erasure", { method: "POST", token: p.adminKey, json: { user_id: "u-dave" } });
    const { id } = (await res.json()) as { id: string };
    await eventually(async () => {
      const s = (await (await call(`/v1/privacy/erasure/${id}`, { token: p.adminKey })).json()) as ErasureView;
      expect(s.status).toBe("completed");
      expect(s.receipt?.quarantine_purged).toBe(1);
    }, 20_000);
    const q = (await (await call("/v1/quarantine?limit=100", { token: p.adminKey })).json()) as {
      events: { raw: string }[];
    };
    const raws = q.events.map((e) => e.raw).join("\n");
    expect(raws).not.toContain("u-dave");
    expect(raws).toContain("u-erin");
  });
});

describe("subject export", () => {
  it("writes every event of the subject, decrypted, behind an expiring signed link", async () => {
    const p = await setup();
    const res = await call("/v1/privacy/export", { method: "POST", token: p.adminKey, json: { user_id: "u-alice" } });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    let url = "";
    await eventually(async () => {
      const s = (await (await call(`/v1/privacy/export/${id}`, { token: p.adminKey })).json()) as {
        status: string;
        download_url: string | null;
        rows: number;
      };
      expect(s.status).toBe("completed");
      expect(s.rows).toBe(2);
      url = s.download_url as string;
    }, 20_000);
    const path = url.slice(url.indexOf("/v1/"));
    const download = await call(path);
    expect(download.status).toBe(200);
    const lines = (await download.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { eventId: string; userId: string; data: { payload: Record<string, unknown> } });
    expect(lines.map((l) => l.eventId)).toEqual(["u-alice-0", "u-alice-1"]);
    for (const l of lines) {
      expect(l.userId).toBe("u-alice");
      expect(l.data.payload).toMatchObject({
        email: "alice@example.com",
        ssn: ssnOf("u-alice"),
        income: expect.any(Number),
      });
    }
    // A tampered or expired link is refused; an analyst cannot ask for exports.
    expect((await call(path.replace(/sig=([0-9a-f]+)/, "sig=$100"))).status).toBe(403);
    expect((await call(path.replace(/expires=\d+/, "expires=1000"))).status).toBe(403);
    // Erasing the subject deletes its exports too.
    const erase = await call("/v1/privacy/erasure", {
      method: "POST",
      token: p.adminKey,
      json: { user_id: "u-alice" },
    });
    const { id: erasure } = (await erase.json()) as { id: string };
    await eventually(async () => {
      const s = (await (await call(`/v1/privacy/erasure/${erasure}`, { token: p.adminKey })).json()) as ErasureView;
      expect(s.status).toBe("completed");
    }, 20_000);
    expect((await call(path)).status).toBe(404);
    expect(
      (await call("/v1/privacy/export", { method: "POST", token: p.queryKey, json: { user_id: "u-alice" } })).status,
    ).toBe(403);
  });
});
