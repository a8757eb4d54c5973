// A window shard's windows (rev, closed), their groups' mergeable states and applied commits, over the
// tables of the shard's schema (./schema.ts).
import { z } from "zod";
import { jsonChunks } from "../../shared/json-chunks";
import type { Scalar } from "../../shared/live/fields";
import { GroupState, GroupStateJson } from "../../shared/live/group-state";
import { MAX_GROUPS_PER_WINDOW, OTHER_GROUP, type WindowPartial } from "../../shared/live/partials";
import type { StateGroup, StoredGroup } from "../../shared/live/render";
import { RETENTION_MS, WINDOW_MS, WINDOW_SIZES, type WindowSize } from "../../shared/live/window-size";

export type WindowRow = {
  start: number;
  rev: number;
  closed: number;
};

/** One window after a batch's merge: its row as stored now, and all its groups' merged states. */
export interface MergedWindow extends WindowRow {
  size: WindowSize;
  /** The window had closed before this batch (the merge is a correction). */
  correction: boolean;
  /** How many of the batch's partials were for this window (normally one). */
  occurrences: number;
  /** All the window's groups, in the order SQLite returns them (by key). */
  groups: StateGroup[];
}

/** Bound JSON text per write statement, well below a Durable Object's 2 MB string limit. */
const WRITE_CHUNK_CHARS = 512 * 1024;

/** SQLite's BINARY order of UTF-8 text, i.e. code-point order (JS `<` compares UTF-16 code units). */
function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      const fix = (c: number) => (c < 0xd800 ? c : c < 0xe000 ? c + 0x2000 : c - 0x800);
      return fix(x) - fix(y);
    }
  }
  return a.length - b.length;
}

interface GroupEntry extends StateGroup {
  /** Changed by this batch (written back). */
  dirty: boolean;
  /** A new group's partial as received (stored as received, as before), null once merged. */
  raw: GroupStateJson | null;
}

const GroupValues = z.array(z.union([z.string(), z.number(), z.boolean(), z.null()]));

/** Commit ids are remembered this long: far beyond any consumer retry of one batch's live call. */
const APPLIED_TTL_MS = 6 * 3_600_000;

export class WindowStore {
  constructor(private readonly sql: SqlStorage) {}

  /** Records `commitId`; false when it was recorded before (the batch is applied already). */
  markApplied(commitId: string, now: number): boolean {
    if (this.sql.exec("SELECT 1 FROM applied WHERE commit_id = ?", commitId).toArray().length > 0) return false;
    this.sql.exec("INSERT INTO applied (commit_id, at) VALUES (?, ?)", commitId, now);
    return true;
  }

