// End-to-end landing rate: send N events as fast as possible to a real `wrangler dev`, then time
// until every one is in the lake (GET /v1/datasets). Target: ≥ 30,000 events/s landed, 0 lost.
//
//   npx tsx bench/landing.bench.ts [events=200000] [batch=500] [concurrency=8] [stallSeconds=60] [spreadMinutes=180]
//
// Events carry distinct UUID eventIds (what real producers send), spread over 5 event types and
// the last 3 hours (spreadMinutes=0: no timestamp, so every event falls in the current hour). After landing (or a stall: no progress for stallSeconds), every lake file's
// file is read back in full (every column) to count lost and duplicated events and unreadable pages, and the server log is
// summarised: queue batches delivered to the consumer, failed lake writes and their errors.
import http from "node:http";
import { parquetReadObjects } from "hyparquet";
import { lakeCompressors } from "../shared/parquet/codecs";
import { startDevServer } from "../test/e2e/server";
import { mulberry32 } from "../test/seeded-random";

const total = Number(process.argv[2] ?? 200_000);
const batch = Number(process.argv[3] ?? 500);
const concurrency = Number(process.argv[4] ?? 8);
const stallSeconds = Number(process.argv[5] ?? 60);
/** Event times spread over this many minutes before now; 0 sends no timestamp (receive time, as live traffic). */
const spreadMinutes = Number(process.argv[6] ?? 180);

const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency + 2 });

interface Reply {
  status: number;
  body: Buffer;
}

function request(url: string, method: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (d: Buffer) => chunks.push(d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on("error", (err) => resolve({ status: 0, body: Buffer.from(String(err)) }));
    });
    req.on("error", (err) => resolve({ status: 0, body: Buffer.from(String(err)) }));
    req.end(body);
  });
}

