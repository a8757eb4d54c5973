// The TCP socket the `postgres` driver talks through (its `socket` option): workerd's
// cloudflare:sockets behind the small Node-socket surface the driver uses (on/once/emit, write, end,
// destroy, readyState). Written here rather than using the driver's own workerd socket for two
// reasons: that socket re-emits a read error after the driver has dropped its listeners, which throws
// as an unhandled rejection on every close (porsager/postgres#1202); and TLS is negotiated here
// (PostgreSQL's SSLRequest, then startTls) so sslmode is honoured exactly.
import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";
import type { PostgresTarget } from "../../shared/connections/postgres-url";

/** SSLRequest: length 8, then the magic code 80877103. */
const SSL_REQUEST = new Uint8Array([0, 0, 0, 8, 4, 210, 22, 47]);

export class PgSocket extends EventEmitter {
  readyState: "open" | "closed" = "open";
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;

  constructor(private readonly raw: Socket) {
    super();
    this.writer = raw.writable.getWriter();
    this.reader = raw.readable.getReader();
    raw.closed.then(
      () => this.close(),
      (err) => this.fail(err),
    );
    void this.pump();
  }

  write(data: Uint8Array, done?: () => void): boolean {
    this.writer.write(data).then(
      () => done?.(),
      (err) => this.fail(err),
    );
    return true;
  }

  end(data?: Uint8Array): void {
    if (data) this.write(data, () => void this.raw.close().catch(() => undefined));
    else void this.raw.close().catch(() => undefined);
  }

  destroy(): void {
    this.end();
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const { done, value } = await this.reader.read();
        if (done) break;
        this.emit("data", Buffer.from(value));
      }
      this.close();
    } catch (err) {
      this.fail(err);
    }
  }

  /** A failure is reported only to a listener still there (the driver lets go when it closes). */
  private fail(err: unknown): void {
    if (this.readyState !== "closed" && this.listenerCount("error") > 0) this.emit("error", err);
    this.close();
  }

  private close(): void {
    if (this.readyState === "closed") return;
    this.readyState = "closed";
    this.emit("close");
  }
}

/** Reads the one-byte answer to an SSLRequest. */
async function sslAnswer(socket: Socket): Promise<string> {
  const writer = socket.writable.getWriter();
  await writer.write(SSL_REQUEST);
  writer.releaseLock();
  const reader = socket.readable.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  const byte = value?.length === 1 ? value[0] : undefined;
  if (byte === undefined) throw new Error("the server broke off the TLS negotiation");
  return String.fromCharCode(byte);
}

/** Connects (and, unless sslmode=disable, asks for TLS: `require` fails without it, `prefer` goes on plain). */
export async function openPgSocket(target: PostgresTarget): Promise<PgSocket> {
  // Imported when first used, so the app's module graph (loaded by Node for the OpenAPI checks) has
  // no static import of a workerd-only module.
  const { connect } = await import("cloudflare:sockets");
  const address = { hostname: target.host, port: target.port };
  if (target.ssl === "disable") {
    const plain = connect(address);
    await plain.opened;
    return new PgSocket(plain);
  }
  const socket = connect(address, { secureTransport: "starttls", allowHalfOpen: false });
  await socket.opened;
  const answer = await sslAnswer(socket);
  if (answer === "S") {
    const secure = socket.startTls({ expectedServerHostname: target.host });
    try {
      await secure.opened;
    } catch (err) {
      // As libpq's `prefer`: a TLS connection that fails is tried again without TLS.
      if (target.ssl === "prefer") return openPgSocket({ ...target, ssl: "disable" });
      // workerd reports a failed handshake as an opaque internal error: say what it was.
      throw new Error(
        `the TLS handshake failed (is the server's certificate valid for ${target.host} and signed by a public CA?): ${String(err instanceof Error ? err.message : err)}`,
      );
    }
    return new PgSocket(secure);
  }
  if (target.ssl === "require") {
    await socket.close().catch(() => undefined);
    throw new Error("the server does not offer TLS (sslmode=require)");
  }
  return new PgSocket(socket);
}
