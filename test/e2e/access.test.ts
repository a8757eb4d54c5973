// People and access against a real `wrangler dev`: the issue's "done when" walk, with real clients.
import { Agent, request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiInit, type DevServer, startDevServer } from "./server";

let server: DevServer;

beforeAll(async () => {
  server = await startDevServer();
});
afterAll(async () => {
  await server?.stop();
});

const api = (route: string, init?: ApiInit) => server.api(route, init);

/** POST over one kept-alive TCP connection of `agent` (each agent holds exactly one). */
function postOn(
  agent: Agent,
  route: string,
  token: string,
  json: unknown,
): Promise<{ status: number; headers: Record<string, unknown> }> {
  const body = JSON.stringify(json);
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}${route}`,
      {
        method: "POST",
        agent,
        headers: {
          Authorization: `Bearer ${token}`,
          "Content-Type": "application/json",
          "Content-Length": Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function json<T>(res: Response | Promise<Response>): Promise<T> {
  return (await (await res).json()) as T;
}

describe("people and access (real wrangler dev)", () => {
  it("admin creates an analyst and a viewer; both sign in and can do exactly what the table says; the 101st query in an hour is 429; the audit log shows it and verifies", async () => {
    const created = await json<{ id: string; admin_key: string }>(
      api("/v1/projects", { method: "POST", token: server.adminKey, json: { name: "e2e-access" } }),
    );
    const admin = created.admin_key;
    const password = "a long enough password";
    for (const [email, role] of [
      ["ana@acme.test", "analyst"],
      ["vic@acme.test", "viewer"],
    ]) {
      const res = await api("/v1/users", { method: "POST", token: admin, json: { email, password, role } });
      expect(res.status).toBe(201);
    }
    const signIn = async (email: string) => {
      const res = await api("/v1/auth/login", { method: "POST", json: { project: "e2e-access", email, password } });
      expect(res.status).toBe(200);
      return (await res.json()) as { token: string; expires_at: string };
    };
    const analyst = (await signIn("ana@acme.test")).token;
    const viewer = (await signIn("vic@acme.test")).token;

    // Each can do exactly what the table says (a sample of every row; the full matrix runs in workerd).
    const sql = { sql: "SELECT count(*) AS n FROM events" };
    const can = async (token: string, route: string, init: ApiInit = {}) =>
      (await api(route, { ...init, token })).status;
    expect(await can(viewer, "/v1/datasets")).toBe(200);
    expect(await can(viewer, "/v1/query", { method: "POST", json: sql })).toBe(403);
    expect(await can(viewer, "/v1/users")).toBe(403);
    expect(await can(viewer, "/v1/events", { method: "POST", json: { eventType: "x" } })).toBe(403);
    expect(await can(analyst, "/v1/datasets")).toBe(200);
    expect(await can(analyst, "/v1/alerts")).toBe(200);
    expect(await can(analyst, "/v1/events", { method: "POST", json: { eventType: "x" } })).toBe(403);
    expect(await can(analyst, "/v1/audit")).toBe(403);
    expect(await can(admin, "/v1/events", { method: "POST", json: { eventType: "x" } })).toBe(202);
    const me = await json<{ principal: { role: string }; permissions: string[] }>(
      api("/v1/auth/me", { token: analyst }),
    );
    expect(me).toMatchObject({ principal: { role: "analyst" }, permissions: ["read", "query", "write"] });

    // The viewer's live socket opens with the token on the URL.
    const ws = new WebSocket(`${server.url.replace("http", "ws")}/v1/live?token=${viewer}`);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener("open", () => resolve());
      ws.addEventListener("error", () => reject(new Error("socket refused")));
    });
    ws.close();

    // A free user's hour: 100 queries served, not one more, through two connections at once.
    const connections = [new Agent({ keepAlive: true, maxSockets: 1 }), new Agent({ keepAlive: true, maxSockets: 1 })];
    const statuses: number[] = [];
    await Promise.all(
      connections.map(async (agent) => {
        for (let i = 0; i < 55; i++) statuses.push((await postOn(agent, "/v1/query", analyst, sql)).status);
      }),
    );
    for (const a of connections) a.destroy();
    expect(statuses.filter((s) => s === 200)).toHaveLength(100);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    const refused = await api("/v1/query", { method: "POST", token: analyst, json: sql });
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThan(3500);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(refused.headers.get("RateLimit-Limit")).toBe("100");
    expect(refused.headers.get("RateLimit-Remaining")).toBe("0");
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("RATE_LIMITED");

    // The audit log shows it all, and its chain verifies.
    type Entry = { action: string; outcome: string; status: number; actor: { type: string } };
    const all: Entry[] = [];
    let cursor: string | null = null;
    for (let deadline = Date.now() + 10_000; ; ) {
      all.length = 0;
      cursor = null;
      do {
        const page: { entries: Entry[]; next_cursor: string | null } = await json(
          api(`/v1/audit?limit=100${cursor ? `&cursor=${cursor}` : ""}`, { token: admin }),
        );
        all.push(...page.entries);
        cursor = page.next_cursor;
      } while (cursor);
      if (all.filter((e) => e.action === "query.run").length >= 112 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const count = (pred: (e: Entry) => boolean) => all.filter(pred).length;
    expect(count((e) => e.action === "users.create" && e.outcome === "ok")).toBe(2);
    expect(count((e) => e.action === "auth.login" && e.outcome === "ok")).toBe(2);
    expect(count((e) => e.action === "query.run" && e.outcome === "ok")).toBe(100);
    expect(count((e) => e.action === "query.run" && e.status === 429)).toBe(11);
    expect(count((e) => e.action === "query.run" && e.status === 403)).toBe(1);
    expect(count((e) => e.outcome === "denied" && e.status === 403)).toBeGreaterThanOrEqual(5);
    const verdict = await json<{ valid: boolean; entries: number }>(api("/v1/audit/verify", { token: admin }));
    expect(verdict.valid).toBe(true);
    expect(verdict.entries).toBeGreaterThanOrEqual(all.length);
  });

  it("answers hostile credentials and bodies with 4xx, never 5xx", async () => {
    const cases: [string, ApiInit][] = [
      ["/v1/auth/me", { token: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0." }],
      ["/v1/auth/me", { token: "a.b.c" }],
      ["/v1/auth/login", { method: "POST", json: { project: "nope", email: "a@b.co", password: "x" } }],
      ["/v1/auth/login", { method: "POST", json: { project: "", email: "", password: "" } }],
      ["/v1/auth/login", { method: "POST", json: [] }],
      ["/v1/users", { method: "POST", token: server.adminKey, json: {} }],
    ];
    for (const [route, init] of cases) {
      const res = await api(route, init);
      expect(res.status, route).toBeGreaterThanOrEqual(400);
      expect(res.status, route).toBeLessThan(500);
    }
  });
});
