// A window shard's SQLite tables: windows (rev, closed), their groups' mergeable states, applied commits.
import { z } from "zod";
import { GroupStateJson, mergeStateJson } from "../../shared/live/group-state";
import { MAX_GROUPS_PER_WINDOW, OTHER_GROUP, type WindowPartial } from "../../shared/live/partials";
import type { StoredGroup } from "../../shared/live/render";
import { RETENTION_MS, WINDOW_MS, WINDOW_SIZES, type WindowSize } from "../../shared/live/window-size";

export type WindowRow = {
  start: number;
  rev: number;
  closed: number;
};

const GroupValues = z.array(z.union([z.string(), z.number(), z.boolean(), z.null()]));

/** Commit ids are remembered this long: far beyond any consumer retry of one batch's live call. */
const APPLIED_TTL_MS = 6 * 3_600_000;

export class WindowStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS windows (
        size TEXT NOT NULL, start INTEGER NOT NULL, end_ms INTEGER NOT NULL,
        rev INTEGER NOT NULL, closed INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (size, start)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS windows_open ON windows (closed, end_ms);
      CREATE TABLE IF NOT EXISTS groups (
        size TEXT NOT NULL, start INTEGER NOT NULL, gkey TEXT NOT NULL, gvals TEXT NOT NULL, state TEXT NOT NULL,
        PRIMARY KEY (size, start, gkey)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS applied (commit_id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS applied_at ON applied (at);`);
  }

  /** Records `commitId`; false when it was recorded before (the batch is applied already). */
  markApplied(commitId: string, now: number): boolean {
    if (this.sql.exec("SELECT 1 FROM applied WHERE commit_id = ?", commitId).toArray().length > 0) return false;
    this.sql.exec("INSERT INTO applied (commit_id, at) VALUES (?, ?)", commitId, now);
    return true;
  }

  /** Merges one window's groups and bumps its rev; true when the window had already closed (a correction). */
  merge(w: WindowPartial): boolean {
    const row = this.sql
      .exec<{ closed: number }>("SELECT closed FROM windows WHERE size = ? AND start = ?", w.size, w.start)
      .toArray()[0];
    let groups = row
      ? this.sql
          .exec<{ n: number }>("SELECT count(*) AS n FROM groups WHERE size = ? AND start = ?", w.size, w.start)
          .one().n
      : 0;
    for (const g of w.groups) {
      let key = g.key;
      let values = g.values;
      let stored = this.state(w.size, w.start, key);
      if (stored === null && groups >= MAX_GROUPS_PER_WINDOW) {
        key = OTHER_GROUP;
        values = values.map(() => OTHER_GROUP);
        stored = this.state(w.size, w.start, key);
      }
      if (stored === null) groups++;
      const state = stored === null ? g.state : mergeStateJson(stored, g.state);
      this.sql.exec(
        `INSERT INTO groups (size, start, gkey, gvals, state) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (size, start, gkey) DO UPDATE SET state = excluded.state`,
        w.size,
        w.start,
        key,
        JSON.stringify(values),
        JSON.stringify(state),
      );
    }
    if (row) this.sql.exec("UPDATE windows SET rev = rev + 1 WHERE size = ? AND start = ?", w.size, w.start);
    else
      this.sql.exec(
        "INSERT INTO windows (size, start, end_ms, rev, closed) VALUES (?, ?, ?, 1, 0)",
        w.size,
        w.start,
        w.start + WINDOW_MS[w.size],
      );
    return row?.closed === 1;
  }

  /** The stored groups of one window (none when it has no events). */
  groups(size: WindowSize, start: number): StoredGroup[] {
    return this.sql
      .exec<{ gkey: string; gvals: string; state: string }>(
        "SELECT gkey, gvals, state FROM groups WHERE size = ? AND start = ?",
        size,
        start,
      )
      .toArray()
      .map((r) => ({
        key: r.gkey,
        values: GroupValues.parse(JSON.parse(r.gvals)),
        state: GroupStateJson.parse(JSON.parse(r.state)),
      }));
  }

  row(size: WindowSize, start: number): WindowRow {
    return this.sql
      .exec<WindowRow>("SELECT start, rev, closed FROM windows WHERE size = ? AND start = ?", size, start)
      .one();
  }

  /** The latest `n` windows of `size`, oldest first. */
  latest(size: WindowSize, n: number): WindowRow[] {
    return this.sql
      .exec<WindowRow>(
        "SELECT start, rev, closed FROM windows WHERE size = ? ORDER BY start DESC LIMIT ?",
        size,
        Math.max(0, Math.min(1000, n)),
      )
      .toArray()
      .reverse();
  }

  /** Closed windows of `size` with `from` ≤ start < `to`, oldest first. */
  closed(size: WindowSize, from: number, to: number, limit: number): WindowRow[] {
    return this.sql
      .exec<WindowRow>(
        "SELECT start, rev, closed FROM windows WHERE size = ? AND closed = 1 AND start >= ? AND start < ? ORDER BY start LIMIT ?",
        size,
        from,
        to,
        limit,
      )
      .toArray();
  }

  /** Closes up to `limit` open windows that ended at or before `watermark`; returns them. */
  closeDue(watermark: number, limit: number): { size: WindowSize; start: number }[] {
    const due = this.sql
      .exec<{ size: WindowSize; start: number }>(
        "SELECT size, start FROM windows WHERE closed = 0 AND end_ms <= ? ORDER BY end_ms LIMIT ?",
        watermark,
        limit,
      )
      .toArray();
    for (const w of due)
      this.sql.exec("UPDATE windows SET closed = 1, rev = rev + 1 WHERE size = ? AND start = ?", w.size, w.start);
    return due;
  }

  /** The earliest end of an open window, or null. */
  earliestOpenEnd(): number | null {
    return this.sql.exec<{ e: number | null }>("SELECT min(end_ms) AS e FROM windows WHERE closed = 0").one().e;
  }

  isEmpty(): boolean {
    return this.sql.exec("SELECT 1 FROM windows LIMIT 1").toArray().length === 0;
  }

  /** Drops windows past their size's retention, and commit ids past theirs. */
  prune(now: number): void {
    for (const size of WINDOW_SIZES) {
      // The same horizon as isBeyondRetention: start + size < now − retention.
      const horizon = now - WINDOW_MS[size] - RETENTION_MS[size];
      this.sql.exec("DELETE FROM groups WHERE size = ? AND start < ?", size, horizon);
      this.sql.exec("DELETE FROM windows WHERE size = ? AND start < ? AND closed = 1", size, horizon);
    }
    this.sql.exec("DELETE FROM applied WHERE at < ?", now - APPLIED_TTL_MS);
  }

  clear(): void {
    this.sql.exec("DELETE FROM windows");
    this.sql.exec("DELETE FROM groups");
  }

  private state(size: WindowSize, start: number, key: string): GroupStateJson | null {
    const raw = this.sql
      .exec<{ state: string }>("SELECT state FROM groups WHERE size = ? AND start = ? AND gkey = ?", size, start, key)
      .toArray()[0]?.state;
    return raw === undefined ? null : GroupStateJson.parse(JSON.parse(raw));
  }
}
