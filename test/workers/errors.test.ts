import { createExecutionContext, env } from "cloudflare:test";
import { exportJWK, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import { EXAMPLE_ADMIN_API_KEY } from "../../shared/config";
import { DEV_MASTER_KEY } from "../../shared/privacy/field-cipher";
import { createApp } from "../../workers/app";
import { BASE, call, expectEnvelope, SUPER_ADMIN } from "./helpers";

describe("the error contract", () => {
  it("answers an unknown route with the NOT_FOUND envelope and a request id", async () => {
    const res = await call("/v1/nothing-here");
    expect(res.status).toBe(404);
    const err = await expectEnvelope(res);
    expect(err.code).toBe("NOT_FOUND");
    expect(err.request_id).toMatch(/^[\w-]{8,}$/);
    expect(new Date(err.timestamp).toISOString()).toBe(err.timestamp);
  });

  it("answers a wrong method with 405 and the allowed methods", async () => {
    const res = await call("/v1/projects", { method: "GET", token: SUPER_ADMIN });
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toBe("POST");
    expect((await expectEnvelope(res)).code).toBe("METHOD_NOT_ALLOWED");

    const put = await call("/v1/keys/key_123", { method: "PUT" });
    expect(put.status).toBe(405);
    expect(put.headers.get("Allow")).toContain("DELETE");
  });

  it("honours a sane incoming X-Request-Id and replaces an unsafe one", async () => {
    const kept = await call("/v1/nope", { headers: { "X-Request-Id": "client-abc_123" } });
    expect(kept.headers.get("X-Request-Id")).toBe("client-abc_123");
    expect((await expectEnvelope(kept)).request_id).toBe("client-abc_123");

    const replaced = await call("/health", { headers: { "X-Request-Id": "<script>alert(1)</script>" } });
    expect(replaced.headers.get("X-Request-Id")).not.toContain("<");
    const long = await call("/health", { headers: { "X-Request-Id": "a".repeat(500) } });
    expect(long.headers.get("X-Request-Id")?.length).toBeLessThanOrEqual(128);
  });

  it("reports a bug as INTERNAL without leaking the message or stack", async () => {
    const app = createApp();
    app.get("/boom", () => {
      throw new Error("secret detail at /src/file.ts:12");
    });
    const res = await app.fetch(new Request(`${BASE}/boom`), env, createExecutionContext());
    expect(res.status).toBe(500);
    const text = await res.clone().text();
    expect(text).not.toContain("secret detail");
    expect(text).not.toContain("file.ts");
    expect((await expectEnvelope(res)).code).toBe("INTERNAL");
  });
});

describe("production safety", () => {
  const app = createApp();
  const fetchWith = (vars: Partial<Env>, path = "/health") =>
    app.fetch(new Request(`${BASE}${path}`), { ...env, ...vars }, createExecutionContext());

  it("refuses to serve in production while the super-admin key is the example's", async () => {
    const res = await fetchWith({ ENVIRONMENT: "production", ADMIN_API_KEY: EXAMPLE_ADMIN_API_KEY });
    expect(res.status).toBe(503);
    expect(res.headers.get("Retry-After")).toBe("60");
    const err = await expectEnvelope(res);
    expect(err.code).toBe("UNAVAILABLE");
    expect(err.message).toContain("ADMIN_API_KEY");
  });

  it("refuses to serve in production without a super-admin key", async () => {
    const res = await fetchWith({ ENVIRONMENT: "production", ADMIN_API_KEY: "" });
    expect(res.status).toBe(503);
  });

  it("serves in production with a real key, and in development with the example key", async () => {
    // A real signing key too (README, "People and access"): a fresh Ed25519 key, not the public development one.
    const { privateKey } = await generateKeyPair("EdDSA", { extractable: true });
    const JWT_SIGNING_KEYS = JSON.stringify([{ ...(await exportJWK(privateKey)), kid: "prod" }]);
    // And a real master key of field encryption (README, "Privacy"): 32 random bytes, base64.
    const MASTER_KEY = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    const real = { ENVIRONMENT: "production", ADMIN_API_KEY: SUPER_ADMIN, JWT_SIGNING_KEYS, MASTER_KEY };
    expect((await fetchWith(real)).status).toBe(200);
    for (const bad of ["", DEV_MASTER_KEY, btoa("too short")]) {
      const res = await fetchWith({ ...real, MASTER_KEY: bad });
      expect(res.status).toBe(503);
      expect((await expectEnvelope(res)).message).toContain("MASTER_KEY");
    }
    expect((await fetchWith({ ENVIRONMENT: "development", ADMIN_API_KEY: EXAMPLE_ADMIN_API_KEY })).status).toBe(200);
  });
});

describe("API documentation", () => {
  it("serves an OpenAPI 3 document listing every route the app serves", async () => {
    const res = await call("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([p, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ":$1")}`),
      ),
    );
    const served = createApp()
      .routes.filter((r) => r.method !== "ALL" && !["/openapi.json", "/docs"].includes(r.path))
      .map((r) => `${r.method} ${r.path.replace("{.+}", "")}`);
    expect(served.length).toBeGreaterThan(4);
    for (const route of served) expect(documented, route).toContain(route);
  });

  it("serves a self-contained HTML reference at /docs", async () => {
    const res = await call("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toContain("text/html");
    const html = await res.text();
    expect(html).toContain("/v1/projects");
    expect(html).toContain("/v1/keys/{id}");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="https?:/);
  });
});
