// Row-level policies through the API: each person sees only their rows, in every answer they can get.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { runJob } from "../../queues/jobs-consumer";
import { createUser, eventually, login } from "./access-helpers";
import { call, createKey, createProject, expectEnvelope } from "./helpers";
import { deliver, message, queued } from "./lake-helpers";

const T = Date.UTC(2026, 10, 20, 9);

async function regionalProject() {
  const p = await createProject("rls");
  const ev = (id: string, type: string, region: string, country: string, user: string) =>
    queued(p.id, id, { event_type: type, region, country, user_id: user, ts: T + Number(id.slice(1)) * 60_000 });
  await deliver([
    message(p.id, [
      ev("e1", "order", "eu-west", "NL", "ann"),
      ev("e2", "order", "eu-west", "DE", "bob"),
      ev("e3", "order", "us-east", "US", "cy"),
      ev("e4", "signup", "eu-west", "NL", "ann"),
      ev("e5", "signup", "us-east", "US", "cy"),
      ev("e6", "signup", "ap-south", "IN", "dee"),
    ]),
  ]);
  const eu = await createUser(p.adminKey, "eu@example.com", "analyst");
  const us = await createUser(p.adminKey, "us@example.com", "analyst");
  for (const [user, region] of [
    [eu, "eu-west"],
    [us, "us-east"],
  ] as const) {
    const res = await call(`/v1/users/${user.id}`, {
      method: "PATCH",
      token: p.adminKey,
      json: { attributes: { region } },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { attributes: unknown }).attributes).toEqual({ region });
  }
  const put = await call("/v1/policies/regional", {
    method: "PUT",
    token: p.adminKey,
    json: {
      dataset: "*",
      applies_to: { roles: ["analyst"] },
      filter: "region = current_user_attribute('region')",
    },
  });
  expect(put.status).toBe(201);
  return { ...p, eu: { ...eu, token: await login(p.id, eu.email) }, us: { ...us, token: await login(p.id, us.email) } };
}

