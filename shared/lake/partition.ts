// Lake object keys: Hive-style, project-scoped partitions by dataset, day and hour (UTC).

export type Layer = "bronze" | "silver" | "gold";

export interface Partition {
  project: string;
  dataset: string;
  /** YYYY-MM-DD, UTC. */
  dt: string;
  /** 0–23, UTC. */
  hr: number;
}

/** The partition an event time falls in. */
export function partitionOf(project: string, dataset: string, ts: number): Partition {
  const iso = new Date(ts).toISOString();
  return { project, dataset, dt: iso.slice(0, 10), hr: Number(iso.slice(11, 13)) };
}

/** A stable string for grouping rows by partition. */
export function partitionId(p: Partition): string {
  return `${p.project}\u0000${p.dataset}\u0000${p.dt}\u0000${p.hr}`;
}

/**
 * `lake/{project}/{layer}/{dataset}/dt=YYYY-MM-DD/hr=HH/{file}.parquet`. Dataset names use only
 * `[A-Za-z0-9_.:-]` (the envelope's rule), so they are safe path segments.
 */
export function lakeKey(p: Partition, layer: Layer, file: string): string {
  return `lake/${p.project}/${layer}/${p.dataset}/dt=${p.dt}/hr=${String(p.hr).padStart(2, "0")}/${file}.parquet`;
}
