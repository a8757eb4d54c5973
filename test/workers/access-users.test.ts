import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { DEV_SIGNING_KEYS, signingKeys } from "../../shared/access/signing-keys";
import { signToken } from "../../shared/access/tokens";
import { callWith, createUser, eventually, jwtPart, login, PASSWORD } from "./access-helpers";
import { call, createProject, expectEnvelope } from "./helpers";

async function status(token: string, path = "/v1/auth/me"): Promise<number> {
  return (await call(path, { token })).status;
}

describe("users", () => {
  it("an admin creates users; emails are unique per project; passwords are never returned", async () => {
    const p = await createProject("users");
    const res = await call("/v1/users", {
      method: "POST",
      token: p.adminKey,
      json: { email: "Ana@Example.com", password: PASSWORD, role: "analyst", tier: "premium" },
    });
    expect(res.status).toBe(201);
    const user = (await res.json()) as Record<string, unknown>;
    expect(user).toMatchObject({ email: "ana@example.com", role: "analyst", tier: "premium", disabled: false });
    expect(user.id).toMatch(/^usr_/);
    expect(JSON.stringify(user)).not.toContain("pbkdf2");
    const dup = await call("/v1/users", {
      method: "POST",
      token: p.adminKey,
      json: { email: "ana@example.com", password: PASSWORD, role: "viewer" },
    });
    expect(dup.status).toBe(409);
    expect((await expectEnvelope(dup)).details).toMatchObject({ field: "email" });
    const list = (await (await call("/v1/users", { token: p.adminKey })).json()) as { users: { email: string }[] };
    expect(list.users.map((u) => u.email)).toEqual(["ana@example.com"]);
  });

  it.each([
    ["email", { email: "not-an-email", password: PASSWORD, role: "viewer" }],
    ["password", { email: "a@b.co", password: "short", role: "viewer" }],
    ["role", { email: "a@b.co", password: PASSWORD, role: "owner" }],
    ["tier", { email: "a@b.co", password: PASSWORD, role: "viewer", tier: "gold" }],
  ])("rejects a bad %s with 400 naming the field", async (field, json) => {
    const p = await createProject("users-bad");
    const res = await call("/v1/users", { method: "POST", token: p.adminKey, json });
    expect(res.status).toBe(400);
    const err = await expectEnvelope(res);
    expect(err.code).toBe("VALIDATION_ERROR");
    expect(JSON.stringify(err.details)).toContain(`"field":"${field}"`);
  });
});

