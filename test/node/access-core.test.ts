import { describe, expect, it } from "vitest";
import {
  type AuditEntry,
  type AuditRecord,
  chainHash,
  GENESIS_HASH,
  verifyChain,
} from "../../shared/access/audit-chain";
import { hashPassword, PBKDF2_MAX_ITERATIONS, verifyPassword } from "../../shared/access/password";
import { holds, PERMISSION_TABLE, PERMISSIONS, permissionsOf, ROLES } from "../../shared/access/permissions";
import { decide, retryAfterSeconds } from "../../shared/access/sliding-window";

describe("password hashes", () => {
  it("round-trips with the parameters in the stored string", async () => {
    const stored = await hashPassword("correct horse battery");
    expect(stored).toMatch(/^pbkdf2-sha256\$100000\$[\w-]{22}\$[\w-]{43}$/);
    expect(await verifyPassword("correct horse battery", stored)).toBe(true);
    expect(await verifyPassword("correct horse batterz", stored)).toBe(false);
    expect(await hashPassword("correct horse battery")).not.toBe(stored); // salted
  });

  it("still verifies a hash made with fewer iterations (parameters can be raised later)", async () => {
    const stored = await hashPassword("an older password", 1000);
    expect(stored.split("$")[1]).toBe("1000");
    expect(await verifyPassword("an older password", stored)).toBe(true);
  });

  it("fails above the Workers cap of 100,000 iterations, as production Workers do (wrangler dev does not)", async () => {
    expect(PBKDF2_MAX_ITERATIONS).toBe(100_000);
    await expect(hashPassword("correct horse battery", PBKDF2_MAX_ITERATIONS + 1)).rejects.toThrow(/100000/);
    const tooStrong = "pbkdf2-sha256$200000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    await expect(verifyPassword("x", tooStrong)).rejects.toThrow(/cap/);
  });
});

describe("the permission table", () => {
  it("gives roles exactly the rows of API.md", () => {
    const byRole = Object.fromEntries(ROLES.map((r) => [r, permissionsOf({ role: r })]));
    expect(byRole).toEqual({
      viewer: ["read"],
      analyst: ["read", "query", "write"],
      admin: ["read", "query", "write", "ingest", "manage", "unmask"],
    });
  });

  it("maps key scopes onto it, admin implying every scope", () => {
    expect(permissionsOf({ scopes: ["ingest"] })).toEqual(["ingest"]);
    expect(permissionsOf({ scopes: ["query"] })).toEqual(["read", "query"]);
    expect(permissionsOf({ scopes: ["admin"] })).toEqual(PERMISSIONS);
    for (const p of PERMISSIONS) expect(holds({ scopes: [PERMISSION_TABLE[p].scope] }, p)).toBe(true);
  });
});

describe("the sliding window", () => {
  const hour = { limit: 3, windowMs: 3_600_000 };
  it("serves exactly the limit and tells when the next request would be served", () => {
    const hits = [
      { at: 1000, cost: 1 },
      { at: 5000, cost: 1 },
    ];
    const third = decide(hits, 10_000, hour);
    expect(third).toMatchObject({ allowed: true, remaining: 0 });
    const fourth = decide([...hits, { at: 10_000, cost: 1 }], 10_000, hour);
    expect(fourth.allowed).toBe(false);
    expect(fourth.retryAfterMs).toBe(1000 + 3_600_000 - 10_000);
    expect(retryAfterSeconds(fourth)).toBe(3591);
    // At that instant the oldest hit has left the window: served.
    expect(decide(hits.slice(1).concat({ at: 10_000, cost: 1 }), 1000 + 3_600_000, hour).allowed).toBe(true);
  });

  it("weighs costs (ingest events) and waits for enough of them to leave", () => {
    const second = { limit: 100, windowMs: 1000 };
    const hits = [
      { at: 0, cost: 60 },
      { at: 300, cost: 30 },
    ];
    expect(decide(hits, 500, second, 10).allowed).toBe(true);
    const refused = decide(hits, 500, second, 50);
    expect(refused).toMatchObject({ allowed: false, retryAfterMs: 500, overLimit: false });
    expect(decide([], 0, second, 101)).toMatchObject({ allowed: false, overLimit: true });
  });
});

describe("the audit chain", () => {
  const record = (i: number): AuditRecord => ({
    at: `2026-11-30T00:00:0${i}.000Z`,
    actor: { type: "user", id: "usr_1" },
    action: "keys.create",
    target: "/v1/keys",
    outcome: "ok",
    status: 201,
    request_id: `r${i}`,
    country: null,
    reason: null,
  });
  async function chain(n: number): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    let prev = GENESIS_HASH;
    for (let seq = 1; seq <= n; seq++) {
      const hash = await chainHash(prev, { ...record(seq), seq });
      out.push({ ...record(seq), seq, prev_hash: prev, hash });
      prev = hash;
    }
    return out;
  }

  it("verifies an untouched chain and names the first altered, reordered or missing entry", async () => {
    const entries = await chain(5);
    expect(await verifyChain(entries)).toEqual({ valid: true, entries: 5, head: entries[4]?.hash });
    const altered = entries.map((e) => (e.seq === 3 ? { ...e, outcome: "denied" as const } : e));
    expect(await verifyChain(altered)).toMatchObject({ valid: false, broken_seq: 3 });
    const missing = entries.filter((e) => e.seq !== 2);
    expect(await verifyChain(missing)).toMatchObject({ valid: false, broken_seq: 2 });
  });
});
