// Starts the PostgreSQL server the import tests read from (test/pg-server.ts) before the workers
// tests, and hands its address to them (`inject("postgres")`).
import type { TestProject } from "vitest/node";
import { startPostgres } from "../pg-server";

export interface PgAddress {
  /** Why no server runs (PostgreSQL not installed or failed to start); the import tests then fail with it. */
  error?: string;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    postgres: PgAddress;
  }
}

export default async function setup(project: TestProject) {
  let pg: Awaited<ReturnType<typeof startPostgres>>;
  try {
    pg = await startPostgres();
  } catch (err) {
    // The other workers tests do not need it: only the import tests fail, saying why.
    const error = String(err instanceof Error ? err.message : err);
    project.provide("postgres", { error, host: "", port: 0, user: "", password: "", database: "" });
    return;
  }
  project.provide("postgres", {
    host: "127.0.0.1",
    port: pg.port,
    user: pg.user,
    password: pg.password,
    database: pg.database,
  });
  return () => pg.stop();
}
