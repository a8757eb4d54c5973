// Calls to Tarn's API with the signed-in credential; failures become ApiError with the API's message,
// code and request id, which the pages show as they are.
const SESSION_KEY = "tarn.session";

export interface Session {
  token: string;
  project: { id: string; name: string };
  principal: { type: "user" | "key"; id: string; role?: string; scopes?: string[]; email?: string };
  permissions: string[];
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
    readonly requestId: string | null,
  ) {
    super(message);
  }
}

let session: Session | null = null;
try {
  session = JSON.parse(localStorage.getItem(SESSION_KEY) ?? "null") as Session | null;
} catch {
  session = null;
}

export function currentSession(): Session | null {
  return session;
}

export function can(permission: string): boolean {
  return session?.permissions.includes(permission) ?? false;
}

export function signOut(): void {
  session = null;
  localStorage.removeItem(SESSION_KEY);
}

export async function request<T>(
  path: string,
  init: { method?: string; json?: unknown; token?: string | null } = {},
): Promise<T> {
  const headers: Record<string, string> = {};
  const token = init.token === undefined ? session?.token : init.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (init.json !== undefined) headers["Content-Type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? (init.json === undefined ? "GET" : "POST"),
      headers,
      body: init.json === undefined ? undefined : JSON.stringify(init.json),
    });
  } catch (err) {
    throw new ApiError(`network error: ${String(err)}`, "NETWORK", 0, null);
  }
  const requestId = res.headers.get("X-Request-Id");
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) {
    const e = (body as { error?: { code?: string; message?: string; request_id?: string } } | null)?.error;
    if (res.status === 401 && token && session?.token === token) signOut();
    throw new ApiError(e?.message ?? `HTTP ${res.status}`, e?.code ?? "HTTP", res.status, e?.request_id ?? requestId);
  }
  return body as T;
}

/** Signs in with email and password (a JWT) or an API key, and keeps the session in localStorage. */
export async function signIn(
  how: { project: string; email: string; password: string } | { apiKey: string },
): Promise<Session> {
  let token: string;
  if ("apiKey" in how) token = how.apiKey.trim();
  else token = (await request<{ token: string }>("/v1/auth/login", { json: how, token: null })).token;
  const me = await request<{
    principal: Session["principal"];
    project: Session["project"];
    permissions: string[];
  }>("/v1/auth/me", { token });
  session = {
    token,
    project: me.project,
    principal: { ...me.principal, email: "email" in how ? how.email : undefined },
    permissions: me.permissions,
  };
  localStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return session;
}
