// POST /v1/events with a 10-property contract on the event type against the same route without one,
// on one `wrangler dev`: two projects, alternating rounds of 100-event batches, the lake drained
// between rounds. Prints req/s of each, the edge cost per event of the contract, and the ratio.
//
//   npx tsx bench/contracts-http.bench.ts [concurrency=8] [seconds=4] [rounds=3]
import http from "node:http";
import { startDevServer } from "../test/e2e/server";
import { mulberry32 } from "../test/seeded-random";

const concurrency = Number(process.argv[2] ?? 8);
const seconds = Number(process.argv[3] ?? 4);
const rounds = Number(process.argv[4] ?? 3);
const BATCH = 100;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

const CONTRACT = {
  type: "object",
  required: ["orderId", "totalAmount", "currency", "quantity"],
  properties: {
    orderId: { type: "string", pattern: "^o-[0-9]+$", maxLength: 64 },
    totalAmount: { type: "number", minimum: 0 },
    currency: { type: "string", enum: ["EUR", "USD", "GBP"] },
    quantity: { type: "integer", minimum: 1, maximum: 1000 },
    placedAt: { type: "string", format: "date-time" },
    gift: { type: "boolean" },
    coupon: { type: ["string", "null"], maxLength: 32 },
    channel: { type: "string", enum: ["web", "app", "store"] },
    customerId: { type: "string", minLength: 1 },
    email: { type: "string", format: "email" },
  },
};

function request(url: URL, method: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; body: string }>((resolve) => {
    const req = http.request(url.href, { method, headers, agent }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => {
        text += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on("error", (e) => resolve({ status: 0, body: String(e) }));
    });
    req.on("error", (e) => resolve({ status: 0, body: String(e) }));
    req.end(body);
  });
}

function bodies(seed: number): string[] {
  const r = mulberry32(seed);
  const now = Date.now();
  return Array.from({ length: 32 }, (_, b) =>
    JSON.stringify(
      Array.from({ length: BATCH }, (_, i) => ({
        eventType: "order.created",
        timestamp: new Date(now - Math.floor(r() * 3_600_000)).toISOString(),
        userId: `u-${Math.floor(r() * 10_000)}`,
        data: {
          payload: {
            orderId: `o-${b * BATCH + i}`,
            totalAmount: Math.round(r() * 100_000) / 100,
            currency: ["EUR", "USD", "GBP"][Math.floor(r() * 3)],
            quantity: 1 + Math.floor(r() * 5),
            placedAt: new Date(now - Math.floor(r() * 86_400_000)).toISOString(),
            gift: r() < 0.2,
            coupon: r() < 0.5 ? null : `C${Math.floor(r() * 99)}`,
            channel: ["web", "app", "store"][Math.floor(r() * 3)],
            customerId: `c-${Math.floor(r() * 50_000)}`,
            email: `user${Math.floor(r() * 50_000)}@example.com`,
          },
        },
      })),
    ),
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main() {
  console.log(
    `# contracts http bench: concurrency ${concurrency}, ${seconds} s per phase, ${rounds} rounds, ${BATCH} events/request`,
  );
  const server = await startDevServer();
  try {
    const base = new URL(server.url);
    const call = async (path: string, method: string, token: string, body: unknown, expect: number) => {
      const r = await request(
        new URL(path, base),
        method,
        { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
        JSON.stringify(body),
      );
      if (r.status !== expect) throw new Error(`${path}: ${r.status} ${r.body}`);
      return JSON.parse(r.body) as Record<string, string>;
    };
    const project = async (name: string) => {
      const { admin_key: admin } = await call("/v1/projects", "POST", server.adminKey, { name }, 201);
      const { key } = await call("/v1/keys", "POST", admin as string, { name: "k", scopes: ["ingest", "query"] }, 201);
      return { admin: admin as string, key: key as string };
    };
    const withContract = await project("bench-contract");
    const without = await project("bench-none");
    await call("/v1/contracts/order.created", "PUT", withContract.admin, { schema: CONTRACT }, 201);
    const data = bodies(1);
    const accepted = new Map<string, number>([
      [withContract.key, 0],
      [without.key, 0],
    ]);
    let failures = 0;
    const round = async (key: string) => {
      let n = 0;
      let count = 0;
      const start = performance.now();
      const end = start + seconds * 1000;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (performance.now() < end) {
            const r = await request(
              new URL("/v1/events", base),
              "POST",
              { "Content-Type": "application/json", Authorization: `Bearer ${key}` },
              data[n++ % data.length],
            );
            const ok = r.status === 202 && (JSON.parse(r.body) as { accepted: number }).accepted === BATCH;
            if (ok) {
              count++;
              accepted.set(key, (accepted.get(key) ?? 0) + BATCH);
            } else if (++failures <= 3) console.error(`# failed: ${r.status} ${r.body.slice(0, 200)}`);
          }
        }),
      );
      return (count * 1000) / (performance.now() - start);
    };
    const drain = async () => {
      const t = performance.now();
      for (const key of accepted.keys()) {
        for (;;) {
          const r = await request(new URL("/v1/datasets", base), "GET", { Authorization: `Bearer ${key}` });
          const rows =
            r.status === 200
              ? (JSON.parse(r.body) as { datasets: { rows: number }[] }).datasets.reduce(
                  (a, d) => a + Number(d.rows),
                  0,
                )
              : -1;
          if (rows >= (accepted.get(key) ?? 0) || performance.now() - t > 120_000) break;
          await new Promise((res) => setTimeout(res, 250));
        }
      }
    };
    await round(without.key);
    await round(withContract.key);
    await drain();
    const none: number[] = [];
    const checked: number[] = [];
    for (let i = 1; i <= rounds; i++) {
      none.push(await round(without.key));
      await drain();
      checked.push(await round(withContract.key));
      await drain();
      console.log(
        `# round ${i}: no contract ${none[i - 1]?.toFixed(0)} req/s, contract ${checked[i - 1]?.toFixed(0)} req/s`,
      );
    }
    const a = median(none);
    const b = median(checked);
    const usPerEventNone = (1e6 * concurrency) / (a * BATCH);
    const usPerEventContract = (1e6 * concurrency) / (b * BATCH);
    console.log(`no_contract_req_per_s: ${a.toFixed(0)}`);
    console.log(`contract_req_per_s: ${b.toFixed(0)}`);
    console.log(`no_contract_events_per_s: ${(a * BATCH).toFixed(0)}`);
    console.log(`contract_events_per_s: ${(b * BATCH).toFixed(0)}`);
    console.log(
      `contract_cost_us_per_event (wall, ${concurrency} clients): ${(usPerEventContract - usPerEventNone).toFixed(1)}`,
    );
    if (failures > 0) console.log(`# ${failures} requests failed`);
    console.log(`ratio_events_per_s_contract_over_none: ${(b / a).toFixed(3)}`);
  } finally {
    agent.destroy();
    await server.stop();
  }
}

await main();
