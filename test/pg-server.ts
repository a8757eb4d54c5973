// A real PostgreSQL server for the import tests (Debian's package): a fresh cluster in a temp
// directory on a free loopback port, trust auth for the superuser and password auth for `tarn`,
// TLS offered with a self-signed certificate.
// Started by the tests' set-up and removed when they end.
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export interface PgServer {
  port: number;
  /** A role that logs in with a password (the imports' connection uses it). */
  user: string;
  password: string;
  database: string;
  /** Runs SQL as the superuser through psql (seeding test tables). */
  psql(sql: string): string;
  stop(): void;
}

/** The directory of initdb, pg_ctl and psql: Debian's versioned one (newest), else one on PATH. */
function pgBin(): string {
  const tools = ["initdb", "pg_ctl", "psql"];
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const candidates = [...versions.map((v) => path.join(root, v, "bin")), ...(process.env.PATH ?? "").split(":")];
  const found = candidates.find((dir) => tools.every((t) => existsSync(path.join(dir, t))));
  if (!found) throw new Error("PostgreSQL is not installed (apt-get install -y postgresql)");
  return found;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** PostgreSQL refuses to run as root: then the cluster belongs to the `postgres` OS user. */
function osUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
  return { uid, gid };
}

export async function startPostgres(): Promise<PgServer> {
  const bin = pgBin();
  const owner = osUser();
  const dir = mkdtempSync(path.join(tmpdir(), "tarn-pg-"));
  chmodSync(dir, 0o755);
  const data = path.join(dir, "data");
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const as = owner ? { uid: owner.uid, gid: owner.gid } : {};
  const run = (cmd: string, args: string[]) =>
    execFileSync(path.join(bin, cmd), args, { ...as, cwd: dir, stdio: ["ignore", "pipe", "pipe"] }).toString();
  run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"]);
  writeFileSync(
    path.join(data, "pg_hba.conf"),
    ["host all postgres 127.0.0.1/32 trust", "host all all 127.0.0.1/32 scram-sha-256", ""].join("\n"),
  );
  if (owner) chownSync(path.join(data, "pg_hba.conf"), owner.uid, owner.gid);
  // TLS with a self-signed certificate (openssl comes with the package, through ssl-cert): a client
  // that verifies certificates, as workerd does, must refuse it; `prefer` then falls back to plain.
  const cert = path.join(dir, "server.crt");
  const key = path.join(dir, "server.key");
  execFileSync(
    "openssl",
    ["req", "-new", "-x509", "-days", "2", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
    { stdio: "ignore" },
  );
  chmodSync(key, 0o600);
  if (owner) {
    chownSync(key, owner.uid, owner.gid);
    chownSync(cert, owner.uid, owner.gid);
  }
  const port = await freePort();
  run("pg_ctl", [
    "-D",
    data,
    "-l",
    path.join(dir, "log"),
    "-w",
    "-o",
    `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c ssl=on -c ssl_cert_file=${cert} -c ssl_key_file=${key}`,
    "start",
  ]);
  const psql = (sql: string) =>
    execFileSync(
      path.join(bin, "psql"),
      ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "tarn_src", "-v", "ON_ERROR_STOP=1", "-qAt"],
      {
        input: sql,
        stdio: ["pipe", "pipe", "pipe"],
      },
    ).toString();
  const stop = () => {
    try {
      execFileSync(path.join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"], { ...as, stdio: "ignore" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const user = "tarn";
  const password = "s3cret-pg-pw";
  try {
    execFileSync(
      path.join(bin, "psql"),
      ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qAt"],
      { input: `CREATE ROLE ${user} LOGIN PASSWORD '${password}'; CREATE DATABASE tarn_src OWNER ${user};` },
    );
  } catch (err) {
    stop();
    throw err;
  }
  return {
    port,
    user,
    password,
    database: "tarn_src",
    psql,
    stop,
  };
}
