// LiveHub: holds a project's dashboard WebSockets (hibernation API) and fans updates out to them; hub 0
// is the root of the project's fan-out tree and assigns sockets to hubs, so viewers scale past one object.
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { countSocketClosed } from "../../services/metrics/ingest-counts";
import { hubStub } from "../../services/stubs/live-hub";
import { windowStub } from "../../services/stubs/window-shard";
import { type ErrorCode, errorEnvelope } from "../../shared/errors";
import { readLiveConfig } from "../../shared/live/config";
import { assignHub, childrenOf } from "../../shared/live/fanout";
import {
  filterFrame,
  isWindowless,
  PING_FRAME,
  PONG_FRAME,
  parseClientFrame,
  type ServerFrame,
  SubscriptionFilterSchema,
  subscriptionKey,
} from "../../shared/live/frames";
import {
  CONNECT_HEADERS,
  MAX_TAGGED_SUBSCRIPTIONS,
  type Published,
  type ShardWindow,
} from "../../shared/live/live-rpc";
import { EVENTS_METRIC } from "../../shared/live/metric-def";
import type { WindowSize } from "../../shared/live/window-size";
import { migrateSchema } from "../sqlite-schema";
import { LIVE_HUB_SCHEMA } from "./schema";
import { Attachment, SocketSubscriptions } from "./socket-subscriptions";

