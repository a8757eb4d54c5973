// LiveHub's SQLite tables, every version of them: the one place they are created.
import type { SchemaStep } from "../sqlite-schema";

export const LIVE_HUB_SCHEMA: readonly SchemaStep[] = [
  {
    version: 1,
    description: "identity (meta), the root's seats per hub, sockets' subscriptions (the tables as first deployed)",
    up: (sql) => {
      sql.exec(`CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS hubs (idx INTEGER PRIMARY KEY, sockets INTEGER NOT NULL);`);
      sql.exec(`CREATE TABLE IF NOT EXISTS subs (sid TEXT NOT NULL, key TEXT NOT NULL, filter TEXT NOT NULL,
        PRIMARY KEY (sid, key)) WITHOUT ROWID`);
    },
  },
];
