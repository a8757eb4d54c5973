// Reads of several owners in one D1 batch give each owner's value exactly as reading it alone does:
// the query coordinator's snapshot, privacy policy and views come from one round trip.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { readAlone, readTogether } from "../../services/d1/batched-read";
import { latestSnapshot, latestSnapshotRead } from "../../services/manifest/read";
import { privacyPolicy, privacyPolicyRead } from "../../services/privacy/masking";
import { listViews, listViewsRead } from "../../services/views/store";
import { call, createProject } from "./helpers";
import { deliver, message, queued } from "./lake-helpers";

const T = Date.UTC(2026, 10, 30, 0);

describe("batched reads", () => {
  it("reads the snapshot, privacy policy and views together as each alone", async () => {
    const p = await createProject("batched");
    const db = env.DB;
    const reads = () =>
      readTogether(db, [latestSnapshotRead(db, p.id), privacyPolicyRead(db, p.id), listViewsRead(db, p.id)]);

    const [empty, policyBefore, noViews] = await reads();
    expect(empty).toBe(0);
    expect(noViews).toEqual([]);
    expect(policyBefore(false).datasets.size).toBe(0);

    await deliver([message(p.id, [queued(p.id, "e1", { event_type: "click", ts: T, user_id: "u1" })])]);
    const classified = await call("/v1/datasets/click", {
      method: "PUT",
      token: p.adminKey,
      json: { columns: { user_id: { pii: true, mask: "hash" } } },
    });
    expect(classified.status).toBe(200);
    const view = await call("/v1/views/clicks", {
      method: "PUT",
      token: p.adminKey,
      json: { sql: "SELECT user_id, count(*) AS n FROM click GROUP BY 1" },
    });
    expect(view.status).toBe(201);

    const [latest, policyFor, views] = await reads();
    expect(latest).toBeGreaterThan(0);
    expect(latest).toBe(await latestSnapshot(db, p.id));
    expect(views.map((v) => v.name)).toEqual(["clicks"]);
    expect(views).toEqual(await listViews(db, p.id));
    for (const unmask of [false, true]) {
      const alone = await privacyPolicy(db, p.id, unmask);
      expect(policyFor(unmask)).toEqual(alone);
    }
    // The masked principal's policy changed with the classification: a new view of the data.
    expect(policyFor(false).fingerprint).not.toBe(policyBefore(false).fingerprint);
    expect([...policyFor(false).datasets.keys()]).toContain("click");

    // One read alone (a single statement runs without a batch) and no reads at all.
    expect(await readAlone(db, latestSnapshotRead(db, p.id))).toBe(latest);
    expect(await readTogether(db, [])).toEqual([]);
  });
});
