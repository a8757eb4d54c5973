// Where the worker isolate's time goes under a landing-shaped load: a CPU profile of the one Tarn
// isolate of a real `wrangler dev`, taken through its DevTools inspector, summarised by source
// module (esbuild's `// path/file.ts` markers in the bundle) and by function.
//
//   TARN_DEV_CRON=0 npx tsx bench/isolate-profile.ts [events=200000] [batch=500] [concurrency=8] [spreadMinutes=2880] [out=profile.cpuprofile]
//
// Self time is charged to the frame's module; native frames (SQLite `exec`, R2 `put`, zstd) have no
// source, so they are charged to the nearest JS caller's module and listed as `native ← caller`.
// Shares are of all samples, idle included: a saturated isolate shows little idle. Only the Tarn
// isolate is sampled; miniflare's D1, R2 and Queues simulators run in other threads on the same cores.
import { writeFileSync } from "node:fs";
import http from "node:http";
import { startDevServer } from "../test/e2e/server";
import { mulberry32 } from "../test/seeded-random";
import {
  type CallFrame,
  inspect,
  moduleIndex,
  type Profile,
  type ProfileNode,
  scriptSources,
  summarise,
} from "./isolate-inspector";

const total = Number(process.argv[2] ?? 200_000);
const batch = Number(process.argv[3] ?? 500);
const concurrency = Number(process.argv[4] ?? 8);
const spreadMinutes = Number(process.argv[5] ?? 2880);
const out = process.argv[6];

const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency + 2 });

function request(url: string, method: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => {
        text += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function makeBodies(): string[] {
  const rnd = mulberry32(2030);
  const types = ["page.view", "click", "order.created", "signup", "api_call"];
  const now = Date.now();
  const bodies: string[] = [];
  for (let at = 0; at < total; at += batch) {
    const events = [];
    for (let i = at; i < Math.min(total, at + batch); i++) {
      events.push({
        eventType: types[Math.floor(rnd() * types.length)],
        eventId: `bench-${i}-${Math.floor(rnd() * 1e9).toString(36)}`,
        ...(spreadMinutes > 0
          ? { timestamp: new Date(now - Math.floor(rnd() * spreadMinutes * 60_000)).toISOString() }
          : {}),
        eventSource: "web",
        userId: `user-${Math.floor(rnd() * 10_000)}`,
        sessionId: `s-${Math.floor(rnd() * 50_000).toString(36)}`,
        data: { payload: { path: `/p/${Math.floor(rnd() * 500)}`, ms: Math.floor(rnd() * 2000), ok: rnd() < 0.9 } },
      });
    }
    bodies.push(JSON.stringify(events));
  }
  return bodies;
}

/** Which isolate a sample's work would run in on Cloudflare: the stack's Durable Object, consumer or edge frame. */
function roleOf(modules: (string | undefined)[]): string {
  if (modules.some((m) => m?.startsWith("durable-objects/"))) return "durable objects";
  if (modules.some((m) => m?.startsWith("queues/"))) return "queue consumer";
  if (modules.some((m) => m?.startsWith("workers/") || m?.startsWith("hono/"))) return "edge";
  return "runtime (GC, program, other)";
}

/**
 * Isolate time per event by role. Under `wrangler dev` the edge, the consumer and the Durable
 * Objects share one thread; on Cloudflare each runs in isolates of its own (and the consumer scales
 * out with the queue's max_concurrency), so each role's own µs per event is what bounds it there.
 * GC and other runtime time is spread over the roles in proportion to their samples.
 */
function byRole(profile: Profile, moduleOf: (f: CallFrame) => string | undefined, events: number): string[] {
  const parent = new Map<number, ProfileNode>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const roles = new Map<string, number>();
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const leaf = byId.get(id) as ProfileNode;
    if (leaf.callFrame.functionName === "(idle)") {
      idle += dt;
      return;
    }
    const modules: (string | undefined)[] = [];
    for (let n: ProfileNode | undefined = leaf; n; n = parent.get(n.id)) modules.push(moduleOf(n.callFrame));
    const role = roleOf(modules);
    roles.set(role, (roles.get(role) ?? 0) + dt);
  });
  const runtime = roles.get("runtime (GC, program, other)") ?? 0;
  roles.delete("runtime (GC, program, other)");
  const attributed = [...roles.values()].reduce((a, b) => a + b, 0);
  const lines = ["## isolate time per event by role (runtime share spread in proportion)"];
  for (const [role, us] of [...roles].sort((a, b) => b[1] - a[1])) {
    const perEvent = (us * (1 + runtime / attributed)) / events;
    lines.push(`${perEvent.toFixed(1).padStart(7)} µs/event  ${role}  (alone: ${Math.round(1e6 / perEvent)} events/s)`);
  }
  lines.push(`${(idle / events).toFixed(1).padStart(7)} µs/event  idle`);
  return lines;
}

