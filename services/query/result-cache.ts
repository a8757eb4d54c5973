// Query answers in the Cache API for 5 minutes, keyed by project, manifest version and the query,
// so any change of the manifest (a new snapshot) makes every older entry unreachable. Answers are
// stored as data (not encoded bodies), so one entry serves every format.

const TTL_SECONDS = 300;

export interface AnswerKey {
  projectId: string;
  /** The snapshot the answer was computed at (the newest one when the query was not pinned). */
  version: number;
  pinned: boolean;
  sql: string;
  /** Who the answer is for when it depends on them (row-level policies and identity); absent: anyone. */
  scope?: string;
  /** What the asking principal sees (privacy masks): answers are never shared between different views. */
  view?: string;
}

export interface CachedAnswer {
  meta: { name: string; type: string }[];
  rows: unknown[][];
  statistics: Record<string, number | boolean | string>;
}

async function cacheRequest(key: AnswerKey): Promise<Request> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(JSON.stringify([key.sql, key.pinned, key.view ?? "", key.scope ?? null])),
  );
  const hash = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return new Request(`https://query-cache.tarn.internal/${key.projectId}/${key.version}/${hash}`);
}

/** JSON that keeps what query rows hold besides JSON's own values: bigint and Date. */
function encode(answer: CachedAnswer): string {
  return JSON.stringify(answer, function (this: Record<string, unknown>, k: string, v: unknown) {
    const raw = this[k];
    if (typeof raw === "bigint") return { $bigint: raw.toString() };
    if (raw instanceof Date) return { $date: raw.getTime() };
    return v;
  });
}

function decode(text: string): CachedAnswer {
  return JSON.parse(text, (_k, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (typeof o.$bigint === "string" && Object.keys(o).length === 1) return BigInt(o.$bigint);
      if (typeof o.$date === "number" && Object.keys(o).length === 1) return new Date(o.$date);
    }
    return v;
  }) as CachedAnswer;
}

export async function cachedAnswer(key: AnswerKey): Promise<CachedAnswer | null> {
  const hit = await caches.default.match(await cacheRequest(key));
  return hit ? decode(await hit.text()) : null;
}

export async function storeAnswer(key: AnswerKey, answer: CachedAnswer): Promise<void> {
  const response = new Response(encode(answer), {
    headers: { "Content-Type": "application/json", "Cache-Control": `public, max-age=${TTL_SECONDS}` },
  });
  await caches.default.put(await cacheRequest(key), response);
}