  /**
   * Merges a batch's windows in a fixed number of statements: one read of the touched windows' rows,
   * one of their groups, then multi-row upserts of the changed groups and the windows (rev bumped once
   * per partial). The same result as merging each partial in turn in order, including `__other__` overflow.
   * A window first seen after `watermark` passed its end (a backfill's, or a late event's) is stored
   * closed at once: the alarm would only close it a moment later, with a second write and frame.
   */
  mergeAll(partials: WindowPartial[], watermark = Number.NEGATIVE_INFINITY): MergedWindow[] {
    const out = new Map<string, MergedWindow & { entries: Map<string, GroupEntry>; existed: boolean }>();
    const id = (size: string, start: number) => `${size}|${start}`;
    for (const w of partials) {
      const k = id(w.size, w.start);
      if (!out.has(k))
        out.set(k, {
          size: w.size,
          start: w.start,
          rev: 0,
          closed: 0,
          correction: false,
          occurrences: 0,
          groups: [],
          entries: new Map(),
          existed: false,
        });
    }
    if (out.size === 0) return [];
    const keys = JSON.stringify([...out.values()].map((w) => [w.size, w.start]));
    for (const r of this.sql.exec<{ size: string; start: number; rev: number; closed: number }>(
      `SELECT w.size, w.start, w.rev, w.closed FROM json_each(?) j JOIN windows w
         ON w.size = json_extract(j.value, '$[0]') AND w.start = json_extract(j.value, '$[1]')`,
      keys,
    )) {
      const m = out.get(id(r.size, r.start));
      if (!m) continue;
      m.existed = true;
      m.rev = r.rev;
      m.closed = r.closed;
      m.correction = r.closed === 1;
    }
    for (const r of this.sql.exec<{ size: string; start: number; gkey: string; gvals: string; state: string }>(
      `SELECT g.size, g.start, g.gkey, g.gvals, g.state FROM json_each(?) j JOIN groups g
         ON g.size = json_extract(j.value, '$[0]') AND g.start = json_extract(j.value, '$[1]')`,
      keys,
    )) {
      const m = out.get(id(r.size, r.start));
      if (!m) continue;
      m.entries.set(r.gkey, {
        key: r.gkey,
        values: JSON.parse(r.gvals) as Scalar[],
        state: GroupState.fromJSON(JSON.parse(r.state) as GroupStateJson),
        dirty: false,
        raw: null,
      });
    }
    for (const w of partials) {
      const m = out.get(id(w.size, w.start));
      if (!m) continue;
      for (const g of w.groups) {
        let key = g.key;
        let values = g.values;
        let e = m.entries.get(key);
        if (!e && m.entries.size >= MAX_GROUPS_PER_WINDOW) {
          key = OTHER_GROUP;
          values = values.map(() => OTHER_GROUP);
          e = m.entries.get(key);
        }
        if (!e) m.entries.set(key, { key, values, state: GroupState.fromJSON(g.state), raw: g.state, dirty: true });
        else {
          e.state.merge(GroupState.fromJSON(g.state));
          e.raw = null;
          e.dirty = true;
        }
      }
      // As merging each partial in turn: a new window starts at rev 1, each later merge bumps it.
      m.rev = m.existed || m.occurrences > 0 ? m.rev + 1 : 1;
      m.occurrences++;
    }
    const groupRows: unknown[] = [];
    const windowRows: unknown[] = [];
    const result: MergedWindow[] = [];
    for (const m of out.values()) {
      for (const e of m.entries.values()) {
        if (!e.dirty) continue;
        const json = JSON.stringify(e.raw ?? e.state.toJSON());
        groupRows.push([m.size, m.start, e.key, JSON.stringify(e.values), json]);
      }
      const end = m.start + WINDOW_MS[m.size];
      if (!m.existed && end <= watermark) m.closed = 1;
      windowRows.push([m.size, m.start, end, m.rev, m.closed]);
      const groups = [...m.entries.values()]
        .sort((a, b) => byCodePoint(a.key, b.key))
        .map(({ key, values, state }) => ({ key, values, state }));
      result.push({
        size: m.size,
        start: m.start,
        rev: m.rev,
        closed: m.closed,
        correction: m.correction,
        occurrences: m.occurrences,
        groups,
      });
    }
    this.writeChunked(
      `INSERT INTO groups (size, start, gkey, gvals, state)
       SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
              json_extract(value, '$[3]'), json_extract(value, '$[4]') FROM json_each(?) WHERE true
       ON CONFLICT (size, start, gkey) DO UPDATE SET state = excluded.state`,
      groupRows,
    );
    this.writeChunked(
      `INSERT INTO windows (size, start, end_ms, rev, closed)
       SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
              json_extract(value, '$[3]'), json_extract(value, '$[4]') FROM json_each(?) WHERE true
       ON CONFLICT (size, start) DO UPDATE SET rev = excluded.rev`,
      windowRows,
    );
    return result;
  }

  /** Runs `statement` (one `?`: a JSON array of rows) over `rows` in chunks of bounded text. */
  private writeChunked(statement: string, rows: unknown[]): void {
    for (const json of jsonChunks(rows, WRITE_CHUNK_CHARS)) this.sql.exec(statement, json);
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
    // One statement however many windows are due (a backfill makes thousands due at once); RETURNING
    // has no order, so the earliest-ending-first order of the selection is restored here.
    const due = this.sql
      .exec<{ size: WindowSize; start: number; end_ms: number }>(
        `UPDATE windows SET closed = 1, rev = rev + 1 WHERE (size, start) IN
           (SELECT size, start FROM windows WHERE closed = 0 AND end_ms <= ? ORDER BY end_ms LIMIT ?)
         RETURNING size, start, end_ms`,
        watermark,
        limit,
      )
      .toArray();
    due.sort((a, b) => a.end_ms - b.end_ms || a.start - b.start);
    return due.map(({ size, start }) => ({ size, start }));
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
}
