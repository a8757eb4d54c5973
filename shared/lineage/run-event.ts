// OpenLineage RunEvents (spec 2-0-2) for changes of the lake: who (job) turned which datasets into which.

export const OPENLINEAGE_SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";
export const TARN_PRODUCER = "https://github.com/tarn-analytics/tarn";
const JOB_TYPE_FACET = "https://openlineage.io/spec/facets/2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet";
const OUTPUT_STATS_FACET =
  "https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet";

/** The namespace of a project's jobs and datasets. */
export const lineageNamespace = (projectId: string) => `tarn://${projectId}`;

/** What ran: `ingest` (consumer commits of an hour), `compaction`, `retention`, `quarantine.replay`, … */
export interface LineageRun {
  projectId: string;
  runId: string;
  job: string;
  processing: "STREAMING" | "BATCH";
  inputs: string[];
  /** Output datasets with what the run added to each. */
  outputs: { name: string; rows?: number; files?: number; bytes?: number }[];
}

export type RunState = "START" | "COMPLETE" | "FAIL";

export interface RunEvent {
  eventType: RunState;
  eventTime: string;
  producer: string;
  schemaURL: string;
  run: { runId: string };
  job: { namespace: string; name: string; facets: Record<string, unknown> };
  inputs: { namespace: string; name: string }[];
  outputs: { namespace: string; name: string; outputFacets?: Record<string, unknown> }[];
}

/** One RunEvent of a run; statistics go on COMPLETE only (they are final then). */
export function runEvent(run: LineageRun, state: RunState, at: Date): RunEvent {
  const namespace = lineageNamespace(run.projectId);
  return {
    eventType: state,
    eventTime: at.toISOString(),
    producer: TARN_PRODUCER,
    schemaURL: OPENLINEAGE_SCHEMA_URL,
    run: { runId: run.runId },
    job: {
      namespace,
      name: run.job,
      facets: {
        jobType: {
          _producer: TARN_PRODUCER,
          _schemaURL: JOB_TYPE_FACET,
          processingType: run.processing,
          integration: "TARN",
          jobType: run.job.toUpperCase().replace(/\W/g, "_"),
        },
      },
    },
    inputs: run.inputs.map((name) => ({ namespace, name })),
    outputs: run.outputs.map((o) => {
      const stats =
        state === "COMPLETE" && o.rows !== undefined
          ? {
              outputFacets: {
                outputStatistics: {
                  _producer: TARN_PRODUCER,
                  _schemaURL: OUTPUT_STATS_FACET,
                  rowCount: o.rows,
                  ...(o.bytes !== undefined ? { size: o.bytes } : {}),
                  ...(o.files !== undefined ? { fileCount: o.files } : {}),
                },
              },
            }
          : {};
      return { namespace, name: o.name, ...stats };
    }),
  };
}

/** Nodes (jobs and datasets) and edges (dataset → job → dataset) of a list of events. */
export function lineageGraph(events: RunEvent[]): {
  nodes: { id: string; kind: "job" | "dataset"; name: string }[];
  edges: { from: string; to: string }[];
} {
  const nodes = new Map<string, { id: string; kind: "job" | "dataset"; name: string }>();
  const edges = new Map<string, { from: string; to: string }>();
  for (const e of events) {
    const job = `job:${e.job.name}`;
    nodes.set(job, { id: job, kind: "job", name: e.job.name });
    for (const i of e.inputs) {
      const id = `dataset:${i.name}`;
      nodes.set(id, { id, kind: "dataset", name: i.name });
      edges.set(`${id}>${job}`, { from: id, to: job });
    }
    for (const o of e.outputs) {
      const id = `dataset:${o.name}`;
      nodes.set(id, { id, kind: "dataset", name: o.name });
      edges.set(`${job}>${id}`, { from: job, to: id });
    }
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}
