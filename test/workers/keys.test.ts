import { describe, expect, it } from "vitest";
import { call, createKey, createProject, expectEnvelope, SUPER_ADMIN } from "./helpers";

describe("projects", () => {
  it("lets the super-admin create a project and returns a working admin key once", async () => {
    const res = await call("/v1/projects", { method: "POST", token: SUPER_ADMIN, json: { name: "acme-create" } });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, string>;
    expect(body.name).toBe("acme-create");
    expect(body.id).toMatch(/^prj_[0-9a-f]{20}$/);
    expect(body.admin_key).toMatch(/^tk_[A-Za-z0-9_-]{43,}$/);
    expect(new Date(body.created_at as string).toString()).not.toBe("Invalid Date");

    const list = await call("/v1/keys", { token: body.admin_key });
    expect(list.status).toBe(200);
  });

  it("refuses a second project with the same name with 409 CONFLICT", async () => {
    await call("/v1/projects", { method: "POST", token: SUPER_ADMIN, json: { name: "dup-name" } });
    const res = await call("/v1/projects", { method: "POST", token: SUPER_ADMIN, json: { name: "dup-name" } });
    expect(res.status).toBe(409);
    expect((await expectEnvelope(res)).code).toBe("CONFLICT");
  });

  it("rejects over-long and malformed names with VALIDATION_ERROR naming the field", async () => {
    for (const name of ["x".repeat(65), "", "../etc", 42]) {
      const res = await call("/v1/projects", { method: "POST", token: SUPER_ADMIN, json: { name } });
      expect(res.status).toBe(400);
      const err = await expectEnvelope(res);
      expect(err.code).toBe("VALIDATION_ERROR");
      expect(err.message).toContain("name");
      expect(JSON.stringify(err.details)).toContain('"field":"name"');
    }
  });

  it("rejects unknown fields in the body", async () => {
    const res = await call("/v1/projects", {
      method: "POST",
      token: SUPER_ADMIN,
      json: { name: "ok-name", owner: "x" },
    });
    expect(res.status).toBe(400);
    expect((await expectEnvelope(res)).code).toBe("VALIDATION_ERROR");
  });

  it("answers unparseable JSON with INVALID_JSON and a wrong media type with 415", async () => {
    const bad = await call("/v1/projects", {
      method: "POST",
      headers: { Authorization: `Bearer ${SUPER_ADMIN}`, "Content-Type": "application/json" },
      body: "{nope",
    });
    expect(bad.status).toBe(400);
    expect((await expectEnvelope(bad)).code).toBe("INVALID_JSON");

    const text = await call("/v1/projects", {
      method: "POST",
      headers: { Authorization: `Bearer ${SUPER_ADMIN}`, "Content-Type": "text/plain" },
      body: "name=acme",
    });
    expect(text.status).toBe(415);
    expect((await expectEnvelope(text)).code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("does not let a project admin key create projects", async () => {
    const { adminKey } = await createProject();
    const res = await call("/v1/projects", { method: "POST", token: adminKey, json: { name: "sneaky" } });
    expect(res.status).toBe(403);
    expect((await expectEnvelope(res)).code).toBe("FORBIDDEN");
  });
});

describe("the super-admin key", () => {
  it("can do nothing but create projects", async () => {
    const list = await call("/v1/keys", { token: SUPER_ADMIN });
    expect(list.status).toBe(403);
    expect((await expectEnvelope(list)).code).toBe("FORBIDDEN");
    const create = await call("/v1/keys", {
      method: "POST",
      token: SUPER_ADMIN,
      json: { name: "x", scopes: ["admin"] },
    });
    expect(create.status).toBe(403);
    const del = await call("/v1/keys/key_00000000000000000000", { method: "DELETE", token: SUPER_ADMIN });
    expect(del.status).toBe(403);
  });
});

describe("key lifecycle", () => {
  it("creates, lists without key material, uses, revokes, and then refuses the key", async () => {
    const { adminKey } = await createProject();
    const created = await call("/v1/keys", {
      method: "POST",
      token: adminKey,
      json: { name: "web", scopes: ["admin"] },
    });
    expect(created.status).toBe(201);
    const key = (await created.json()) as { id: string; name: string; scopes: string[]; key: string };
    expect(key.name).toBe("web");
    expect(key.scopes).toEqual(["admin"]);
    expect(key.key).toMatch(/^tk_/);
    expect(atob(key.key.slice(3).replace(/-/g, "+").replace(/_/g, "/")).length).toBeGreaterThanOrEqual(32);

    const used = await call("/v1/keys", { token: key.key });
    expect(used.status).toBe(200);
    const listed = (await used.json()) as { keys: Record<string, unknown>[] };
    const names = listed.keys.map((k) => k.name);
    expect(names).toEqual(["admin", "web"]);
    const raw = JSON.stringify(listed);
    expect(raw).not.toContain(key.key);
    expect(raw).not.toContain(adminKey);
    for (const k of listed.keys)
      expect(Object.keys(k).sort()).toEqual(["created_at", "id", "last_used_at", "name", "scopes", "tier"]);

    const revoke = await call(`/v1/keys/${key.id}`, { method: "DELETE", token: adminKey });
    expect(revoke.status).toBe(204);
    const after = await call("/v1/keys", { token: key.key });
    expect(after.status).toBe(401);
    expect((await expectEnvelope(after)).code).toBe("UNAUTHORIZED");

    const again = await call(`/v1/keys/${key.id}`, { method: "DELETE", token: adminKey });
    expect(again.status).toBe(404);
  });

  it("records when a key was last used", async () => {
    const { adminKey } = await createProject();
    await call("/v1/keys", { token: adminKey });
    // last_used_at is written off the response path; poll briefly.
    let lastUsed: unknown = null;
    for (let i = 0; i < 20 && !lastUsed; i++) {
      const res = await call("/v1/keys", { token: adminKey });
      const body = (await res.json()) as { keys: { name: string; last_used_at: string | null }[] };
      lastUsed = body.keys.find((k) => k.name === "admin")?.last_used_at;
      if (!lastUsed) await new Promise((r) => setTimeout(r, 50));
    }
    expect(typeof lastUsed).toBe("string");
  });

  it("keeps projects apart: a key cannot list or revoke another project's keys", async () => {
    const a = await createProject("a");
    const b = await createProject("b");
    const bKey = await createKey(b.adminKey, ["ingest"]);
    const del = await call(`/v1/keys/${bKey.id}`, { method: "DELETE", token: a.adminKey });
    expect(del.status).toBe(404);
    const list = (await (await call("/v1/keys", { token: a.adminKey })).json()) as { keys: { id: string }[] };
    expect(list.keys.map((k) => k.id)).not.toContain(bKey.id);
  });

  it("rejects unknown, repeated and missing scopes", async () => {
    const { adminKey } = await createProject();
    for (const scopes of [["root"], ["query", "query"], [], "admin"]) {
      const res = await call("/v1/keys", { method: "POST", token: adminKey, json: { name: "x", scopes } });
      expect(res.status).toBe(400);
      const err = await expectEnvelope(res);
      expect(err.code).toBe("VALIDATION_ERROR");
      expect(err.message).toContain("scopes");
    }
  });
});

describe("credentials and scopes", () => {
  it("answers a missing, malformed or unknown credential with 401", async () => {
    const cases: Record<string, string>[] = [
      {},
      { Authorization: "Basic abc" },
      { Authorization: "Bearer" },
      { Authorization: "Bearer tk_notarealkeynotarealkeynotarealkeynotarealkey" },
      { Authorization: "Bearer something-else" },
    ];
    for (const headers of cases) {
      const res = await call("/v1/keys", { headers });
      expect(res.status).toBe(401);
      expect((await expectEnvelope(res)).code).toBe("UNAUTHORIZED");
    }
  });

  it("answers a valid key without the admin scope with 403 on every key route", async () => {
    const { adminKey } = await createProject();
    for (const scope of ["ingest", "query"]) {
      const { key } = await createKey(adminKey, [scope]);
      const routes: [string, string, unknown?][] = [
        ["GET", "/v1/keys"],
        ["POST", "/v1/keys", { name: "x", scopes: ["ingest"] }],
        ["DELETE", "/v1/keys/key_00000000000000000000"],
      ];
      for (const [method, path, json] of routes) {
        const res = await call(path, { method, token: key, json });
        expect(res.status, `${scope} ${method} ${path}`).toBe(403);
        const err = await expectEnvelope(res);
        expect(err.code).toBe("FORBIDDEN");
        expect(err.details).toEqual({ required_permission: "manage", required_scope: "admin", scopes: [scope] });
      }
    }
  });
});
