// Lineage forwarding against a real `wrangler dev` and a real local HTTP receiver: with LINEAGE_URL
// set, the ingest run's events reach the receiver through the lineage queue, retried after a failure,
// and each is a valid OpenLineage 2-0-2 RunEvent.
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Validator } from "@cfworker/json-schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "./server";

const schema = JSON.parse(
  readFileSync(path.join(import.meta.dirname, "../fixtures/openlineage/OpenLineage.json"), "utf8"),
);

let server: DevServer;
let receiver: http.Server;
const received: Record<string, unknown>[] = [];
let refusals = 1;
let receiverUrl = "";

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += d;
    });
    req.on("end", () => {
      // The first delivery fails: the queue must retry it.
      if (refusals > 0) {
        refusals--;
        res.writeHead(503).end();
        return;
      }
      received.push(JSON.parse(body));
      res.writeHead(201, { "Content-Type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/v1/lineage`;
  server = await startDevServer(["--var", `LINEAGE_URL:${receiverUrl}`]);
});

afterAll(async () => {
  await server?.stop();
  await new Promise((r) => receiver?.close(r));
});

describe("LINEAGE_URL", () => {
  it("forwards the lineage of an ingest commit, retrying a failed delivery", async () => {
    const project = await server.api("/v1/projects", {
      method: "POST",
      token: server.adminKey,
      json: { name: "lineage-e2e" },
    });
    const { admin_key: admin } = (await project.json()) as { admin_key: string };
    const res = await server.api("/v1/events", {
      method: "POST",
      token: admin,
      json: [{ eventType: "order.created", data: { payload: { orderId: "a" } } }],
    });
    expect(res.status).toBe(202);
    const deadline = Date.now() + 60_000;
    while (!received.some((e) => (e.job as { name: string }).name === "ingest") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
    }
    const ingest = received.find((e) => (e.job as { name: string }).name === "ingest");
    expect(ingest).toMatchObject({ eventType: "START", outputs: [{ name: "order.created" }] });
    expect(refusals).toBe(0);
    const validator = new Validator(schema, "2020-12", false);
    for (const e of received) expect(validator.validate(e).errors).toEqual([]);
  });
});
