// /v1/dashboards: CRUD by role, every tile's data in one call (equal to the same SQL through /v1/query),
// share links (unique, revocable, credential-free, audited without their token) and PNG/PDF exports.
import { describe, expect, it } from "vitest";
import { createUser, login } from "./access-helpers";
import { call, createProject, expectEnvelope } from "./helpers";
import { deliver, message, queued } from "./lake-helpers";
import { closedMinute, eventually } from "./live-helpers";

const T = Date.UTC(2026, 10, 20, 9);

interface Dashboard {
  dashboard_id: string;
  name: string;
  visualizations: { id: string }[];
  shared: boolean;
  created_at: string;
  updated_at: string;
}
interface Tile {
  id: string;
  meta: { name: string; type: string }[];
  data: Record<string, unknown>[];
  error: { code: string; message: string } | null;
}

const BY_TYPE = `SELECT event_type, count(*) AS n FROM events GROUP BY event_type ORDER BY event_type`;
const BY_USER = `SELECT user_id, sum(CAST(json_extract(payload, '$.amount') AS DOUBLE)) AS amount FROM "order.created" GROUP BY 1 ORDER BY 1`;

async function team() {
  const p = await createProject("dash");
  await createUser(p.adminKey, "ana@dash.test", "analyst");
  await createUser(p.adminKey, "vic@dash.test", "viewer");
  const ev = (id: string, type: string, user: string, minutes: number, amount?: number) =>
    queued(p.id, id, {
      event_type: type,
      user_id: user,
      ts: T + minutes * 60_000,
      payload: JSON.stringify(amount === undefined ? {} : { amount }),
    });
  await deliver([message(p.id, [ev("a", "signup", "ann", 0), ev("b", "signup", "bob", 2)])]);
  await deliver([message(p.id, [ev("c", "order.created", "ann", 5, 10), ev("d", "order.created", "bob", 9, 2.5)])]);
  await deliver([message(p.id, [ev("e", "order.created", "ann", 12, 4)])]);
  return {
    ...p,
    analyst: await login(p.id, "ana@dash.test"),
    viewer: await login(p.id, "vic@dash.test"),
  };
}

const board = (name = "Sales") => ({
  name,
  visualizations: [
    {
      id: "types",
      title: "Events by type",
      chart_type: "bar",
      query: BY_TYPE,
      config: { x: "event_type", y: "n" },
      position: { x: 0, y: 0, w: 6, h: 4 },
    },
    {
      id: "users",
      title: "Revenue by user",
      chart_type: "pie",
      query: BY_USER,
      position: { x: 6, y: 0, w: 6, h: 4 },
    },
    {
      id: "live",
      title: "Events per minute",
      chart_type: "line",
      metric: { name: "events", window: "1m" },
      position: { x: 0, y: 4, w: 12, h: 3 },
    },
  ],
});

