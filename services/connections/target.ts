// Where a connection URL points: a `postgres://` URL as written, or `hyperdrive://BINDING`, a
// Hyperdrive binding of this Worker (production: pooled, close to the database, credentials kept by
// Cloudflare). The binding's connection string is read at connect time: its host is only valid in
// the running invocation.
import { type PostgresTarget, parsePostgresUrl } from "../../shared/connections/postgres-url";
import { TarnError } from "../../shared/errors";

const HYPERDRIVE = /^hyperdrive:\/\/([A-Za-z_][A-Za-z0-9_]*)\/?$/;

export interface ResolvedTarget {
  target: PostgresTarget;
  /** What the API shows as the host (a Hyperdrive's per-invocation host means nothing later). */
  shownHost: string;
}

export function resolveTarget(env: object, url: string): ResolvedTarget {
  const binding = HYPERDRIVE.exec(url.trim())?.[1];
  if (!binding) {
    const target = parsePostgresUrl(url);
    return { target, shownHost: target.host };
  }
  const hyperdrive = (env as Record<string, unknown>)[binding] as Partial<Hyperdrive> | undefined;
  if (typeof hyperdrive?.connectionString !== "string") {
    throw new TarnError(
      "VALIDATION_ERROR",
      `this Worker has no Hyperdrive binding named ${binding} (wrangler.toml [[hyperdrive]])`,
      {
        details: { field: "url" },
      },
    );
  }
  // Hyperdrive terminates TLS itself: the Worker speaks plain to it.
  const target = { ...parsePostgresUrl(hyperdrive.connectionString.replace(/\?.*$/, "")), ssl: "disable" as const };
  return { target, shownHost: `hyperdrive:${binding}` };
}