async function main(): Promise<void> {
  const bodies = makeBodies();
  const server = await startDevServer();
  try {
    const post = async (path: string, token: string, body: unknown) => {
      const r = await request(
        `${server.url}${path}`,
        "POST",
        { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
        JSON.stringify(body),
      );
      if (r.status !== 201) throw new Error(`${path}: ${r.status} ${r.body}`);
      return JSON.parse(r.body) as Record<string, string>;
    };
    const { admin_key: adminKey } = await post("/v1/projects", server.adminKey, { name: "bench-profile" });
    const { key: ingestKey } = await post("/v1/keys", adminKey as string, { name: "ingest", scopes: ["ingest"] });
    const { key: queryKey } = await post("/v1/keys", adminKey as string, { name: "query", scopes: ["query"] });
    const headers = { "Content-Type": "application/json", Authorization: `Bearer ${ingestKey}` };
    const landed = async () => {
      const r = await request(`${server.url}/v1/datasets`, "GET", { Authorization: `Bearer ${queryKey}` });
      const { datasets } = JSON.parse(r.body) as { datasets: { name: string; rows: number }[] };
      return datasets.filter((d) => d.name !== "events").reduce((n, d) => n + Number(d.rows), 0);
    };

    const devtools = await inspect(server.inspectorPort);
    await devtools.post("Debugger.enable");
    await devtools.post("Profiler.enable");
    await devtools.post("Profiler.setSamplingInterval", { interval: 1000 });
    await devtools.post("Profiler.start");
    const start = performance.now();
    let next = 0;
    let accepted = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < bodies.length) {
          const r = await request(`${server.url}/v1/events`, "POST", headers, bodies[next++]);
          if (r.status !== 202) throw new Error(`ingest: ${r.status} ${r.body.slice(0, 200)}`);
          accepted += (JSON.parse(r.body) as { accepted: number }).accepted;
        }
      }),
    );
    const sent = performance.now();
    while ((await landed()) < accepted) await new Promise((r) => setTimeout(r, 200));
    const done = performance.now();
    const { profile } = await devtools.post<{ profile: Profile }>("Profiler.stop");
    const sources = await scriptSources(devtools, profile);
    devtools.close();
    if (out) writeFileSync(out, JSON.stringify(profile));
    console.log(
      `# ${accepted} events, ${batch}/request, ${concurrency} concurrent, times over ${spreadMinutes} min: ` +
        `sent in ${((sent - start) / 1000).toFixed(1)} s, landed in ${((done - start) / 1000).toFixed(1)} s ` +
        `(${Math.round(accepted / ((done - start) / 1000))} events/s)`,
    );
    const moduleOf = moduleIndex(sources);
    for (const line of [...byRole(profile, moduleOf, accepted), ...summarise(profile, moduleOf)]) console.log(line);
  } finally {
    await server.stop();
  }
}

await main();