async function json<T>(res: Response, status = 200): Promise<T> {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

async function create(token: string, body: unknown = board()): Promise<Dashboard> {
  return json<Dashboard>(await call("/v1/dashboards", { method: "POST", token, json: body }), 201);
}

describe("dashboards CRUD", () => {
  it("analysts create and change dashboards; viewers read them and are refused changes", async () => {
    const p = await team();
    const made = await create(p.analyst);
    expect(made.dashboard_id).toMatch(/^dash_/);
    expect(made.shared).toBe(false);
    expect(made.visualizations.map((v) => v.id)).toEqual(["types", "users", "live"]);

    const listed = await json<{ dashboards: Dashboard[] }>(await call("/v1/dashboards", { token: p.viewer }));
    expect(listed.dashboards.map((d) => d.dashboard_id)).toEqual([made.dashboard_id]);
    const got = await json<Dashboard>(await call(`/v1/dashboards/${made.dashboard_id}`, { token: p.viewer }));
    expect(got.name).toBe("Sales");

    const refused = await call("/v1/dashboards", { method: "POST", token: p.viewer, json: board() });
    expect(refused.status).toBe(403);
    expect((await expectEnvelope(refused)).details.required_permission).toBe("write");

    const renamed = await json<Dashboard>(
      await call(`/v1/dashboards/${made.dashboard_id}`, { method: "PUT", token: p.analyst, json: board("Revenue") }),
    );
    expect(renamed.name).toBe("Revenue");
    expect(Date.parse(renamed.updated_at)).toBeGreaterThanOrEqual(Date.parse(made.updated_at));

    expect((await call(`/v1/dashboards/${made.dashboard_id}`, { method: "DELETE", token: p.viewer })).status).toBe(403);
    expect((await call(`/v1/dashboards/${made.dashboard_id}`, { method: "DELETE", token: p.analyst })).status).toBe(
      204,
    );
    expect((await call(`/v1/dashboards/${made.dashboard_id}`, { token: p.viewer })).status).toBe(404);
  });

  it("rejects tiles with two sources, no source, duplicate ids or a position off the grid, naming the field", async () => {
    const p = await createProject("dashbad");
    const tile = { id: "t", chart_type: "line", query: "SELECT 1", position: { x: 0, y: 0, w: 4, h: 2 } };
    const cases = [
      { ...tile, metric: { name: "events", window: "1m" } },
      { id: "t", chart_type: "line", position: tile.position },
      { ...tile, position: { x: 10, y: 0, w: 4, h: 2 } },
      { ...tile, chart_type: "donut" },
    ];
    for (const bad of cases) {
      const res = await call("/v1/dashboards", {
        method: "POST",
        token: p.adminKey,
        json: { name: "x", visualizations: [bad] },
      });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect((await expectEnvelope(res)).code).toBe("VALIDATION_ERROR");
    }
    const dup = await call("/v1/dashboards", {
      method: "POST",
      token: p.adminKey,
      json: { name: "x", visualizations: [tile, tile] },
    });
    expect(dup.status).toBe(400);
    expect(JSON.stringify(await expectEnvelope(dup))).toContain("unique");
    // A dashboard of another project is not found.
    const other = await createProject("dashother");
    const mine = await create(p.adminKey, { name: "mine", visualizations: [] });
    expect((await call(`/v1/dashboards/${mine.dashboard_id}`, { token: other.adminKey })).status).toBe(404);
  });
});

describe("GET /v1/dashboards/{id}/data", () => {
  it("answers every tile in one call, each equal to the same SQL through /v1/query; a broken tile does not break the others", async () => {
    const p = await team();
    const live = closedMinute(2);
    await deliver([
      message(p.id, [
        queued(p.id, "l1", { event_type: "page.view", ts: live, received_at: live }),
        queued(p.id, "l2", { event_type: "page.view", ts: live, received_at: live }),
      ]),
    ]);
    const body = board();
    body.visualizations.push({
      id: "broken",
      title: "Broken",
      chart_type: "table",
      query: "SELECT nope FROM events",
      position: { x: 0, y: 7, w: 4, h: 2 },
    });
    const made = await create(p.analyst, body);
    const res = await json<{ visualizations: Tile[] }>(
      await call(`/v1/dashboards/${made.dashboard_id}/data`, { token: p.viewer }),
    );
    expect(res.visualizations.map((t) => t.id)).toEqual(["types", "users", "live", "broken"]);
    for (const [id, sql] of [
      ["types", BY_TYPE],
      ["users", BY_USER],
    ] as const) {
      const direct = await json<{ meta: unknown; data: unknown }>(
        await call("/v1/query", { method: "POST", token: p.adminKey, json: { sql } }),
      );
      const tile = res.visualizations.find((t) => t.id === id);
      expect(tile?.error).toBeNull();
      expect(tile?.data).toEqual(direct.data);
      expect(tile?.meta).toEqual(direct.meta);
    }
    expect(res.visualizations[0]?.data).toEqual([
      { event_type: "order.created", n: 3 },
      { event_type: "page.view", n: 2 },
      { event_type: "signup", n: 2 },
    ]);
    const liveTile = res.visualizations[2];
    expect(liveTile?.error).toBeNull();
    const windowStart = new Date(Math.floor(live / 60_000) * 60_000).toISOString();
    expect(liveTile?.data.find((r) => r.start === windowStart)?.count).toBe(2);
    const broken = res.visualizations[3];
    expect(broken?.data).toEqual([]);
    expect(broken?.error?.code).toMatch(/INVALID_SQL|VALIDATION_ERROR/);
    expect(broken?.error?.message).toContain("nope");
  });
});

describe("share links", () => {
  it("are unique per call, open the dashboard without a credential, stop at revocation, and are audited without their token", async () => {
    const p = await team();
    const made = await create(p.analyst);
    const path = `/v1/dashboards/${made.dashboard_id}/share`;
    expect((await call(path, { method: "POST", token: p.viewer })).status).toBe(403);
    const first = await json<{ id: string; share_token: string; url: string }>(
      await call(path, { method: "POST", token: p.analyst }),
      201,
    );
    const second = await json<{ id: string; share_token: string; url: string }>(
      await call(path, { method: "POST", token: p.analyst }),
      201,
    );
    expect(first.share_token).not.toBe(second.share_token);
    expect(first.share_token).toMatch(/^dsh_[A-Za-z0-9_-]{43}$/);
    expect(first.url).toMatch(new RegExp(`/s/${first.share_token}$`));
    expect((await json<Dashboard>(await call(`/v1/dashboards/${made.dashboard_id}`, { token: p.viewer }))).shared).toBe(
      true,
    );

    const open = await json<{ dashboard: Dashboard; visualizations: Tile[] }>(
      await call(`/v1/shared/${first.share_token}`),
    );
    expect(open.dashboard.name).toBe("Sales");
    expect(open.visualizations.find((t) => t.id === "types")?.data).toHaveLength(2);

    // Read-only: the token is not a credential for anything else.
    const asBearer = await call(`/v1/dashboards/${made.dashboard_id}`, { token: first.share_token });
    expect(asBearer.status).toBe(401);

    expect((await call(`${path}/${first.share_token}`, { method: "DELETE", token: p.analyst })).status).toBe(204);
    expect((await call(`/v1/shared/${first.share_token}`)).status).toBe(404);
    expect((await call(`${path}/${first.share_token}`, { method: "DELETE", token: p.analyst })).status).toBe(404);
    // The other link still works until it is revoked by its id.
    expect((await call(`/v1/shared/${second.share_token}`)).status).toBe(200);
    expect((await call(`${path}/${second.id}`, { method: "DELETE", token: p.analyst })).status).toBe(204);
    expect((await call(`/v1/shared/${second.share_token}`)).status).toBe(404);
    expect((await call(`/v1/shared/dsh_${"A".repeat(43)}`)).status).toBe(404);
    expect((await call("/v1/shared/nonsense")).status).toBe(404);

    const entries = await eventually(async () => {
      const res = await call("/v1/audit?limit=1000", { token: p.adminKey });
      const { entries } = (await res.json()) as {
        entries: { action: string; target: string; outcome: string; actor: { type: string } }[];
      };
      return entries.some((e) => e.action === "dashboards.unshare") &&
        entries.some((e) => e.action === "dashboards.shared_read")
        ? entries
        : undefined;
    });
    const actions = entries?.filter((e) => e.outcome === "ok").map((e) => e.action) ?? [];
    // The viewer's attempt was refused and recorded as such.
    expect(entries?.some((e) => e.action === "dashboards.share" && e.outcome === "denied")).toBe(true);
    expect(actions.filter((a) => a === "dashboards.share")).toHaveLength(2);
    expect(actions.filter((a) => a === "dashboards.unshare")).toHaveLength(2);
    expect(entries?.find((e) => e.action === "dashboards.shared_read")?.actor).toEqual({
      type: "anonymous",
      id: first.id,
    });
    const text = JSON.stringify(entries);
    expect(text).not.toContain(first.share_token);
    expect(text).not.toContain(second.share_token);
  });

  it("die with their dashboard", async () => {
    const p = await team();
    const made = await create(p.analyst);
    const link = await json<{ share_token: string }>(
      await call(`/v1/dashboards/${made.dashboard_id}/share`, { method: "POST", token: p.analyst }),
      201,
    );
    expect((await call(`/v1/dashboards/${made.dashboard_id}`, { method: "DELETE", token: p.analyst })).status).toBe(
      204,
    );
    expect((await call(`/v1/shared/${link.share_token}`)).status).toBe(404);
  });
});

function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

describe("exports", () => {
  it("makes a PNG of the requested width and a PDF, downloadable without a credential", async () => {
    const p = await team();
    const made = await create(p.analyst);
    const png = await json<{ download_url: string; expires_at: string; width: number; height: number; bytes: number }>(
      await call(`/v1/dashboards/${made.dashboard_id}/export`, {
        method: "POST",
        token: p.viewer,
        json: { format: "png", width: 1000 },
      }),
    );
    expect(Date.parse(png.expires_at)).toBeGreaterThan(Date.now() + 50 * 60_000);
    const file = await call(new URL(png.download_url).pathname);
    expect(file.status).toBe(200);
    expect(file.headers.get("Content-Type")).toBe("image/png");
    const bytes = new Uint8Array(await file.arrayBuffer());
    expect([...bytes.slice(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(pngSize(bytes)).toEqual({ width: 1000, height: png.height });
    expect(bytes.byteLength).toBe(png.bytes);
    // A rendered page, not a blank one: charts and text make it far larger than an empty image.
    expect(bytes.byteLength).toBeGreaterThan(15_000);

    const pdf = await json<{ download_url: string }>(
      await call(`/v1/dashboards/${made.dashboard_id}/export`, {
        method: "POST",
        token: p.viewer,
        json: { format: "pdf" },
      }),
    );
    const doc = await call(new URL(pdf.download_url).pathname);
    expect(doc.headers.get("Content-Type")).toBe("application/pdf");
    const text = new TextDecoder("latin1").decode(new Uint8Array(await doc.arrayBuffer()));
    expect(text.startsWith("%PDF-")).toBe(true);
    expect(text.trimEnd().endsWith("%%EOF")).toBe(true);
    expect(text).toMatch(/\/Type \/Page\b/);
    expect(text).toMatch(/\/Subtype \/Image/);

    expect((await call("/v1/exports/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.png")).status).toBe(404);
    const bad = await call(`/v1/dashboards/${made.dashboard_id}/export`, {
      method: "POST",
      token: p.viewer,
      json: { format: "gif" },
    });
    expect(bad.status).toBe(400);
  });
});
