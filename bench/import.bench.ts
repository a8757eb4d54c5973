// Database import to queryable: a PostgreSQL table of N rows (Debian's server, a fresh cluster)
// imported through a real `wrangler dev` (POST /v1/imports until the job succeeded), against the
// same rows as a CSV upload (psql's COPY … CSV, then POST /v1/uploads until succeeded) and against
// psql's own COPY of the table to CSV, in the same run.
//
//   npx tsx bench/import.bench.ts [rows=200000]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startDevServer } from "../test/e2e/server";
import { startPostgres } from "../test/pg-server";

const rows = Number(process.argv[2] ?? 200_000);

async function main() {
  const [pg, server] = await Promise.all([startPostgres(), startDevServer()]);
  const dir = mkdtempSync(path.join(tmpdir(), "tarn-import-bench-"));
  try {
    pg.psql(`
      CREATE TABLE orders AS
      SELECT i AS order_id, 'cust_' || (i * 7919 % 50000) AS customer,
             (ARRAY['free','pro','team','enterprise'])[1 + i % 4] AS plan,
             round((i % 50000 * 0.01)::numeric, 2) AS amount, 1 + i % 9 AS quantity, i % 5 <> 0 AS paid,
             date '2026-01-01' + i % 365 AS ordered_on,
             timestamptz '2026-01-01 00:00:00+00' + make_interval(secs => i) AS created_at,
             CASE WHEN i % 3 = 0 THEN 'note, ' || i END AS note
      FROM generate_series(1, ${rows}) AS i;
      ALTER TABLE orders OWNER TO ${pg.user};
    `);
    const csvFile = path.join(dir, "orders.csv");
    const t0 = performance.now();
    execFileSync(
      "bash",
      [
        "-c",
        `psql -h 127.0.0.1 -p ${pg.port} -U postgres -d ${pg.database} -c "\\copy orders TO '${csvFile}' CSV HEADER"`,
      ],
      { stdio: "ignore" },
    );
    const copyMs = performance.now() - t0;
    const csv = readFileSync(csvFile);

    const { admin_key: admin } = (await (
      await server.api("/v1/projects", { method: "POST", token: server.adminKey, json: { name: "bench-import" } })
    ).json()) as { admin_key: string };
    const finished = async (id: string) => {
      for (;;) {
        const job = (await (await server.api(`/v1/jobs/${id}`, { token: admin })).json()) as {
          status: string;
          error: string | null;
          result: { rows?: number } | null;
        };
        if (job.status === "succeeded") return job;
        if (job.status === "failed") throw new Error(`job failed: ${job.error}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const connection = (await (
      await server.api("/v1/connections", {
        method: "POST",
        token: admin,
        json: {
          name: "bench",
          kind: "postgres",
          url: `postgres://${pg.user}:${pg.password}@127.0.0.1:${pg.port}/${pg.database}?sslmode=disable`,
        },
      })
    ).json()) as { id: string };
    // Warm the isolate with a small import first.
    const warm = (await (
      await server.api("/v1/imports", {
        method: "POST",
        token: admin,
        json: { connection_id: connection.id, query: "SELECT * FROM orders LIMIT 100", name: "warm" },
      })
    ).json()) as { job_id: string };
    await finished(warm.job_id);

    const t1 = performance.now();
    const started = (await (
      await server.api("/v1/imports", {
        method: "POST",
        token: admin,
        json: { connection_id: connection.id, table: "orders", name: "orders_import" },
      })
    ).json()) as { job_id: string };
    const imported = await finished(started.job_id);
    const importMs = performance.now() - t1;

    const t2 = performance.now();
    const sent = (await (
      await fetch(`${server.url}/v1/uploads?name=orders_upload&format=csv`, {
        method: "POST",
        headers: { Authorization: `Bearer ${admin}`, "Content-Type": "text/csv" },
        body: csv,
      })
    ).json()) as { job_id: string };
    const uploaded = await finished(sent.job_id);
    const uploadMs = performance.now() - t2;

    const rate = (ms: number) => Math.round(rows / (ms / 1000)).toLocaleString("en-US");
    console.log(`rows: ${rows} (imported ${imported.result?.rows}, uploaded ${uploaded.result?.rows})`);
    console.log(
      `import (POST /v1/imports → succeeded, incl. profile): ${importMs.toFixed(0)} ms, ${rate(importMs)} rows/s`,
    );
    console.log(
      `upload of the same rows as CSV (→ succeeded):        ${uploadMs.toFixed(0)} ms, ${rate(uploadMs)} rows/s`,
    );
    console.log(`psql \\copy of the table to CSV (the source's own speed): ${copyMs.toFixed(0)} ms`);
    console.log(
      `ratio import / upload: ${(importMs / uploadMs).toFixed(2)}x; import / psql copy: ${(importMs / copyMs).toFixed(1)}x`,
    );
  } finally {
    pg.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