describe("sign-in and tokens", () => {
  it("signs a user in with an EdDSA JWT valid exactly 24 hours that verifies against the JWKS", async () => {
    const p = await createProject("login");
    const u = await createUser(p.adminKey, "viewer@example.com", "viewer");
    const res = await call("/v1/auth/login", {
      method: "POST",
      json: { project: p.name, email: "viewer@example.com", password: PASSWORD },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string; token_type: string; expires_at: string; user: unknown };
    expect(body.token_type).toBe("Bearer");
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(body.user).toEqual({ id: u.id, email: "viewer@example.com", role: "viewer", tier: "free" });
    const header = jwtPart(body.token, 0);
    const claims = jwtPart(body.token, 1);
    expect(header).toMatchObject({ alg: "EdDSA", kid: "dev-2026-a" });
    expect((claims.exp as number) - (claims.iat as number)).toBe(86_400);
    expect(new Date(body.expires_at).getTime()).toBe((claims.exp as number) * 1000);
    expect(claims).toMatchObject({ sub: u.id, pid: p.id, role: "viewer", ver: 0, iss: "tarn", aud: "tarn-api" });

    const jwks = await call("/.well-known/jwks.json");
    expect(jwks.status).toBe(200);
    const set = (await jwks.json()) as { keys: Record<string, unknown>[] };
    expect(set.keys.every((k) => k.d === undefined)).toBe(true);
    const verified = await jwtVerify(body.token, createLocalJWKSet(set as never), {
      issuer: "tarn",
      audience: "tarn-api",
    });
    expect(verified.payload.sub).toBe(u.id);

    const me = await call("/v1/auth/me", { token: body.token });
    expect(await me.json()).toEqual({
      principal: { type: "user", id: u.id, role: "viewer", email: "viewer@example.com", tier: "free" },
      project: { id: p.id, name: p.name },
      permissions: ["read"],
    });
  });

  it("answers a wrong password and an unknown email with the same 401, and a bad email shape with 400", async () => {
    const p = await createProject("login-bad");
    await createUser(p.adminKey, "a@example.com", "viewer");
    const wrong = await call("/v1/auth/login", {
      method: "POST",
      json: { project: p.id, email: "a@example.com", password: "x".repeat(12) },
    });
    const unknown = await call("/v1/auth/login", {
      method: "POST",
      json: { project: p.id, email: "b@example.com", password: PASSWORD },
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect((await expectEnvelope(wrong)).message).toBe((await expectEnvelope(unknown)).message);
    const shape = await call("/v1/auth/login", {
      method: "POST",
      json: { project: p.id, email: "nope", password: "x" },
    });
    expect(shape.status).toBe(400);
    expect(JSON.stringify((await expectEnvelope(shape)).details)).toContain('"field":"email"');
  });

  it("refuses the 6th failed sign-in for an email within 15 minutes with 429 and Retry-After", async () => {
    const p = await createProject("throttle");
    await createUser(p.adminKey, "t@example.com", "viewer");
    const attempt = (password: string) =>
      call("/v1/auth/login", { method: "POST", json: { project: p.id, email: "t@example.com", password } });
    for (let i = 0; i < 5; i++) expect((await attempt(`wrong password ${i}`)).status).toBe(401);
    const sixth = await attempt(PASSWORD);
    expect(sixth.status).toBe(429);
    expect((await expectEnvelope(sixth)).code).toBe("RATE_LIMITED");
    const retry = Number(sixth.headers.get("Retry-After"));
    expect(retry).toBeGreaterThan(14 * 60);
    expect(retry).toBeLessThanOrEqual(15 * 60);
    // Another email of the same project is not slowed.
    await createUser(p.adminKey, "u@example.com", "viewer");
    expect(typeof (await login(p.id, "u@example.com"))).toBe("string");
  });

  it("invalidates older tokens within a second after a role change, a revoke, disabling and deletion", async () => {
    const p = await createProject("invalidate");
    const u = await createUser(p.adminKey, "r@example.com", "analyst");
    const patch = (json: unknown) => call(`/v1/users/${u.id}`, { method: "PATCH", token: p.adminKey, json });

    const t1 = await login(p.id, "r@example.com");
    expect(await status(t1)).toBe(200);
    expect((await patch({ role: "viewer" })).status).toBe(200);
    expect(await eventually(async () => (await status(t1)) === 401, 1000)).toBe(true);

    const t2 = await login(p.id, "r@example.com");
    expect(jwtPart(t2, 1).role).toBe("viewer");
    expect((await call(`/v1/users/${u.id}/tokens/revoke`, { method: "POST", token: p.adminKey })).status).toBe(204);
    expect(await eventually(async () => (await status(t2)) === 401, 1000)).toBe(true);

    const t3 = await login(p.id, "r@example.com");
    expect((await patch({ tier: "premium" })).status).toBe(200);
    expect(await status(t3)).toBe(200); // a tier change keeps tokens
    expect((await patch({ disabled: true })).status).toBe(200);
    expect(await eventually(async () => (await status(t3)) === 401, 1000)).toBe(true);
    const disabledLogin = await call("/v1/auth/login", {
      method: "POST",
      json: { project: p.id, email: "r@example.com", password: PASSWORD },
    });
    expect(disabledLogin.status).toBe(401);

    expect((await patch({ disabled: false })).status).toBe(200);
    const t4 = await login(p.id, "r@example.com");
    expect((await call(`/v1/users/${u.id}`, { method: "DELETE", token: p.adminKey })).status).toBe(204);
    expect(await eventually(async () => (await status(t4)) === 401, 1000)).toBe(true);
  });

  it("refuses alg none, a foreign signature, a wrong aud or iss, an expired token and garbage with 401", async () => {
    const p = await createProject("bad-tokens");
    const u = await createUser(p.adminKey, "x@example.com", "admin");
    const good = await login(p.id, "x@example.com");
    const claims = { pid: p.id, role: "admin", ver: 0 };
    const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const none = `${b64({ alg: "none", typ: "JWT" })}.${jwtPart(good, 1) && b64(jwtPart(good, 1))}.`;
    const noneSigned = `${b64({ alg: "none", kid: "dev-2026-a" })}.${b64(jwtPart(good, 1))}.AAAA`;
    const foreign = await generateKeyPair("EdDSA", { extractable: true });
    const foreignToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: "EdDSA", kid: "dev-2026-a" })
      .setSubject(u.id)
      .setIssuer("tarn")
      .setAudience("tarn-api")
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(foreign.privateKey);
    const keys = await signingKeys(DEV_SIGNING_KEYS);
    const sign = (aud: string, iss: string) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "EdDSA", kid: "dev-2026-a" })
        .setSubject(u.id)
        .setIssuer(iss)
        .setAudience(aud)
        .setIssuedAt()
        .setExpirationTime("1h")
        .sign(keys.signer.privateKey);
    const expired = await signToken(
      keys,
      { sub: u.id, ...claims, role: "admin" },
      "tarn",
      Math.floor(Date.now() / 1000) - 86_401,
    );
    const tampered = `${good.split(".")[0]}.${b64({ ...jwtPart(good, 1), role: "admin", ver: 0, sub: "usr_other" })}.${good.split(".")[2]}`;
    expect(await status(good)).toBe(200);
    expect(JSON.stringify(await exportJWK(foreign.publicKey))).not.toContain("FTlEFG1H");
    for (const [what, token] of [
      ["alg none", none],
      ["alg none with a signature", noneSigned],
      ["a foreign signature", foreignToken],
      ["a wrong aud", await sign("someone-else", "tarn")],
      ["a wrong iss", await sign("tarn-api", "evil")],
      ["an expired token", expired.token],
      ["a tampered payload", tampered],
      ["garbage", "a.b.c"],
    ] as const) {
      const res = await call("/v1/auth/me", { token });
      expect(res.status, what).toBe(401);
      expect((await expectEnvelope(res)).code, what).toBe("UNAUTHORIZED");
    }
  });

  it("rotates keys: two keys valid at once, the new one signs, the dropped one's tokens stop verifying", async () => {
    const p = await createProject("rotate");
    await createUser(p.adminKey, "k@example.com", "viewer");
    const oldToken = await login(p.id, "k@example.com");
    const fresh = await generateKeyPair("EdDSA", { extractable: true });
    const jwk = { ...(await exportJWK(fresh.privateKey)), kid: "rotated-b" };
    const both = JSON.stringify([jwk, ...JSON.parse(DEV_SIGNING_KEYS)]);
    const onlyNew = JSON.stringify([jwk]);

    const set = (await (await callWith({ JWT_SIGNING_KEYS: both }, "/.well-known/jwks.json")).json()) as {
      keys: { kid: string }[];
    };
    expect(set.keys.map((k) => k.kid)).toEqual(["rotated-b", "dev-2026-a"]);
    expect((await callWith({ JWT_SIGNING_KEYS: both }, "/v1/auth/me", { token: oldToken })).status).toBe(200);
    const res = await callWith({ JWT_SIGNING_KEYS: both }, "/v1/auth/login", {
      method: "POST",
      json: { project: p.id, email: "k@example.com", password: PASSWORD },
    });
    const newToken = ((await res.json()) as { token: string }).token;
    expect(jwtPart(newToken, 0).kid).toBe("rotated-b");
    expect((await callWith({ JWT_SIGNING_KEYS: onlyNew }, "/v1/auth/me", { token: newToken })).status).toBe(200);
    expect((await callWith({ JWT_SIGNING_KEYS: onlyNew }, "/v1/auth/me", { token: oldToken })).status).toBe(401);
  });

  it("refuses to serve in production with the development signing key, and serves with a real one", async () => {
    const admin = {
      ADMIN_API_KEY: "tk_a_real_production_admin_key_0123456789abcdef",
      // Production also needs a real MASTER_KEY (privacy); this test is about the signing keys.
      MASTER_KEY: btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))),
    };
    const dev = await callWith({ ...admin, ENVIRONMENT: "production", JWT_SIGNING_KEYS: undefined }, "/health");
    expect(dev.status).toBe(503);
    expect((await expectEnvelope(dev)).message).toContain("JWT_SIGNING_KEYS");
    const fresh = await generateKeyPair("EdDSA", { extractable: true });
    const real = JSON.stringify([{ ...(await exportJWK(fresh.privateKey)), kid: "prod-1" }]);
    expect((await callWith({ ...admin, ENVIRONMENT: "production", JWT_SIGNING_KEYS: real }, "/health")).status).toBe(
      200,
    );
  });
});
