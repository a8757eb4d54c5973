// DedupeShard.forget: a rollback hands event ids back, so the same ids can be claimed and land again.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { DedupeShard } from "../../durable-objects/dedupe-shard/index";
import { dedupeKey } from "../../shared/dedupe";
import { jsonChunks } from "../../shared/json-chunks";

const uid = () => crypto.randomUUID().slice(0, 8);
const shard = () => env.DEDUPE.get(env.DEDUPE.idFromName(`dedupe-test-${uid()}`));
const bytes = (s: string) => new TextEncoder().encode(s).length;
const entries = (keys: string[]) => keys.map((key) => ({ key, expiresAt: Date.now() + 3600_000 }));

describe("DedupeShard.forget", () => {
  it("lets released keys be claimed afresh while the others stay duplicates", async () => {
    const p = `prj_${uid()}`;
    const keys = Array.from({ length: 6 }, (_, i) => dedupeKey(p, `e${i}`));
    const stub = shard();
    expect((await stub.claim("batch-1", entries(keys))).map((v) => v.kind)).toEqual(Array(6).fill("new"));
    expect(await stub.commit("batch-1")).toBe(1);

    // A key named twice counts once; a key the shard never held counts not at all.
    const released = keys.slice(0, 3);
    expect(await stub.forget([...released, released[0] as string, dedupeKey(p, "never-claimed")])).toBe(3);

    const again = await stub.claim("batch-2", entries(keys));
    expect(again.map((v) => v.kind)).toEqual(["new", "new", "new", "duplicate", "duplicate", "duplicate"]);
  });

  it("forgets a claim still pending under an uncommitted batch", async () => {
    const key = dedupeKey(`prj_${uid()}`, "held");
    const stub = shard();
    await stub.claim("live-batch", entries([key]));
    expect((await stub.claim("other-batch", entries([key])))[0]?.kind).toBe("pending");
    expect(await stub.forget([key])).toBe(1);
    expect(await stub.claim("other-batch", entries([key]))).toEqual([{ kind: "new" }]);
  });

  it("forgets nothing for an empty list", async () => {
    expect(await shard().forget([])).toBe(0);
  });

  it("forgets a key list past a Durable Object's 2 MB string limit in one call, no statement over the limit", async () => {
    const limit = 2 * 1024 * 1024;
    const p = `prj_${uid()}_${"x".repeat(40)}`;
    const keys = Array.from({ length: 40_000 }, (_, i) => dedupeKey(p, `event-${String(i).padStart(8, "0")}`));
    expect(bytes(JSON.stringify(keys))).toBeGreaterThan(limit);
    const stub = shard();
    for (const part of [keys.slice(0, 20_000), keys.slice(20_000)]) await stub.claim("big", entries(part));
    await stub.commit("big");

    // Local workerd does not enforce the limit, so the arguments the shard sends SQLite are measured.
    const { forgotten, largest, left } = await runInDurableObject(stub, (instance: DedupeShard, state) => {
      const sql = state.storage.sql;
      const exec = sql.exec.bind(sql);
      let largest = 0;
      const spy = vi.spyOn(sql, "exec").mockImplementation((query, ...bindings) => {
        for (const b of bindings) if (typeof b === "string") largest = Math.max(largest, bytes(b));
        return exec(query, ...bindings);
      });
      try {
        const forgotten = instance.forget(keys);
        return { forgotten, largest, left: exec<{ n: number }>("SELECT count(*) AS n FROM claims").one().n };
      } finally {
        spy.mockRestore();
      }
    });
    expect(forgotten).toBe(keys.length);
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThan(limit);
    expect(left).toBe(0);
  });
});

describe("jsonChunks", () => {
  it("splits a list into JSON arrays under the bound that together parse back to the list", () => {
    const items = Array.from({ length: 1000 }, (_, i) => `key-${i}-\u00e9\u0000`);
    const chunks = jsonChunks(items, 2000);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(2000);
    expect(chunks.flatMap((c) => JSON.parse(c) as string[])).toEqual(items);
    expect(jsonChunks([], 2000)).toEqual([]);
  });
});

describe("DedupeShard.claim", () => {
  it("keeps an id a duplicate within its window and lets it land again after", async () => {
    const key = dedupeKey(`prj_${uid()}`, "windowed");
    const stub = shard();
    const t = Date.now();
    expect((await stub.claim("b1", [{ key, expiresAt: t + 1000 }], t)).map((v) => v.kind)).toEqual(["new"]);
    await stub.commit("b1");
    // Inside the window the same id is a duplicate, however it is claimed.
    expect((await stub.claim("b2", [{ key, expiresAt: t + 5000 }], t + 999)).map((v) => v.kind)).toEqual(["duplicate"]);
    // Past it, the id is forgotten and claimed afresh by the new batch, with the new window.
    expect((await stub.claim("b3", [{ key, expiresAt: t + 9000 }], t + 1000)).map((v) => v.kind)).toEqual(["new"]);
    await stub.commit("b3");
    expect((await stub.claim("b4", [{ key, expiresAt: t + 9999 }], t + 8000)).map((v) => v.kind)).toEqual([
      "duplicate",
    ]);
  });
});

describe("DedupeShard.claimGroups (what the consumer calls)", () => {
  it("answers only the keys that are not new, and claims the rest", async () => {
    const p = `prj_${uid()}`;
    const [done, held, stale, lapsed, fresh] = ["done", "held", "stale", "lapsed", "fresh"].map((id) =>
      dedupeKey(p, id),
    );
    const stub = shard();
    const now = Date.now();
    await stub.claim("committed", [{ key: done as string, expiresAt: now + 3600_000 }], now);
    await stub.commit("committed");
    await stub.claim("live", [{ key: held as string, expiresAt: now + 3600_000 }], now);
    await stub.claim("dead", [{ key: stale as string, expiresAt: now + 3600_000 }], now - 200_000);
    await stub.claim("old", [{ key: lapsed as string, expiresAt: now - 1 }], now - 10_000);
    const keys = [done, held, stale, lapsed, fresh] as string[];
    const found = await stub.claimGroups("mine", [{ expiresAt: now + 3600_000, keys }], now);
    expect(found.duplicates).toEqual([done]);
    expect(found.pending.sort((a, b) => (a.key < b.key ? -1 : 1))).toEqual(
      [
        { key: held, batch: "live", expired: false },
        { key: stale, batch: "dead", expired: true },
      ].sort((a, b) => ((a.key as string) < (b.key as string) ? -1 : 1)),
    );
    // The new keys (one never seen, one past its window) are now this batch's: the same batch may
    // claim them again (a retried RPC), another batch finds them pending.
    expect(
      await stub.claimGroups("mine", [{ expiresAt: now + 3600_000, keys: [lapsed, fresh] as string[] }], now),
    ).toEqual({
      duplicates: [],
      pending: [],
    });
    const other = await stub.claim("other", entries([lapsed, fresh] as string[]), now);
    expect(other).toEqual([
      { kind: "pending", batch: "mine", expired: false },
      { kind: "pending", batch: "mine", expired: false },
    ]);
  });
});
