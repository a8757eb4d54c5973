// Cron entry: plans the periodic jobs and puts them on the jobs queue, where each gets its own
// CPU budget and retries. Hourly: compaction and rollups of every project; daily: retention and GC.
import { drizzle } from "drizzle-orm/d1";
import { exportAuditLogs } from "../services/access/audit-export";
import { createJob } from "../services/jobs/create-job";
import { completeIngestHours, forwardLineage } from "../services/lineage/record";
import { planViewRefreshes } from "../services/views/schedule";
import { readConfig } from "../shared/config";
import type { JobType } from "../shared/db/jobs";
import { projects } from "../shared/db/schema";

/** Which jobs a cron expression of wrangler.toml stands for. */
export function jobsForCron(cron: string): JobType[] {
  const [, hour] = cron.split(/\s+/);
  return hour === "*" ? ["compact", "rollup"] : ["retention"];
}

export async function handleScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const types = jobsForCron(controller.cron);
  const all = await drizzle(env.DB).select({ id: projects.id }).from(projects).all();
  const results = await Promise.allSettled(all.flatMap((p) => types.map((t) => createJob(env, p.id, t, {}))));
  // Lineage: ingest hours that have passed are complete; anything not yet forwarded is queued.
  await completeIngestHours(env.DB, new Date()).catch((err) =>
    console.error(JSON.stringify({ level: "error", msg: "lineage hours not completed", error: String(err) })),
  );
  if (readConfig(env).lineageUrl) await forwardLineage(env).catch(() => undefined);
  const failed = results.filter((r) => r.status === "rejected").length;
  console.log(
    JSON.stringify({ level: "info", msg: "scheduled jobs", cron: controller.cron, planned: results.length, failed }),
  );
  if (types.includes("compact"))
    console.log(JSON.stringify({ level: "info", msg: "audit export", ...(await exportAuditLogs(env)) }));
  // Views due by now (hourly ones every hour, daily ones after midnight UTC), each project's in dependency order.
  if (types.includes("compact")) {
    const views = await planViewRefreshes(env, new Date()).catch((err) => {
      console.error(JSON.stringify({ level: "error", msg: "view refreshes not planned", error: String(err) }));
      return 0;
    });
    console.log(JSON.stringify({ level: "info", msg: "view refreshes", projects: views }));
  }
  if (failed > 0) throw new Error(`${failed} scheduled jobs could not be queued`);
}
