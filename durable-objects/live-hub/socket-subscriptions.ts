// A hub's subscriptions: rows in SQLite (the truth, which survives hibernation) and an index
// subscription key → filter → sockets (a cache, rebuilt from the rows and the sockets' attachments).
import { z } from "zod";
import { getOrInsert } from "../../shared/collections";
import { filterFrame, type SubscriptionFilter, SubscriptionFilterSchema } from "../../shared/live/frames";
import type { Published } from "../../shared/live/live-rpc";

/** What a socket carries through hibernation: who it is. */
export const Attachment = z.object({
  sid: z.string(),
  project: z.string(),
  /** The principal (key or user id) whose credential opened the socket. */
  keyId: z.string(),
  requestId: z.string(),
  /** Set when the hub closed the socket because its credential was revoked (its seat is already released). */
  revoked: z.boolean().optional(),
});
export type Attachment = z.infer<typeof Attachment>;

interface SubGroup {
  filter: SubscriptionFilter | undefined;
  sockets: Set<WebSocket>;
}

/** Over the `subs` table of the hub's schema (./schema.ts). */
export class SocketSubscriptions {
  private index: Map<string, Map<string, SubGroup>> | null = null;

  constructor(
    private readonly sql: SqlStorage,
    private readonly sockets: () => WebSocket[],
  ) {}

  count(sid: string): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM subs WHERE sid = ?", sid).one().n;
  }

  has(sid: string, key: string): boolean {
    return this.sql.exec("SELECT 1 FROM subs WHERE sid = ? AND key = ?", sid, key).toArray().length > 0;
  }

  /** Subscribes (or re-filters) `ws` to `key`. */
  add(ws: WebSocket, sid: string, key: string, filter: SubscriptionFilter | undefined): void {
    const filterJson = JSON.stringify(filter ?? null);
    this.sql.exec(
      "INSERT INTO subs (sid, key, filter) VALUES (?, ?, ?) ON CONFLICT (sid, key) DO UPDATE SET filter = excluded.filter",
      sid,
      key,
      filterJson,
    );
    this.unindex(ws, key);
    this.indexSocket(ws, key, filterJson, filter);
  }

  remove(ws: WebSocket, sid: string, key: string): void {
    this.sql.exec("DELETE FROM subs WHERE sid = ? AND key = ?", sid, key);
    this.unindex(ws, key);
  }

  /** Drops every subscription of a socket that closed or failed. */
  forget(ws: WebSocket): void {
    const a = Attachment.safeParse(ws.deserializeAttachment());
    if (a.success) this.sql.exec("DELETE FROM subs WHERE sid = ?", a.data.sid);
    if (this.index) for (const key of [...this.index.keys()]) this.unindex(ws, key);
  }

  /**
   * Sends each item once per socket, serialised once per distinct filter. `send` never waits for a
   * socket, so a slow one delays no other; a socket that throws is forgotten.
   */
  deliver(items: Published[]): number {
    const index = this.built();
    let delivered = 0;
    for (const item of items) {
      const reached = new Set<WebSocket>();
      for (const key of item.keys) {
        for (const group of index.get(key)?.values() ?? []) {
          const frame = filterFrame(item.frame, group.filter);
          if (!frame) continue;
          const text = JSON.stringify(frame);
          for (const ws of group.sockets) {
            if (reached.has(ws)) continue;
            reached.add(ws);
            try {
              ws.send(text);
              delivered++;
            } catch {
              this.forget(ws);
            }
          }
        }
      }
    }
    return delivered;
  }

  /** The index, rebuilt from SQLite and the attachments after a wake; rows of gone sockets are dropped. */
  private built(): Map<string, Map<string, SubGroup>> {
    if (this.index) return this.index;
    this.index = new Map();
    const bySid = new Map<string, WebSocket>();
    for (const ws of this.sockets()) {
      const a = Attachment.safeParse(ws.deserializeAttachment());
      if (a.success) bySid.set(a.data.sid, ws);
    }
    const rows = this.sql
      .exec<{ sid: string; key: string; filter: string }>("SELECT sid, key, filter FROM subs")
      .toArray();
    for (const r of rows) {
      const ws = bySid.get(r.sid);
      if (!ws) {
        this.sql.exec("DELETE FROM subs WHERE sid = ?", r.sid);
        continue;
      }
      const filter = SubscriptionFilterSchema.nullable().parse(JSON.parse(r.filter)) ?? undefined;
      this.indexSocket(ws, r.key, r.filter, filter);
    }
    return this.index;
  }

  private indexSocket(ws: WebSocket, key: string, filterJson: string, filter: SubscriptionFilter | undefined): void {
    // Built on the first subscription rather than the first update, so that update is not the slow one.
    const index = this.index ?? this.built();
    const byFilter = getOrInsert(index, key, () => new Map<string, SubGroup>());
    getOrInsert(byFilter, filterJson, () => ({ filter, sockets: new Set<WebSocket>() })).sockets.add(ws);
  }

  private unindex(ws: WebSocket, key: string): void {
    const byFilter = this.index?.get(key);
    if (!byFilter) return;
    for (const [f, group] of byFilter) {
      group.sockets.delete(ws);
      if (group.sockets.size === 0) byFilter.delete(f);
    }
    if (byFilter.size === 0) this.index?.delete(key);
  }
}
