// Helpers for the access tests: users, sign-in, and calls to the Worker with other vars (e.g. rotated keys).
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../workers/index";
import { BASE, call } from "./helpers";

export const PASSWORD = "correct horse battery";

export async function createUser(
  adminKey: string,
  email: string,
  role: "viewer" | "analyst" | "admin",
  tier: "free" | "premium" = "free",
): Promise<{ id: string; email: string }> {
  const res = await call("/v1/users", {
    method: "POST",
    token: adminKey,
    json: { email, password: PASSWORD, role, tier },
  });
  if (res.status !== 201) throw new Error(`user creation failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; email: string };
}

export async function login(project: string, email: string, password = PASSWORD): Promise<string> {
  const res = await call("/v1/auth/login", { method: "POST", json: { project, email, password } });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** Calls the Worker's fetch handler with some vars replaced (real bindings otherwise), and waits for waitUntil work. */
export async function callWith(
  vars: Partial<Record<string, unknown>>,
  path: string,
  init: RequestInit & { token?: string; json?: unknown } = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("Authorization", `Bearer ${init.token}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("Content-Type", "application/json");
    body = JSON.stringify(init.json);
  }
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`${BASE}${path}`, { ...init, headers, body }) as Request<unknown, IncomingRequestCfProperties>,
    { ...env, ...vars } as Env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

/** Polls until `check` holds or `ms` passed; returns whether it held. */
export async function eventually(check: () => Promise<boolean>, ms = 3000, every = 50): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, every));
  }
}

/** The decoded JSON of a JWT's part (0 header, 1 payload). */
export function jwtPart(token: string, part: 0 | 1): Record<string, unknown> {
  const b64 = (token.split(".")[part] ?? "").replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4))) as Record<string, unknown>;
}
