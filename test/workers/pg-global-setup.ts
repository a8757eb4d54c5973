// Starts the PostgreSQL server the import tests read from (test/pg-server.ts) before the workers
// tests, and hands its address to them (`inject("postgres")`).
import type { TestProject } from "vitest/node";
import { startPostgres } from "../pg-server";

export interface PgAddress {
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
  const pg = await startPostgres();
  project.provide("postgres", {
    host: "127.0.0.1",
    port: pg.port,
    user: pg.user,
    password: pg.password,
    database: pg.database,
  });
  return () => pg.stop();
}
