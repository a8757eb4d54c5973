// Lineage in D1: RunEvents written with the lake change they describe (in publish's batch), ingest
// commits summarized per dataset and hour, and forwarding to LINEAGE_URL through the lineage queue.
import { and, asc, eq, gt, inArray, isNull, lt, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { lineageEvents, lineageHours } from "../../shared/db/contracts";
import {
  type LineageRun,
  lineageNamespace,
  OPENLINEAGE_SCHEMA_URL,
  type RunEvent,
  runEvent,
  TARN_PRODUCER,
} from "../../shared/lineage/run-event";

type Db = ReturnType<typeof drizzle>;
type Statement = Parameters<Db["batch"]>[0][number];

const HOUR_MS = 3_600_000;
const OUTPUT_STATS_FACET =
  "https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet";

function insertEvent(d: Db, run: LineageRun, event: RunEvent) {
  return d.insert(lineageEvents).values({
    projectId: run.projectId,
    runId: run.runId,
    job: run.job,
    eventType: event.eventType,
    eventTime: event.eventTime,
    datasets: [...run.inputs, ...run.outputs.map((o) => o.name)].join(","),
    body: JSON.stringify(event),
  });
}

/** START and COMPLETE of a run that is over as soon as it is recorded (a job's one publish). */
export function finishedRunStatements(d: Db, run: LineageRun, startedAt: Date, at: Date): Statement[] {
  return [insertEvent(d, run, runEvent(run, "START", startedAt)), insertEvent(d, run, runEvent(run, "COMPLETE", at))];
}

/** The COMPLETE event of every ingest hour of the dataset before `hourMs` not yet completed, built in SQL. */
function completeHoursStatements(
  d: Db,
  projectId: string,
  dataset: string | null,
  beforeHourMs: number,
  at: Date,
): Statement[] {
  const namespace = lineageNamespace(projectId);
  const job = JSON.stringify(
    runEvent({ projectId, runId: "", job: "ingest", processing: "STREAMING", inputs: [], outputs: [] }, "COMPLETE", at)
      .job,
  );
  const where = and(
    eq(lineageHours.projectId, projectId),
    dataset === null ? undefined : eq(lineageHours.dataset, dataset),
    lt(lineageHours.hourMs, beforeHourMs),
    eq(lineageHours.completed, 0),
  );
  const eventTime = at.toISOString();
  const body = sql<string>`json_object('eventType', 'COMPLETE', 'eventTime', ${eventTime}, 'producer', ${TARN_PRODUCER},
    'schemaURL', ${OPENLINEAGE_SCHEMA_URL}, 'run', json_object('runId', ${lineageHours.runId}), 'job', json(${job}),
    'inputs', json('[]'),
    'outputs', json_array(json_object('namespace', ${namespace}, 'name', ${lineageHours.dataset}, 'outputFacets',
      json_object('outputStatistics', json_object('_producer', ${TARN_PRODUCER}, '_schemaURL', ${OUTPUT_STATS_FACET},
        'rowCount', ${lineageHours.rows}, 'fileCount', ${lineageHours.files})))))`;
  return [
    d.insert(lineageEvents).select(
      d
        .select({
          // Every column in table order, as insert … select requires; a NULL id takes the next rowid.
          id: sql<number>`NULL`.as("id"),
          projectId: lineageHours.projectId,
          runId: lineageHours.runId,
          job: sql<string>`'ingest'`.as("job"),
          eventType: sql<string>`'COMPLETE'`.as("event_type"),
          eventTime: sql<string>`${eventTime}`.as("event_time"),
          datasets: lineageHours.dataset,
          body: body.as("body"),
          forwardedAt: sql<string>`NULL`.as("forwarded_at"),
          onceKey: sql<string>`NULL`.as("once_key"),
        })
        .from(lineageHours)
        .where(where),
    ),
    d.update(lineageHours).set({ completed: 1 }).where(where),
  ];
}

/**
 * Statements for a consumer commit, added to its manifest batch: per project and dataset, the
 * hour's run (START when the hour's first commit lands), its counters, and COMPLETE for the
 * dataset's earlier hours, which no commit will add to any more (the arrival hour has passed).
 */
export function ingestLineageStatements(
  d: Db,
  files: { projectId: string; dataset: string; rows: number }[],
  at: Date,
): Statement[] {
  const hourMs = Math.floor(at.getTime() / HOUR_MS) * HOUR_MS;
  const sums = new Map<string, { projectId: string; dataset: string; rows: number; files: number }>();
  for (const f of files) {
    const key = `${f.projectId}\u0000${f.dataset}`;
    const s = sums.get(key) ?? { projectId: f.projectId, dataset: f.dataset, rows: 0, files: 0 };
    s.rows += f.rows;
    s.files += 1;
    sums.set(key, s);
  }
  const out: Statement[] = [];
  for (const s of sums.values()) {
    const run: LineageRun = {
      projectId: s.projectId,
      runId: crypto.randomUUID(),
      job: "ingest",
      processing: "STREAMING",
      inputs: [],
      outputs: [{ name: s.dataset }],
    };
    const start = runEvent(run, "START", new Date(hourMs));
    out.push(
      // Written once per dataset and hour: later commits of the hour conflict on the key.
      d
        .insert(lineageEvents)
        .values({
          projectId: s.projectId,
          runId: run.runId,
          job: "ingest",
          eventType: "START",
          eventTime: start.eventTime,
          datasets: s.dataset,
          body: JSON.stringify(start),
          onceKey: `ingest\u0000${s.projectId}\u0000${s.dataset}\u0000${hourMs}`,
        })
        .onConflictDoNothing(),
      d
        .insert(lineageHours)
        .values({ projectId: s.projectId, dataset: s.dataset, hourMs, runId: run.runId, rows: s.rows, files: s.files })
        .onConflictDoUpdate({
          target: [lineageHours.projectId, lineageHours.dataset, lineageHours.hourMs],
          set: { rows: sql`${lineageHours.rows} + ${s.rows}`, files: sql`${lineageHours.files} + ${s.files}` },
        }),
      ...completeHoursStatements(d, s.projectId, s.dataset, hourMs, at),
    );
  }
  return out;
}

/** Completes every project's ingest hours before the current one (the hourly cron). */
export async function completeIngestHours(db: D1Database, now: Date): Promise<void> {
  const d = drizzle(db);
  const hourMs = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
  const open = await d
    .selectDistinct({ projectId: lineageHours.projectId })
    .from(lineageHours)
    .where(and(lt(lineageHours.hourMs, hourMs), eq(lineageHours.completed, 0)))
    .all();
  for (const { projectId } of open) {
    const [a, b] = completeHoursStatements(d, projectId, null, hourMs, now) as [Statement, Statement];
    await d.batch([a, b]);
  }
}

/** A job's run that is over, recorded after the fact (the rollup job: gold lives in D1, not in the manifest). */
export async function recordFinishedRun(db: D1Database, run: LineageRun, startedAt: Date): Promise<void> {
  const d = drizzle(db);
  const [a, b] = finishedRunStatements(d, run, startedAt, new Date()) as [Statement, Statement];
  await d.batch([a, b]);
}

/** A quarantine replay's run: the quarantine in, the event types it landed out. */
export async function recordReplay(
  env: Pick<Env, "DB">,
  projectId: string,
  landedByType: Map<string, number>,
  at: number,
): Promise<void> {
  const d = drizzle(env.DB);
  const run: LineageRun = {
    projectId,
    runId: crypto.randomUUID(),
    job: "quarantine.replay",
    processing: "BATCH",
    inputs: ["quarantine"],
    outputs: [...landedByType].map(([name, rows]) => ({ name, rows })),
  };
  const [a, b] = finishedRunStatements(d, run, new Date(at), new Date()) as [Statement, Statement];
  await d.batch([a, b]);
}

/** A project's lineage events, oldest first, optionally only those naming a dataset. */
export async function listLineage(
  db: D1Database,
  projectId: string,
  options: { dataset?: string; after?: number; limit: number },
): Promise<{ id: number; event: RunEvent }[]> {
  const rows = await drizzle(db)
    .select({ id: lineageEvents.id, body: lineageEvents.body, datasets: lineageEvents.datasets })
    .from(lineageEvents)
    .where(
      and(
        eq(lineageEvents.projectId, projectId),
        options.after === undefined ? undefined : gt(lineageEvents.id, options.after),
        options.dataset === undefined
          ? undefined
          : sql`(',' || ${lineageEvents.datasets} || ',') LIKE ${`%,${options.dataset.replace(/[%_\\]/g, "\\$&")},%`} ESCAPE '\\'`,
      ),
    )
    .orderBy(asc(lineageEvents.id))
    .limit(options.limit)
    .all();
  return rows.map((r) => ({ id: r.id, event: JSON.parse(r.body) as RunEvent }));
}

/** Message of the lineage queue: one stored event to POST to LINEAGE_URL. */
export interface LineageMessage {
  project: string;
  id: number;
}

/**
 * Queues every stored event not yet handed to the lineage queue (when LINEAGE_URL is set). The
 * row is marked `queued` first, so concurrent callers do not queue it twice; the consumer
 * replaces the mark with the delivery time.
 */
export async function forwardLineage(env: Pick<Env, "DB" | "LINEAGE_QUEUE">, limit = 100): Promise<number> {
  const d = drizzle(env.DB);
  const pending = await d
    .update(lineageEvents)
    .set({ forwardedAt: "queued" })
    .where(
      inArray(
        lineageEvents.id,
        d
          .select({ id: lineageEvents.id })
          .from(lineageEvents)
          .where(isNull(lineageEvents.forwardedAt))
          .orderBy(asc(lineageEvents.id))
          .limit(limit),
      ),
    )
    .returning({ id: lineageEvents.id, project: lineageEvents.projectId })
    .all();
  if (pending.length === 0) return 0;
  try {
    await env.LINEAGE_QUEUE.sendBatch(
      pending.map((p) => ({ body: { project: p.project, id: p.id } satisfies LineageMessage })),
    );
  } catch (err) {
    await d
      .update(lineageEvents)
      .set({ forwardedAt: null })
      .where(
        inArray(
          lineageEvents.id,
          pending.map((p) => p.id),
        ),
      )
      .run();
    throw err;
  }
  return pending.length;
}

/** A job's run that failed: its START and FAIL events (a view refresh that kept the previous version). */
export async function recordFailedRun(db: D1Database, run: LineageRun, startedAt: Date): Promise<void> {
  const d = drizzle(db);
  await d.batch([
    insertEvent(d, run, runEvent(run, "START", startedAt)),
    insertEvent(d, run, runEvent(run, "FAIL", new Date())),
  ]);
}
