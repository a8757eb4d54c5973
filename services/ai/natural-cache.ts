// Answers of /v1/query/natural in the Cache API for 5 minutes per (question, dataset, snapshot):
// a new snapshot makes older entries unreachable, so a cached answer never hides new data.

const TTL_SECONDS = 300;

export interface NaturalKey {
  projectId: string;
  question: string;
  dataset: string;
  snapshot: number;
  audience: string;
}

async function request(key: NaturalKey): Promise<Request> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(JSON.stringify([key.question.toLowerCase(), key.dataset, key.audience])),
  );
  const hash = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return new Request(`https://natural-cache.tarn.internal/${key.projectId}/${key.snapshot}/${hash}`);
}

export async function cachedNatural<T extends object>(key: NaturalKey): Promise<T | null> {
  const hit = await caches.default.match(await request(key));
  return hit ? ((await hit.json()) as T) : null;
}

export async function storeNatural(key: NaturalKey, answer: object): Promise<void> {
  await caches.default.put(
    await request(key),
    new Response(JSON.stringify(answer), {
      headers: { "Content-Type": "application/json", "Cache-Control": `max-age=${TTL_SECONDS}` },
    }),
  );
}
