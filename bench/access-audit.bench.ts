// What the audit entry adds to the request it records, against a real `wrangler dev`: the same audited
// request (PATCH /v1/users/{id}, recorded as users.update) with the append after the response (the default,
// waitUntil) and with the append awaited before it (AUDIT_SYNC=true), beside an unaudited read of the same
// credential path (GET /v1/users) as the floor. Sequential requests over one connection; medians and p95.
//   npx tsx bench/access-audit.bench.ts [requests per phase, default 300] [rounds, default 2]
import { startDevServer } from "../test/e2e/server";

const n = Number(process.argv[2] ?? 300);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

async function timed(run: () => Promise<Response>, expected: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    const res = await run();
    await res.arrayBuffer();
    times.push(performance.now() - start);
    if (res.status !== expected) throw new Error(`status ${res.status}, expected ${expected}`);
  }
  return times.sort((a, b) => a - b);
}

async function phase(label: string, extra: string[]): Promise<Record<string, number>> {
  const server = await startDevServer(extra);
  try {
    const json = async (res: Promise<Response>) => (await (await res).json()) as Record<string, string>;
    const { admin_key: admin } = await json(
      server.api("/v1/projects", { method: "POST", token: server.adminKey, json: { name: `bench-${label}` } }),
    );
    const user = await json(
      server.api("/v1/users", {
        method: "POST",
        token: admin,
        json: { email: "bench@example.com", password: "a long enough password", role: "viewer" },
      }),
    );
    // Warm-up (isolate, D1, the AuditLog object).
    for (let i = 0; i < 30; i++) {
      await (await server.api("/v1/users", { token: admin })).arrayBuffer();
      await (
        await server.api(`/v1/users/${user.id}`, { method: "PATCH", token: admin, json: { tier: "free" } })
      ).arrayBuffer();
    }
    let flip = 0;
    const audited = await timed(
      () =>
        server.api(`/v1/users/${user.id}`, {
          method: "PATCH",
          token: admin,
          json: { tier: flip++ % 2 ? "free" : "premium" },
        }),
      200,
    );
    const floor = await timed(() => server.api("/v1/users", { token: admin }), 200);
    const verdict = await json(server.api("/v1/audit/verify", { token: admin }));
    return {
      audited_p50_ms: quantile(audited, 0.5),
      audited_p95_ms: quantile(audited, 0.95),
      unaudited_read_p50_ms: quantile(floor, 0.5),
      unaudited_read_p95_ms: quantile(floor, 0.95),
      audit_entries: Number(verdict.entries),
    };
  } finally {
    await server.stop();
  }
}

const round = (x: number) => Math.round(x * 100) / 100;
const rounds = Number(process.argv[3] ?? 2);
console.log(`# audit latency bench: ${n} sequential requests per phase, ${rounds} rounds alternating`);
const medians = { background: [] as number[], sync: [] as number[] };
for (let r = 0; r < rounds; r++) {
  for (const mode of r % 2 ? (["sync", "background"] as const) : (["background", "sync"] as const)) {
    const result = await phase(`${mode}-${r}`, mode === "sync" ? ["--var", "AUDIT_SYNC:true"] : []);
    medians[mode].push(result.audited_p50_ms ?? Number.NaN);
    const shown = Object.fromEntries(Object.entries(result).map(([k, v]) => [k, round(v)]));
    console.log(
      `round ${r} ${mode === "sync" ? "sync (AUDIT_SYNC=true)" : "background (default)"}: ${JSON.stringify(shown)}`,
    );
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
console.log(
  `audited_p50_ms median over rounds: background ${round(median(medians.background))}, sync ${round(median(medians.sync))}`,
);
console.log(`ratio_p50_background_over_sync: ${round(median(medians.background) / median(medians.sync))}`);
