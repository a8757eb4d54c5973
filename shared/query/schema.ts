// The columns every table exposes: the lake's columns, with their SQL types.

import { LAKE_COLUMNS } from "../lake/lake-row";
import type { ColumnInfo } from "./bind-expr";

/** `events` and every per-event-type table have these columns, in this order. */
export const TABLE_COLUMNS: ColumnInfo[] = LAKE_COLUMNS.map((c) => ({ name: c.name, type: c.type }));

/** The table of all events; every other name is an event type (a dataset). */
export const EVENTS_TABLE = "events";

/** `datasets.<name>` always names the event type's own table (so a type called `events` is reachable). */
export const DATASETS_SCHEMA = "datasets";

const PLAIN = /^[a-z_][a-z0-9_]*$/;

/**
 * How SQL names a dataset's table: the bare name when it is a plain identifier, quoted otherwise
 * (`"page.view"`), and `datasets."events"` for an event type called `events`.
 * @example sqlTableName("page.view") // '"page.view"'
 */
export function sqlTableName(dataset: string): string {
  const quoted = PLAIN.test(dataset) ? dataset : `"${dataset.replace(/"/g, '""')}"`;
  return dataset.toLowerCase() === EVENTS_TABLE ? `${DATASETS_SCHEMA}.${quoted}` : quoted;
}
