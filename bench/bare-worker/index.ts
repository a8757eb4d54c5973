// The runtime's ceiling for ingest (bench/http-ingest.bench.ts): a Worker that only reads a request's
// body and JSON.parses it, answering 202 with the item count. Nothing Tarn does (auth, verdicts,
// queueing) is here, so `POST /` against Tarn's `GET /health` is what the runtime itself allows.
export default {
  async fetch(request: Request): Promise<Response> {
    if (request.method !== "POST") return new Response("ok");
    const parsed: unknown = JSON.parse(await request.text());
    const accepted = Array.isArray(parsed) ? parsed.length : 1;
    return Response.json({ accepted }, { status: 202 });
  },
};