export class LiveHub extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly subs: SocketSubscriptions;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrateSchema(ctx.storage, LIVE_HUB_SCHEMA);
    this.subs = new SocketSubscriptions(this.sql, () => ctx.getWebSockets());
    // Pings are answered by the runtime without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_FRAME, PONG_FRAME));
  }

  /** Accepts a dashboard socket forwarded by `GET /v1/live` (which authenticated it). */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") return new Response(null, { status: 426 });
    const project = request.headers.get(CONNECT_HEADERS.project) ?? "";
    const index = Number(request.headers.get(CONNECT_HEADERS.hub) ?? "0");
    if (!this.claimIdentity(project, index)) return new Response(null, { status: 403 });
    const initial = z
      .array(z.object({ stream: z.string(), window: z.string().optional() }))
      .max(MAX_TAGGED_SUBSCRIPTIONS)
      .parse(JSON.parse(request.headers.get(CONNECT_HEADERS.subscribe) ?? "[]"));
    const attachment: Attachment = {
      sid: crypto.randomUUID(),
      project,
      keyId: request.headers.get(CONNECT_HEADERS.key) ?? "",
      requestId: request.headers.get("X-Request-Id") ?? "",
    };
    const { 0: client, 1: server } = new WebSocketPair();
    const tags = [`p:${project}`, ...initial.map((s) => `s:${subscriptionKey(s.stream, s.window as WindowSize)}`)];
    this.ctx.acceptWebSocket(server, tags);
    server.serializeAttachment(attachment);
    for (const s of initial) await this.onFrame(server, attachment, { action: "subscribe", ...s });
    return new Response(null, { status: 101, webSocket: client });
  }

  // --- the root: socket assignment -----------------------------------------------------------

  /** Root only: the hub a new socket should join, its seat reserved. */
  assign(project: string, capacity: number): number {
    this.mustBe(project, 0);
    const counts = this.sql
      .exec<{ idx: number; sockets: number }>("SELECT idx, sockets FROM hubs ORDER BY idx")
      .toArray()
      .map((r) => r.sockets);
    const index = assignHub(counts, capacity);
    this.sql.exec(
      "INSERT INTO hubs (idx, sockets) VALUES (?, 1) ON CONFLICT (idx) DO UPDATE SET sockets = sockets + 1",
      index,
    );
    return index;
  }

  /** Root only: a socket of hub `index` left (or never arrived). */
  release(index: number): void {
    this.sql.exec("UPDATE hubs SET sockets = max(0, sockets - 1) WHERE idx = ?", index);
  }

  /** Root only: sockets per hub, for operators and tests. */
  hubs(): { index: number; sockets: number }[] {
    return this.sql
      .exec<{ idx: number; sockets: number }>("SELECT idx, sockets FROM hubs ORDER BY idx")
      .toArray()
      .map((r) => ({ index: r.idx, sockets: r.sockets }));
  }

  // --- fan-out --------------------------------------------------------------------------------

  /** Root entry point for window shards: delivers to this hub's sockets and down the tree. */
  async publish(project: string, items: Published[]): Promise<number> {
    if (!this.claimIdentity(project, 0)) return this.refuse(project, 0);
    const hubCount = this.sql.exec<{ n: number | null }>("SELECT max(idx) + 1 AS n FROM hubs").one().n ?? 1;
    return this.relay(project, 0, hubCount, items);
  }

  /** Delivers to this hub's sockets after starting the children, so depth costs one hop, not a subtree. */
  async relay(project: string, index: number, hubCount: number, items: Published[]): Promise<number> {
    if (!this.claimIdentity(project, index)) return this.refuse(project, index);
    const fanout = readLiveConfig(this.env).hubFanout;
    const children = childrenOf(index, fanout, hubCount).map((c) =>
      hubStub(this.env, project, c).relay(project, c, hubCount, items),
    );
    let delivered = this.subs.deliver(items);
    for (const r of await Promise.allSettled(children)) {
      if (r.status === "fulfilled") delivered += r.value;
      else console.error(JSON.stringify({ level: "error", msg: "hub relay failed", project, error: String(r.reason) }));
    }
    return delivered;
  }

  /** Sockets attached to this hub (not its children). */
  socketCount(): number {
    return this.ctx.getWebSockets().length;
  }

  // --- socket events (the hibernation API wakes the object for these) -------------------------

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const attachment = Attachment.parse(ws.deserializeAttachment());
    if (typeof message !== "string") return this.sendError(ws, attachment, "VALIDATION_ERROR", "send text frames");
    let raw: unknown;
    try {
      raw = JSON.parse(message);
    } catch {
      return this.sendError(ws, attachment, "INVALID_JSON", "a frame must be a JSON object");
    }
    const parsed = parseClientFrame(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join(".") || "frame";
      return this.sendError(ws, attachment, "VALIDATION_ERROR", `${field}: ${issue?.message ?? "invalid frame"}`, {
        issues: parsed.error.issues.map((i) => ({ field: i.path.join("."), message: i.message })),
      });
    }
    await this.onFrame(ws, attachment, parsed.data);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.subs.forget(ws);
    try {
      ws.close(code === 1005 ? 1000 : code, reason);
    } catch {
      // already closed (the runtime may have answered the close frame itself)
    }
    if (!Attachment.parse(ws.deserializeAttachment()).revoked) await this.releaseSeat();
  }

  // --- revocation (a key revoked, a user disabled, deleted or changed) -----------------------

  /** Root entry point: closes `principal`'s sockets on every hub of the project; returns how many. */
  async closePrincipal(project: string, principal: string): Promise<number> {
    if (!this.claimIdentity(project, 0)) return this.refuse(project, 0);
    const hubCount = this.sql.exec<{ n: number | null }>("SELECT max(idx) + 1 AS n FROM hubs").one().n ?? 1;
    const others = [];
    for (let i = 1; i < hubCount; i++) others.push(hubStub(this.env, project, i).closeOwn(project, i, principal));
    let closed = await this.closeOwn(project, 0, principal);
    for (const n of await Promise.all(others)) closed += n;
    return closed;
  }

  /** Closes this hub's sockets of `principal` with 1008 (policy violation) after an error frame saying why. */
  async closeOwn(project: string, index: number, principal: string): Promise<number> {
    if (!this.claimIdentity(project, index)) return this.refuse(project, index);
    let closed = 0;
    for (const ws of this.ctx.getWebSockets()) {
      const attachment = Attachment.parse(ws.deserializeAttachment());
      if (attachment.keyId !== principal || attachment.revoked) continue;
      this.sendError(ws, attachment, "UNAUTHORIZED", "the credential of this socket was revoked");
      ws.serializeAttachment({ ...attachment, revoked: true });
      this.subs.forget(ws);
      try {
        ws.close(1008, "credential revoked");
      } catch {
        // already closing
      }
      await this.releaseSeat();
      closed++;
    }
    return closed;
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.subs.forget(ws);
    if (!Attachment.parse(ws.deserializeAttachment()).revoked) await this.releaseSeat();
  }

  // ---------------------------------------------------------------------------------------------

  private async onFrame(ws: WebSocket, attachment: Attachment, input: unknown): Promise<void> {
    const frame = parseClientFrame(input);
    if (!frame.success) {
      const issue = frame.error.issues[0];
      return this.sendError(ws, attachment, "VALIDATION_ERROR", `${issue?.path.join(".")}: ${issue?.message}`);
    }
    const f = frame.data;
    if (f.action === "ping") return this.send(ws, { type: "pong" });
    const key = subscriptionKey(f.stream, f.window);
    const window = isWindowless(f.stream) ? null : (f.window ?? null);
    if (f.action === "unsubscribe") {
      this.subs.remove(ws, attachment.sid, key);
      return this.send(ws, {
        type: "unsubscribed",
        stream: f.stream,
        window,
        subscriptions: this.subs.count(attachment.sid),
      });
    }
    const limit = readLiveConfig(this.env).maxSubscriptions;
    if (!this.subs.has(attachment.sid, key) && this.subs.count(attachment.sid) >= limit) {
      return this.sendError(ws, attachment, "VALIDATION_ERROR", `at most ${limit} subscriptions per socket`, {
        limit,
      });
    }
    // Subscribe before reading the snapshot: an update racing it still arrives, and `rev` orders the two.
    const filter = f.filter ? SubscriptionFilterSchema.parse(f.filter) : undefined;
    this.subs.add(ws, attachment.sid, key, filter);
    if (window === null) {
      return this.send(ws, {
        type: "subscribed",
        stream: f.stream,
        window: null,
        subscriptions: this.subs.count(attachment.sid),
      });
    }
    let windows: ShardWindow[] | null = await windowStub(this.env, attachment.project, f.stream).recent(window, f.last);
    // The built-in stream's shard learns its definition from its first batch; before that it is empty.
    if (windows === null && f.stream === EVENTS_METRIC.name && EVENTS_METRIC.windows.includes(window)) windows = [];
    if (windows === null) {
      this.subs.remove(ws, attachment.sid, key);
      return this.sendError(ws, attachment, "NOT_FOUND", `no stream ${f.stream} with ${window} windows`, {
        stream: f.stream,
        window,
      });
    }
    this.send(ws, { type: "subscribed", stream: f.stream, window, subscriptions: this.subs.count(attachment.sid) });
    const snapshot = filterFrame(
      { type: "snapshot", stream: f.stream, size: window, windows, timestamp: new Date().toISOString() },
      filter,
    );
    if (snapshot) this.send(ws, snapshot);
  }

  private async releaseSeat(): Promise<void> {
    countSocketClosed(this.env, (p) => this.ctx.waitUntil(p));
    const project = this.meta("project");
    const index = Number(this.meta("index") ?? "0");
    if (!project) return;
    try {
      if (index === 0) this.release(0);
      else await hubStub(this.env, project, 0).release(index);
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "hub seat release failed", project, error: String(err) }));
    }
  }

  /** A hub serves one project at one index for life; anything else is refused. */
  private claimIdentity(project: string, index: number): boolean {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(project) || !Number.isInteger(index) || index < 0) return false;
    const current = this.meta("project");
    if (current === null) {
      this.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('project', ?), ('index', ?)", project, String(index));
      return true;
    }
    return current === project && this.meta("index") === String(index);
  }

  private mustBe(project: string, index: number): void {
    if (!this.claimIdentity(project, index)) throw new Error(`hub is not hub ${index} of ${project}`);
  }

  /** An update addressed to another project's hub is dropped, never delivered. */
  private refuse(project: string, index: number): number {
    console.error(JSON.stringify({ level: "error", msg: "update for another hub refused", project, index }));
    return 0;
  }

  private meta(k: string): string | null {
    return this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", k).toArray()[0]?.v ?? null;
  }

  private send(ws: WebSocket, frame: ServerFrame): void {
    try {
      ws.send(JSON.stringify(frame));
    } catch {
      this.subs.forget(ws);
    }
  }

  private sendError(
    ws: WebSocket,
    a: Attachment,
    code: ErrorCode,
    message: string,
    details: Record<string, unknown> = {},
  ): void {
    this.send(ws, { type: "error", error: errorEnvelope(code, message, a.requestId, details).error });
  }
}
