// Helpers for tests that call the Worker the way a client would.
import { env, exports } from "cloudflare:workers";

export const SUPER_ADMIN = env.ADMIN_API_KEY;
export const BASE = "http://tarn.test";

/** Calls the Worker's fetch handler as a client would. */
export function call(path: string, init: RequestInit & { token?: string; json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("Authorization", `Bearer ${init.token}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("Content-Type", "application/json");
    body = JSON.stringify(init.json);
  }
  return exports.default.fetch(new Request(`${BASE}${path}`, { ...init, headers, body }));
}

let counter = 0;
/** Creates a project with a unique name; returns its id and admin key. */
export async function createProject(prefix = "p"): Promise<{ id: string; name: string; adminKey: string }> {
  const name = `${prefix}-${Date.now().toString(36)}-${counter++}`;
  const res = await call("/v1/projects", { method: "POST", token: SUPER_ADMIN, json: { name } });
  if (res.status !== 201) throw new Error(`project creation failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { id: string; admin_key: string };
  return { id: body.id, name, adminKey: body.admin_key };
}

/** Creates a key with the given scopes in the project of `adminKey`. */
export async function createKey(adminKey: string, scopes: string[], name = "k"): Promise<{ id: string; key: string }> {
  const res = await call("/v1/keys", { method: "POST", token: adminKey, json: { name, scopes } });
  if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; key: string };
}

export interface Envelope {
  error: { code: string; message: string; details: Record<string, unknown>; request_id: string; timestamp: string };
}

/** Reads an error response and checks the envelope's invariant parts. */
export async function expectEnvelope(res: Response): Promise<Envelope["error"]> {
  const body = (await res.json()) as Envelope;
  if (!body.error) throw new Error(`not an error envelope: ${JSON.stringify(body)}`);
  if (body.error.request_id !== res.headers.get("X-Request-Id"))
    throw new Error("request_id differs from X-Request-Id");
  return body.error;
}
