// The edge's contract cost per event, in-process: the envelope verdict alone (no contract) against
// the envelope plus a 10-property contract, on the same 100-event batches, alternating; then the
// worst case a stored contract can cost (the limits of shared/contracts/schema-check.ts).
//
//   npx tsx bench/contracts-edge.bench.ts [batches=400] [rounds=7]
import { schemaProblems } from "../shared/contracts/schema-check";
import { typedColumnsOf } from "../shared/contracts/typed-columns";
import { CompiledContract } from "../shared/contracts/verdict";
import { acceptEvent, type EdgeContext } from "../shared/events/accept-event";
import type { RawItem } from "../shared/events/read-events";
import { encodeLakeFile } from "../shared/parquet/lake-file";
import { mulberry32 } from "../test/seeded-random";

const batches = Number(process.argv[2] ?? 400);
const rounds = Number(process.argv[3] ?? 7);
const BATCH = 100;

const CONTRACT = {
  type: "object",
  required: ["orderId", "totalAmount", "currency", "quantity"],
  properties: {
    orderId: { type: "string", pattern: "^o-[0-9]+$", maxLength: 64 },
    totalAmount: { type: "number", minimum: 0 },
    currency: { type: "string", enum: ["EUR", "USD", "GBP"] },
    quantity: { type: "integer", minimum: 1, maximum: 1000 },
    placedAt: { type: "string", format: "date-time" },
    gift: { type: "boolean" },
    coupon: { type: ["string", "null"], maxLength: 32 },
    channel: { type: "string", enum: ["web", "app", "store"] },
    customerId: { type: "string", minLength: 1 },
    email: { type: "string", format: "email", "x-pii": true },
  },
};

function bodies(seed: number): string[] {
  const r = mulberry32(seed);
  const now = Date.now();
  return Array.from({ length: batches }, (_, b) =>
    JSON.stringify(
      Array.from({ length: BATCH }, (_, i) => ({
        eventType: "order.created",
        timestamp: new Date(now - Math.floor(r() * 3_600_000)).toISOString(),
        userId: `u-${Math.floor(r() * 10_000)}`,
        data: {
          payload: {
            orderId: `o-${b * BATCH + i}`,
            totalAmount: Math.round(r() * 100_000) / 100,
            currency: ["EUR", "USD", "GBP"][Math.floor(r() * 3)],
            quantity: 1 + Math.floor(r() * 5),
            placedAt: new Date(now - Math.floor(r() * 86_400_000)).toISOString(),
            gift: r() < 0.2,
            coupon: r() < 0.5 ? null : `C${Math.floor(r() * 99)}`,
            channel: ["web", "app", "store"][Math.floor(r() * 3)],
            customerId: `c-${Math.floor(r() * 50_000)}`,
            email: `user${Math.floor(r() * 50_000)}@example.com`,
          },
        },
      })),
    ),
  );
}

const edge: EdgeContext = {
  receivedAt: Date.now(),
  requestId: "bench",
  country: null,
  colo: null,
  maxEventBytes: 32 * 1024,
  newId: () => crypto.randomUUID(),
};

