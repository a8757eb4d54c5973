// Lake-wide figures for GET /metrics, read from the manifest (the one module that reads the lake tables).
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { lakeFiles, snapshots } from "../../shared/db/lake";

export interface LakeStats {
  /** Current files and their bytes, by layer. */
  layers: { layer: string; files: number; bytes: number }[];
  /** Rows ever committed by ingest appends (after dedupe): monotonic, so a counter. */
  landedRows: number;
}

/** Two aggregate reads over all projects; an operator's view, never a tenant's. */
export async function lakeStats(db: D1Database): Promise<LakeStats> {
  const d = drizzle(db);
  const [layers, landed] = await d.batch([
    d
      .select({
        layer: lakeFiles.layer,
        files: sql<number>`count(*)`,
        bytes: sql<number>`coalesce(sum(${lakeFiles.bytes}), 0)`,
      })
      .from(lakeFiles)
      .where(sql`${lakeFiles.removedSnapshot} IS NULL`)
      .groupBy(lakeFiles.layer),
    d
      .select({ rows: sql<number>`coalesce(sum(${snapshots.rowsAdded}), 0)` })
      .from(snapshots)
      .where(sql`${snapshots.kind} = 'append'`),
  ]);
  return {
    layers: layers.map((l) => ({ layer: l.layer, files: Number(l.files), bytes: Number(l.bytes) })),
    landedRows: Number(landed[0]?.rows ?? 0),
  };
}
