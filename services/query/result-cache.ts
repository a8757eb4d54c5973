// Query answers in the Cache API for 5 minutes, keyed by project, manifest version and the query,
// so any change of the manifest (a new snapshot) makes every older entry unreachable.

const TTL_SECONDS = 300;

export interface AnswerKey {
  projectId: string;
  /** The snapshot the answer was computed at (the newest one when the query was not pinned). */
  version: number;
  pinned: boolean;
  sql: string;
  format: string;
}

async function cacheRequest(key: AnswerKey): Promise<Request> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(JSON.stringify([key.sql, key.format, key.pinned])),
  );
  const hash = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return new Request(`https://query-cache.tarn.internal/${key.projectId}/${key.version}/${hash}`);
}

/** The cached answer, marked as such, or null. JSON answers say `"cached": true` in their statistics. */
export async function cachedAnswer(key: AnswerKey): Promise<Response | null> {
  const hit = await caches.default.match(await cacheRequest(key));
  if (!hit) return null;
  const headers = new Headers(hit.headers);
  headers.delete("Cache-Control");
  headers.set("X-Tarn-Cache", "hit");
  if (key.format !== "json") return new Response(hit.body, { headers });
  const text = await hit.text();
  const marked = text.endsWith('"cached":false}}')
    ? `${text.slice(0, -'"cached":false}}'.length)}"cached":true}}`
    : text;
  return new Response(marked, { headers });
}

export async function storeAnswer(key: AnswerKey, response: Response): Promise<void> {
  const headers = new Headers(response.headers);
  headers.set("Cache-Control", `public, max-age=${TTL_SECONDS}`);
  await caches.default.put(await cacheRequest(key), new Response(response.body, { headers }));
}