/** One request's edge work: parse, envelope verdicts, and (with a contract) payload parse + validation. */
function judge(body: string, contract: CompiledContract | null): number {
  const items: RawItem[] = (JSON.parse(body) as unknown[]).map((value) => ({ value }));
  let accepted = 0;
  items.forEach((item, index) => {
    const v = acceptEvent(item, index, edge);
    if (!v.ok) return;
    // As services/ingest/check-contracts.ts does: the payload object the request already parsed.
    if (contract?.check((item.value as { data?: { payload?: unknown } }).data?.payload ?? {})) return;
    accepted++;
  });
  return accepted;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

if (schemaProblems(CONTRACT).length > 0) throw new Error(String(schemaProblems(CONTRACT)));
const compiled = new CompiledContract(1, CONTRACT as never);
const data = bodies(1);
const events = batches * BATCH;
// Warm-up, and a check that every event passes the contract (the common case).
for (const b of data.slice(0, 20)) if (judge(b, compiled) !== BATCH) throw new Error("bench events must pass");
const plain: number[] = [];
const checked: number[] = [];
for (let r = 0; r < rounds; r++) {
  plain.push(
    time(() => {
      for (const b of data) judge(b, null);
    }),
  );
  checked.push(
    time(() => {
      for (const b of data) judge(b, compiled);
    }),
  );
}
const plainUs = (median(plain) * 1000) / events;
const checkedUs = (median(checked) * 1000) / events;
console.log(`# ${events} events in ${batches} batches of ${BATCH}, ${rounds} rounds alternating`);
console.log(`edge_no_contract_us_per_event: ${plainUs.toFixed(2)}`);
console.log(`edge_10_property_contract_us_per_event: ${checkedUs.toFixed(2)}`);
console.log(`contract_cost_us_per_event: ${(checkedUs - plainUs).toFixed(2)}`);

// Worst cases the limits allow: one 32 KB event against a contract built to be slow.
const worst: { name: string; schema: Record<string, unknown>; payload: unknown }[] = [
  {
    name: "uniqueItems over 100 distinct objects (the allowed maximum)",
    schema: { type: "object", properties: { xs: { type: "array", uniqueItems: true, maxItems: 100 } } },
    payload: { xs: Array.from({ length: 100 }, (_, i) => ({ k: i, v: "x".repeat(250) })) },
  },
  {
    name: "uniqueItems over 1,000 items (refused: maxItems too large)",
    schema: { type: "object", properties: { xs: { type: "array", uniqueItems: true, maxItems: 1000 } } },
    payload: {},
  },
  {
    name: "a 512-character pattern over 30 KB of text",
    schema: {
      type: "object",
      properties: { s: { type: "string", pattern: `^(?:[a-z]{1,8}\\s?)+$`.replace("+", "{1,4000}") } },
    },
    payload: { s: "abcdefgh ".repeat(3400) },
  },
  {
    name: "an allowed pattern over 30 KB of text",
    schema: { type: "object", properties: { s: { type: "string", pattern: "^[a-z][a-z ]*$" } } },
    payload: { s: "abcdefgh ".repeat(3400).trim() },
  },
  {
    name: "anyOf of 16 branches (the allowed maximum) over 1,500 array items, the last branch matching",
    schema: {
      type: "object",
      properties: {
        xs: {
          type: "array",
          items: { anyOf: Array.from({ length: 16 }, (_, i) => ({ type: "object", required: [`k${i}`] })) },
        },
      },
    },
    payload: { xs: Array.from({ length: 1500 }, () => ({ k15: 1 })) },
  },
  {
    name: "type checks on 4,000 array items (the most values a 32 KB event holds, about)",
    schema: { type: "object", properties: { xs: { type: "array", items: { type: "integer", minimum: 0 } } } },
    payload: { xs: Array.from({ length: 4000 }, (_, i) => i) },
  },
  {
    name: "deeply nested $ref recursion (32 KB of nesting)",
    schema: {
      type: "object",
      $defs: { node: { type: "object", properties: { c: { $ref: "#/$defs/node" } } } },
      properties: { tree: { $ref: "#/$defs/node" } },
    },
    payload: (() => {
      let t: Record<string, unknown> = {};
      for (let i = 0; i < 3000; i++) t = { c: t };
      return { tree: t };
    })(),
  },
];
for (const w of worst) {
  const problems = schemaProblems(w.schema);
  if (problems.length > 0) {
    console.log(`# ${w.name}: refused when stored (${problems[0]})`);
    continue;
  }
  const size = JSON.stringify(w.payload).length;
  const c = new CompiledContract(1, w.schema as never);
  c.check(w.payload);
  const ms = median(Array.from({ length: 5 }, () => time(() => c.check(w.payload))));
  console.log(
    `worst_case_ms: ${ms.toFixed(2)}  # ${w.name}, payload ${size} bytes, verdict ${c.check(w.payload)?.keyword ?? "valid"}`,
  );
}
// The lake writer: the same events encoded as one Parquet file, with and without the contract's typed columns.
const rows = data
  .flatMap((b) => (JSON.parse(b) as unknown[]).map((value, i) => acceptEvent({ value }, i, edge)))
  .flatMap((v) => (v.ok ? [v.event] : []));
const typed = typedColumnsOf(CONTRACT);
const encodePlain: number[] = [];
const encodeTyped: number[] = [];
let bytesPlain = 0;
let bytesTyped = 0;
for (let r = 0; r < 3; r++) {
  encodePlain.push(time(() => (bytesPlain = encodeLakeFile(rows).byteLength)));
  encodeTyped.push(time(() => (bytesTyped = encodeLakeFile(rows, { typedColumns: typed }).byteLength)));
}
console.log(`# lake writer: ${rows.length} rows, ${typed.length} typed columns, 3 rounds alternating`);
console.log(`encode_no_typed_ms: ${median(encodePlain).toFixed(0)}  bytes: ${bytesPlain}`);
console.log(`encode_typed_ms: ${median(encodeTyped).toFixed(0)}  bytes: ${bytesTyped}`);
console.log(
  `typed_columns_cost_us_per_row: ${(((median(encodeTyped) - median(encodePlain)) * 1000) / rows.length).toFixed(2)}`,
);
console.log(`ratio_encode_typed_over_plain: ${(median(encodeTyped) / median(encodePlain)).toFixed(3)}`);
console.log(`ratio_edge_time_contract_over_none: ${(checkedUs / plainUs).toFixed(3)}`);