/** A deterministic UUID v4-shaped id. */
function uuid(rnd: () => number): string {
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join("");
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${"89ab"[Math.floor(rnd() * 4)]}${hex(3)}-${hex(12)}`;
}

function makeBodies(): { bodies: string[]; ids: string[] } {
  const rnd = mulberry32(2026);
  const types = ["page.view", "click", "order.created", "signup", "api_call"];
  const now = Date.now();
  const ids: string[] = [];
  const bodies: string[] = [];
  for (let at = 0; at < total; at += batch) {
    const events = [];
    for (let i = at; i < Math.min(total, at + batch); i++) {
      const eventId = uuid(rnd);
      ids.push(eventId);
      events.push({
        eventType: types[Math.floor(rnd() * types.length)],
        eventId,
        ...(spreadMinutes > 0
          ? { timestamp: new Date(now - Math.floor(rnd() * spreadMinutes * 60_000)).toISOString() }
          : {}),
        eventSource: "web",
        userId: `user-${Math.floor(rnd() * 10_000)}`,
        sessionId: `s-${Math.floor(rnd() * 50_000).toString(36)}`,
        environment: "production",
        data: { payload: { path: `/p/${Math.floor(rnd() * 500)}`, ms: Math.floor(rnd() * 2000), ok: rnd() < 0.9 } },
      });
    }
    bodies.push(JSON.stringify(events));
  }
  return { bodies, ids };
}

/** What the server log says about the consumer: batches delivered, failures and their reasons. */
function summariseLog(raw: string): string[] {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the terminal colours around log fields
  const log = raw.replace(/\u001b\[[0-9;]*m/g, "");
  const lines: string[] = [];
  // Miniflare logs each queue delivery as `QUEUE tarn-events <acked>/<total> (<ms>ms)`.
  const deliveries = [...log.matchAll(/QUEUE tarn-events (\d+)\/(\d+) \((\d+)ms\)/g)].map((m) => ({
    acked: Number(m[1]),
    size: Number(m[2]),
    ms: Number(m[3]),
  }));
  if (deliveries.length > 0) {
    const sizes = deliveries.map((d) => d.size);
    const ms = deliveries.map((d) => d.ms);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    lines.push(
      `consumer batches: ${deliveries.length}, messages/batch avg ${(sum(sizes) / sizes.length).toFixed(1)} max ${Math.max(...sizes)}, ` +
        `ms/batch avg ${(sum(ms) / ms.length).toFixed(0)} max ${Math.max(...ms)}, consumer busy ${(sum(ms) / 1000).toFixed(1)} s, ` +
        `batches with retried messages ${deliveries.filter((d) => d.acked < d.size).length}`,
    );
  }
  const failures = [...log.matchAll(/"msg":"lake write failed; batch retried"[^\n]*?"error":"([^"]*)"/g)].map(
    (m) => m[1],
  );
  const reasons = new Map<string, number>();
  for (const f of failures) reasons.set(f as string, (reasons.get(f as string) ?? 0) + 1);
  lines.push(`failed lake writes: ${failures.length}${[...reasons].map(([r, n]) => ` (${n}× ${r})`).join("")}`);
  const bad = (log.match(/"msg":"bad events message"/g) ?? []).length;
  if (bad > 0) lines.push(`undecodable messages: ${bad}`);
  return lines;
}

async function main(): Promise<void> {
  console.log(
    `# landing bench: ${total} events, ${batch} per request, ${concurrency} concurrent requests, times over ${spreadMinutes} min`,
  );
  const { bodies, ids } = makeBodies();
  const server = await startDevServer();
  try {
    const url = server.url;
    const post = async (path: string, token: string, body: unknown) => {
      const r = await request(
        `${url}${path}`,
        "POST",
        { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
        JSON.stringify(body),
      );
      if (r.status !== 201) throw new Error(`${path}: ${r.status} ${r.body}`);
      return JSON.parse(r.body.toString()) as Record<string, string>;
    };
    const { admin_key: adminKey } = await post("/v1/projects", server.adminKey, { name: "bench-landing" });
    const { key: ingestKey } = await post("/v1/keys", adminKey as string, { name: "ingest", scopes: ["ingest"] });
    const { key: queryKey } = await post("/v1/keys", adminKey as string, { name: "query", scopes: ["query"] });
    const get = (path: string, token = queryKey as string) =>
      request(`${url}${path}`, "GET", { Authorization: `Bearer ${token}` });
    const landed = async () => {
      const r = await get("/v1/datasets");
      if (r.status !== 200) return -1;
      const { datasets } = JSON.parse(r.body.toString()) as { datasets: { name: string; rows: number }[] };
      return datasets.filter((d) => d.name !== "events").reduce((n, d) => n + Number(d.rows), 0);
    };

    // Send everything, `concurrency` requests at a time; a refused request is retried as a producer would.
    const headers = { "Content-Type": "application/json", Authorization: `Bearer ${ingestKey}` };
    let accepted = 0;
    let retries = 0;
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++] as string;
          for (let attempt = 0; ; attempt++) {
            const r = await request(`${url}/v1/events`, "POST", headers, body);
            if (r.status === 202) {
              accepted += (JSON.parse(r.body.toString()) as { accepted: number }).accepted;
              break;
            }
            if (attempt >= 5) throw new Error(`ingest failed: ${r.status} ${r.body.toString().slice(0, 300)}`);
            retries++;
            await new Promise((res) => setTimeout(res, 200 * (attempt + 1)));
          }
        }
      }),
    );
    const sent = performance.now();
    console.log(
      `# sent ${accepted} accepted events in ${((sent - start) / 1000).toFixed(1)} s (${retries} request retries)`,
    );

    // Wait for the lake; give up after `stallSeconds` without progress.
    let rows = 0;
    let lastProgress = performance.now();
    let lastPrint = 0;
    while (rows < accepted) {
      await new Promise((res) => setTimeout(res, 250));
      const now = await landed();
      if (now > rows) lastProgress = performance.now();
      rows = Math.max(rows, now);
      if (performance.now() - lastPrint > 5000) {
        lastPrint = performance.now();
        console.log(`#   ${((performance.now() - start) / 1000).toFixed(1)} s: ${rows} rows in the lake`);
      }
      if (performance.now() - lastProgress > stallSeconds * 1000) {
        console.log(`# no progress for ${stallSeconds} s; stopping the wait`);
        break;
      }
    }
    const done = performance.now();
    const landedSeconds = (done - start) / 1000;

    // Count lost and duplicated events from the files themselves.
    const list = await get("/v1/lake/files");
    const { files } = JSON.parse(list.body.toString()) as { files: { key: string }[] };
    const seen = new Map<string, number>();
    const unreadable: string[] = [];
    for (const f of files) {
      const r = await get(`/v1/lake/files/${f.key}`);
      const buf = r.body.buffer.slice(r.body.byteOffset, r.body.byteOffset + r.body.byteLength) as ArrayBuffer;
      // Every column is decoded (not only event_id), so a page that cannot be read back shows here.
      let read: { event_id: string }[] = [];
      try {
        read = (await parquetReadObjects({ file: buf, compressors: lakeCompressors })) as { event_id: string }[];
      } catch (err) {
        unreadable.push(`${f.key}: ${String(err).slice(0, 200)}`);
      }
      for (const { event_id } of read) seen.set(event_id, (seen.get(event_id) ?? 0) + 1);
    }
    let duplicates = 0;
    for (const n of seen.values()) duplicates += n - 1;
    const lost = ids.filter((id) => !seen.has(id)).length;
    const dead = await get("/v1/dead-letters?limit=1000", adminKey as string);
    const deadLetters =
      dead.status === 200 ? (JSON.parse(dead.body.toString()) as { dead_letters: unknown[] }).dead_letters.length : -1;

    for (const line of summariseLog(server.logs())) console.log(`# ${line}`);
    console.log(
      `# files: ${files.length}, rows counted in files: ${[...seen.values()].reduce((a, b) => a + b, 0)}, dead letters: ${deadLetters}`,
    );
    console.log(`events sent: ${accepted}`);
    console.log(`send events/s: ${(accepted / ((sent - start) / 1000)).toFixed(0)}`);
    console.log(`landed: ${rows} in ${landedSeconds.toFixed(1)} s${rows < accepted ? " (incomplete)" : ""}`);
    console.log(`events lost: ${lost}`);
    console.log(`duplicates: ${duplicates}`);
    console.log(`files not readable in full by hyparquet: ${unreadable.length}`);
    for (const u of unreadable.slice(0, 3)) console.log(`#   ${u}`);
    console.log(`landed events/s: ${(rows / landedSeconds).toFixed(0)}`);
    console.log(`ratio landed events/s / 30000 target: ${(rows / landedSeconds / 30_000).toFixed(3)}`);
  } finally {
    agent.destroy();
    await server.stop();
  }
}

await main();
