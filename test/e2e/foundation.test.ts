import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiInit, type DevServer, startDevServer } from "./server";

let server: DevServer;

beforeAll(async () => {
  server = await startDevServer();
});
afterAll(async () => {
  await server?.stop();
});

function api(route: string, init?: ApiInit) {
  return server.api(route, init);
}

describe("npm run dev (real wrangler dev)", () => {
  it("serves /health and /ready with local D1, R2 and queues", async () => {
    expect(await (await api("/health")).json()).toEqual({ status: "ok" });
    const ready = await api("/ready");
    expect(ready.status).toBe(200);
  });

  it("walks the README: create a project, create a key, use it, revoke it within a second", async () => {
    const project = await api("/v1/projects", { method: "POST", token: server.adminKey, json: { name: "e2e-acme" } });
    expect(project.status).toBe(201);
    const { admin_key: adminKey } = (await project.json()) as { admin_key: string };

    const created = await api("/v1/keys", {
      method: "POST",
      token: adminKey,
      json: { name: "ops", scopes: ["admin"] },
    });
    expect(created.status).toBe(201);
    const key = (await created.json()) as { id: string; key: string };
    expect((await api("/v1/keys", { token: key.key })).status).toBe(200);

    expect((await api(`/v1/keys/${key.id}`, { method: "DELETE", token: adminKey })).status).toBe(204);
    const revokedAt = Date.now();
    let status = 200;
    while (status !== 401 && Date.now() - revokedAt < 5000) {
      status = (await api("/v1/keys", { token: key.key })).status;
    }
    expect(status).toBe(401);
    expect(Date.now() - revokedAt).toBeLessThan(1000);
  });

  it("answers every failure with the envelope and a request id", async () => {
    for (const [path, method, expected] of [
      ["/v1/unknown", "GET", 404],
      ["/v1/projects", "GET", 405],
      ["/v1/keys", "GET", 401],
    ] as const) {
      const res = await api(path, { method });
      expect(res.status).toBe(expected);
      const body = (await res.json()) as { error: { request_id: string } };
      expect(body.error.request_id).toBe(res.headers.get("X-Request-Id"));
    }
  });

  it("runs the cron's jobs: the dev script starts wrangler with scheduled events enabled", async () => {
    const project = await api("/v1/projects", { method: "POST", token: server.adminKey, json: { name: "e2e-cron" } });
    const { admin_key: adminKey } = (await project.json()) as { admin_key: string };
    const fired = await fetch(`${server.url}/__scheduled?cron=${encodeURIComponent("30 3 * * *")}`);
    expect(fired.status).toBe(200);
    let jobs: { type: string; status: string }[] = [];
    const retained = () => jobs.some((j) => j.type === "retention" && j.status === "succeeded");
    for (let i = 0; i < 50 && !retained(); i++) {
      await new Promise((r) => setTimeout(r, 200));
      jobs = ((await (await api("/v1/jobs", { token: adminKey })).json()) as { jobs: typeof jobs }).jobs;
    }
    // The daily cron's jobs: retention, and the nightly profiles of event datasets.
    expect(jobs.map((j) => j.type).sort()).toEqual(["profile", "retention"]);
    expect(retained()).toBe(true);
  });

  it("serves the OpenAPI document and the offline reference page", async () => {
    const doc = (await (await api("/openapi.json")).json()) as { openapi: string };
    expect(doc.openapi).toMatch(/^3\./);
    const html = await (await api("/docs")).text();
    expect(html).toContain("Tarn API reference");
  });
});