async function sql(token: string, text: string) {
  const res = await call("/v1/query", { method: "POST", token, json: { sql: text } });
  const body = (await res.json()) as { data: Record<string, unknown>[]; explain?: { row_policies: unknown } };
  if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(body)}`);
  return body;
}

describe("row-level policies", () => {
  it("gives each analyst only their region's rows, the same SQL answered for each (never from another's cache)", async () => {
    const p = await regionalProject();
    const text = "SELECT region, count(*) AS n FROM events GROUP BY 1 ORDER BY 1";
    expect((await sql(p.eu.token, text)).data).toEqual([{ region: "eu-west", n: 3 }]);
    expect((await sql(p.us.token, text)).data).toEqual([{ region: "us-east", n: 2 }]);
    expect((await sql(p.adminKey, text)).data).toEqual([
      { region: "ap-south", n: 1 },
      { region: "eu-west", n: 3 },
      { region: "us-east", n: 2 },
    ]);
    // And again, now that each answer is cached.
    expect((await sql(p.eu.token, text)).data).toEqual([{ region: "eu-west", n: 3 }]);
    expect((await sql(p.us.token, "SELECT count(*) AS n FROM events")).data).toEqual([{ n: 2 }]);
  });

  it("filters every path a query can take: per-type tables, joins, subqueries, set operations, CTEs", async () => {
    const p = await regionalProject();
    const t = p.eu.token;
    expect((await sql(t, 'SELECT count(*) AS n FROM "order"')).data).toEqual([{ n: 2 }]);
    expect((await sql(t, 'SELECT o.user_id FROM "order" o JOIN signup s USING (user_id) ORDER BY 1')).data).toEqual([
      { user_id: "ann" },
    ]);
    expect(
      (await sql(t, 'SELECT s.user_id, o.event_id FROM signup s LEFT JOIN "order" o USING (user_id) ORDER BY 1')).data,
    ).toEqual([{ user_id: "ann", event_id: "e1" }]);
    expect(
      (await sql(t, "SELECT count(*) AS n FROM events WHERE user_id IN (SELECT user_id FROM signup)")).data,
    ).toEqual([{ n: 2 }]);
    expect((await sql(t, 'SELECT user_id FROM "order" UNION SELECT user_id FROM signup ORDER BY 1')).data).toEqual([
      { user_id: "ann" },
      { user_id: "bob" },
    ]);
    expect(
      (await sql(t, "WITH events AS (SELECT * FROM events WHERE country <> 'XX') SELECT count(*) AS n FROM events"))
        .data,
    ).toEqual([{ n: 3 }]);
    expect((await sql(t, "SELECT max(country) AS c FROM datasets.signup")).data).toEqual([{ c: "NL" }]);
  });

  it("says in EXPLAIN that policies applied, without the filter", async () => {
    const p = await regionalProject();
    const res = await sql(p.eu.token, "EXPLAIN SELECT count(*) FROM events");
    const text = res.data.map((r) => Object.values(r)[0]).join("\n");
    expect(text).toContain("row-level policies: applied to events");
    expect(text).not.toContain("current_user_attribute");
    expect(text).not.toContain("eu-west");
    expect(res.explain?.row_policies).toEqual({ tables: ["events"] });
    // The manifest's counts would tell how many rows the policy hides: withheld, in answers too.
    expect((res.explain as unknown as { scans: { rows_to_read: number }[] }).scans[0]?.rows_to_read).toBe(0);
    const counted = await call("/v1/query", {
      method: "POST",
      token: p.eu.token,
      json: { sql: "SELECT count(*) AS n FROM events WHERE user_id <> 'nobody'" },
    });
    const stats = ((await counted.json()) as { statistics: Record<string, number> }).statistics;
    expect(stats.rows_read).toBe(0);
    expect(stats.bytes_read).toBe(0);
    const admin = await sql(p.adminKey, "EXPLAIN SELECT count(*) FROM events");
    expect(admin.explain?.row_policies).toEqual({ tables: [] });
  });

  it("binds keys named in a policy, several policies together, and a changed attribute within a second", async () => {
    const p = await regionalProject();
    const partner = await createKey(p.adminKey, ["query"], "partner");
    await call("/v1/policies/partner", {
      method: "PUT",
      token: p.adminKey,
      json: { dataset: "order", applies_to: { keys: [partner.id] }, filter: "country = 'NL'" },
    });
    expect((await sql(partner.key, 'SELECT event_id FROM "order"')).data).toEqual([{ event_id: "e1" }]);
    // In `events`, the order policy reaches order rows only.
    expect((await sql(partner.key, "SELECT count(*) AS n FROM events")).data).toEqual([{ n: 4 }]);
    // The analyst's two policies on orders: region and, now, country.
    await call("/v1/policies/no-germany", {
      method: "PUT",
      token: p.adminKey,
      json: { dataset: "order", applies_to: { users: ["eu@example.com"] }, filter: "country <> 'DE'" },
    });
    const orders = async () => (await sql(p.eu.token, 'SELECT event_id FROM "order" ORDER BY 1')).data;
    expect(await eventually(async () => (await orders()).length === 1, 3000)).toBe(true);
    expect(await orders()).toEqual([{ event_id: "e1" }]);
    await call(`/v1/users/${p.eu.id}`, {
      method: "PATCH",
      token: p.adminKey,
      json: { attributes: { region: "us-east" } },
    });
    const regions = async () => (await sql(p.eu.token, "SELECT DISTINCT region FROM events")).data;
    expect(await eventually(async () => (await regions())[0]?.region === "us-east", 3000)).toBe(true);
    expect(await regions()).toEqual([{ region: "us-east" }]);
    // Deleting a policy lifts it.
    expect((await call("/v1/policies/partner", { method: "DELETE", token: p.adminKey })).status).toBe(204);
    expect(
      await eventually(
        async () => (await sql(partner.key, 'SELECT count(*) AS n FROM "order"')).data[0]?.n === 3,
        3000,
      ),
    ).toBe(true);
  });

  it("refuses live metrics to a filtered principal rather than show windows of every event", async () => {
    const p = await regionalProject();
    const socket = await call("/v1/live", { token: p.eu.token, headers: { Upgrade: "websocket" } });
    expect(socket.status).toBe(403);
    expect((await expectEnvelope(socket)).details).toMatchObject({ reason: "row_policies" });
    const windows = await call("/v1/metrics/events/windows?window=1m", { token: p.eu.token });
    expect(windows.status).toBe(403);
  });

  it("validates policies like SQL before storing them, and lists them to admins only", async () => {
    const p = await regionalProject();
    for (const [filter, words] of [
      ["regoin = 'x'", "regoin"],
      ["region = ", "Syntax"],
      ["true) GROUP BY (1", "single boolean"],
      ["country", "BOOLEAN"],
      ["user_id IN (SELECT user_id FROM signup)", "subqueries"],
    ] as const) {
      const res = await call("/v1/policies/bad", {
        method: "PUT",
        token: p.adminKey,
        json: { dataset: "*", applies_to: { roles: ["viewer"] }, filter },
      });
      expect(res.status, filter).toBe(400);
      const error = await expectEnvelope(res);
      expect(error.code).toBe("VALIDATION_ERROR");
      expect(error.message, filter).toContain(words);
    }
    const nobody = await call("/v1/policies/empty", {
      method: "PUT",
      token: p.adminKey,
      json: { dataset: "*", applies_to: {}, filter: "true" },
    });
    expect(nobody.status).toBe(400);
    const listed = (await (await call("/v1/policies", { token: p.adminKey })).json()) as {
      policies: { name: string; filter: string }[];
    };
    expect(listed.policies.map((x) => x.name)).toEqual(["regional"]);
    expect((await call("/v1/policies", { token: p.eu.token })).status).toBe(403);
  });

  it("never serves a bound principal from rollups of every event; admins still get them", async () => {
    const p = await regionalProject();
    const id = `job_rollup_${crypto.randomUUID().slice(0, 8)}`;
    await env.DB.prepare(
      "INSERT INTO jobs (id, type, project_id, params, status) VALUES (?, 'rollup', ?, '{}', 'queued')",
    )
      .bind(id, p.id)
      .run();
    expect(await runJob(env, id)).toBe("done");
    const text =
      "SELECT event_type, count(*) AS n FROM events WHERE ts >= TIMESTAMP '2026-11-20 00:00:00' GROUP BY 1 ORDER BY 1";
    const admin = await call("/v1/query", { method: "POST", token: p.adminKey, json: { sql: text } });
    expect(admin.headers.get("X-Tarn-Source")).toBe("rollup");
    const eu = await call("/v1/query", { method: "POST", token: p.eu.token, json: { sql: text } });
    expect(eu.headers.get("X-Tarn-Source")).toBe("scan");
    expect(((await eu.json()) as { data: unknown[] }).data).toEqual([
      { event_type: "order", n: 2 },
      { event_type: "signup", n: 1 },
    ]);
  });
});
