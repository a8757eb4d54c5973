// The catalog as a language model sees it: every table of the project, its columns, types and what they mean.
import type { PromptTable } from "../../shared/ai/nl-prompt";
import { LAKE_COLUMNS } from "../../shared/lake/lake-row";
import { sqlTableName } from "../../shared/query";
import { datasetsOf } from "../manifest/read";
import { tableColumnsOf } from "../query/coordinator";

/** What the envelope columns hold, so the model picks the right one (the catalog says the same). */
const ENVELOPE: Record<string, string> = {
  event_id: "unique event id",
  event_type: "the event type (one table per type)",
  ts: "event time, UTC",
  received_at: "when Tarn received it, UTC",
  user_id: "the user who caused the event",
  session_id: "the session",
  source: "the producing system",
  environment: "e.g. production",
  region: "the producer's region",
  country: "country of the sender",
  payload: "the event's data as JSON text",
  metadata: "producer metadata as JSON text",
};

export interface SchemaContext {
  datasets: string[];
  tableColumns: Awaited<ReturnType<typeof tableColumnsOf>>;
  tables: PromptTable[];
}

/** Names, types and descriptions only: never a value, so no masked value can reach the model. */
export async function schemaContext(db: D1Database, projectId: string, snapshot?: number): Promise<SchemaContext> {
  const [datasets, tableColumns] = await Promise.all([
    datasetsOf(db, projectId, snapshot),
    tableColumnsOf(db, projectId, snapshot),
  ]);
  const envelope = LAKE_COLUMNS.map((c) => ({
    name: c.name as string,
    type: c.type as string,
    description: ENVELOPE[c.name],
  }));
  const lakeNames = new Set(LAKE_COLUMNS.map((c) => c.name as string));
  const tables: PromptTable[] = [
    { sql_name: "events", description: "every event of the project, all types", columns: envelope },
    ...datasets.map((d) => {
      // A table with a column list of its own (contract columns, or an uploaded dataset's) has exactly those.
      const own = tableColumns[d];
      return {
        sql_name: sqlTableName(d),
        description: own && !own.some((c) => c.name === "event_id") ? `dataset ${d}` : `events of type ${d}`,
        columns: own
          ? own.map((c) => ({
              name: c.name,
              type: c.type as string,
              description: lakeNames.has(c.name) ? ENVELOPE[c.name] : undefined,
            }))
          : envelope,
      };
    }),
  ];
  return { datasets, tableColumns, tables };
}
