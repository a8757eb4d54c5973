// The role × route matrix, generated from the permission table and the OpenAPI document: every route, every
// role, every key scope. A route that declares no permission fails the first test.
import { beforeAll, describe, expect, it } from "vitest";
import { holds, isPermission, PERMISSION_TABLE, type RouteAccess } from "../../shared/access/permissions";
import { createApp, OPENAPI_INFO } from "../../workers/app";
import { concreteRoutes, declaredAccess, honoPath } from "../../workers/route-access";
import { createUser, eventually, login } from "./access-helpers";
import { call, createKey, createProject, expectEnvelope, SUPER_ADMIN } from "./helpers";

const app = createApp();
const doc = app.getOpenAPIDocument(OPENAPI_INFO) as unknown as {
  paths: Record<string, Record<string, { "x-tarn-permission"?: RouteAccess; description?: string }>>;
};
const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, access: op["x-tarn-permission"] })),
);

describe("every route declares its permission", () => {
  it("in code: each route of the app passes through requirePermission", () => {
    const declared = declaredAccess(app);
    const missing = concreteRoutes(app).filter((r) => !declared.has(r));
    expect(missing, "routes without requirePermission(...) (add one; see shared/access/permissions.ts)").toEqual([]);
  });

  it("in the OpenAPI document: each operation shows x-tarn-permission and says it in its description", () => {
    expect(operations.length).toBeGreaterThan(30);
    for (const op of operations) {
      expect(op.access, `${op.method} ${op.path}`).toBeDefined();
      const described = doc.paths[op.path]?.[op.method.toLowerCase()]?.description ?? "";
      expect(described, `${op.method} ${op.path}`).toMatch(/Permission `\w+`|Access: /);
    }
  });

  it("documents every concrete route", () => {
    const documented = new Set(operations.map((o) => `${o.method} ${honoPath(o.path)}`));
    const undocumented = concreteRoutes(app).filter((r) => !documented.has(r) && !/ \/(openapi\.json|docs)$/.test(r));
    expect(undocumented).toEqual([]);
  });
});

type Caller = {
  name: string;
  token: string;
  holder: { role: "viewer" | "analyst" | "admin" } | { scopes: ("ingest" | "query" | "admin")[] };
};

describe("the role × route matrix", () => {
  let project: Awaited<ReturnType<typeof createProject>>;
  const callers: Caller[] = [];

  beforeAll(async () => {
    project = await createProject("matrix");
    for (const role of ["viewer", "analyst", "admin"] as const) {
      await createUser(project.adminKey, `${role}@matrix.test`, role);
      callers.push({ name: `user ${role}`, token: await login(project.id, `${role}@matrix.test`), holder: { role } });
    }
    for (const scope of ["ingest", "query", "admin"] as const) {
      const { key } = await createKey(project.adminKey, [scope], `matrix-${scope}`);
      callers.push({ name: `key ${scope}`, token: key, holder: { scopes: [scope] } });
    }
  });

  const request = (method: string, path: string, token?: string) =>
    call(path.replace(/\{[^}]+\}/g, "no-such-id"), {
      method,
      token,
      ...(["POST", "PUT", "PATCH"].includes(method) ? { json: {} } : {}),
    });

  let denials = 0;
  for (const op of operations) {
    it(`${op.method} ${op.path} (${op.access})`, async () => {
      const access = op.access as RouteAccess;
      if (access === "public") {
        const res = await request(op.method, op.path);
        expect([401, 403]).not.toContain(res.status);
        return;
      }
      expect((await request(op.method, op.path)).status, "no credential").toBe(401);
      for (const caller of callers) {
        const res = await request(op.method, op.path, caller.token);
        const allowed = isPermission(access) ? holds(caller.holder, access) : access === "authenticated";
        if (allowed) {
          expect([401, 403], `${caller.name} should pass`).not.toContain(res.status);
          expect(res.status, `${caller.name}: never a 5xx`).toBeLessThan(500);
        } else {
          expect(res.status, `${caller.name} should be refused`).toBe(403);
          const err = await expectEnvelope(res);
          expect(err.code).toBe("FORBIDDEN");
          if (isPermission(access)) {
            expect(err.details.required_permission).toBe(access);
            denials++;
          }
        }
      }
      if (access === "super-admin")
        expect([401, 403]).not.toContain((await request(op.method, op.path, SUPER_ADMIN)).status);
      else if (access !== "authenticated")
        expect((await request(op.method, op.path, SUPER_ADMIN)).status, "the super-admin only creates projects").toBe(
          403,
        );
    });
  }

  it("audits every denial of a project principal", async () => {
    expect(denials).toBeGreaterThan(20);
    const deniedEntries = async () => {
      const res = await call("/v1/audit?limit=1000", { token: project.adminKey });
      const { entries } = (await res.json()) as { entries: { outcome: string; status: number; reason: string }[] };
      return entries.filter((e) => e.outcome === "denied" && e.status === 403);
    };
    expect(await eventually(async () => (await deniedEntries()).length === denials, 5000)).toBe(true);
    expect((await deniedEntries())[0]?.reason).toMatch(/^lacks permission \w+$/);
    const verdict = (await (await call("/v1/audit/verify", { token: project.adminKey })).json()) as { valid: boolean };
    expect(verdict.valid).toBe(true);
  });

  it("covers every permission of the table", () => {
    const used = new Set(operations.map((o) => o.access));
    for (const p of Object.keys(PERMISSION_TABLE).filter((p) => p !== "unmask")) expect(used, p).toContain(p);
  });
});
