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
    /** The envelope's `details` (reasons of a refused contract, the SQL of a refused question…). */
    readonly details: Record<string, unknown> = {},
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
    const e = (
      body as {
        error?: { code?: string; message?: string; request_id?: string; details?: Record<string, unknown> };
      } | null
    )?.error;
    if (res.status === 401 && token && session?.token === token) signOut();
    throw new ApiError(
      e?.message ?? `HTTP ${res.status}`,
      e?.code ?? "HTTP",
      res.status,
      e?.request_id ?? requestId,
      e?.details ?? {},
    );
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

/**
 * Sends a file as the request body with XMLHttpRequest, whose upload events (which fetch lacks) report
 * how much of it has left the browser. Failures become ApiError like `request`'s.
 */
export function sendFile<T>(
  path: string,
  file: Blob,
  onSent: (fraction: number) => void,
  method: "POST" | "PUT" = "POST",
): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, path);
    if (session?.token) xhr.setRequestHeader("Authorization", `Bearer ${session.token}`);
    if (file.type) xhr.setRequestHeader("Content-Type", file.type);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onSent(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ApiError("network error while sending the file", "NETWORK", 0, null));
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body as T);
      const e = (
        body as {
          error?: { code?: string; message?: string; request_id?: string; details?: Record<string, unknown> };
        } | null
      )?.error;
      reject(
        new ApiError(
          e?.message ?? `HTTP ${xhr.status}`,
          e?.code ?? "HTTP",
          xhr.status,
          e?.request_id ?? xhr.getResponseHeader("X-Request-Id"),
          e?.details ?? {},
        ),
      );
    };
    xhr.send(file);
  });
}
