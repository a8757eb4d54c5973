// The columns every table exposes: the lake's columns, with their SQL types.

import { LAKE_COLUMNS } from "../lake/lake-row";
import type { ColumnInfo } from "./bind-expr";

/** `events` and every per-event-type table have these columns, in this order. */
export const TABLE_COLUMNS: ColumnInfo[] = LAKE_COLUMNS.map((c) => ({ name: c.name, type: c.type }));

/** The table of all events; every other name is an event type (a dataset). */
export const EVENTS_TABLE = "events";
