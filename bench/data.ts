// Deterministic synthetic LakeRows for benchmarks: same seed, same rows, on every machine.
import type { LakeRow } from "../shared/lake/lake-row";
import { mulberry32 } from "../test/seeded-random";

const EVENT_TYPES = [
  "page_view",
  "click",
  "session_start",
  "session_end",
  "signup",
  "login",
  "logout",
  "search",
  "add_to_cart",
  "remove_from_cart",
  "checkout_started",
  "purchase",
  "refund",
  "video_play",
  "video_pause",
  "form_submit",
  "error",
  "api_call",
  "feature_flag_eval",
  "notification_open",
];
const SOURCES = ["web", "ios", "android", "server", "segment", "import"];
const VERSIONS = ["1.0.0", "1.1.0", "1.2.3", "2.0.0", "2.1.0-beta"];
const ENVIRONMENTS = ["production", "staging", "development"];
const REGIONS = ["us-east", "us-west", "eu-west", "eu-central", "ap-south", "ap-northeast", "sa-east", "af-south"];
const COUNTRIES = [
  "US",
  "GB",
  "DE",
  "FR",
  "NL",
  "SE",
  "ES",
  "IT",
  "PL",
  "IE",
  "CA",
  "MX",
  "BR",
  "AR",
  "CL",
  "JP",
  "KR",
  "IN",
  "SG",
  "AU",
  "NZ",
  "ZA",
  "NG",
  "KE",
  "EG",
  "TR",
  "AE",
  "IL",
  "CN",
  "ID",
];
const COLOS = [
  "IAD",
  "EWR",
  "ATL",
  "ORD",
  "DFW",
  "DEN",
  "LAX",
  "SJC",
  "SEA",
  "YYZ",
  "MEX",
  "GRU",
  "EZE",
  "SCL",
  "LHR",
  "MAN",
  "AMS",
  "FRA",
  "CDG",
  "MAD",
  "MXP",
  "WAW",
  "ARN",
  "DUB",
  "IST",
  "DXB",
  "TLV",
  "JNB",
  "LOS",
  "NBO",
  "CAI",
  "BOM",
  "DEL",
  "SIN",
  "HKG",
  "NRT",
  "ICN",
  "SYD",
  "AKL",
  "CGK",
];

const USERS = 50_000;
/** 2025-03-01T00:00:00Z; rows spread over three days after it. */
const START_MS = Date.UTC(2025, 2, 1);
const SPAN_MS = 3 * 24 * 3600 * 1000;

const HEX_CODES = Array.from("0123456789abcdef", (c) => c.charCodeAt(0));
const codes: number[] = [];

/** Append `digits` random hex digit codes to `codes`. */
function pushHex(random: () => number, digits: number): void {
  for (let i = 0; i < digits; i += 8) {
    let x = (random() * 4294967296) >>> 0;
    for (let j = 0; j < 8 && i + j < digits; j++, x >>>= 4) codes.push(HEX_CODES[x & 15] as number);
  }
}

/** Build `prefix` + random hex as one flat string (no rope of concatenations). */
function hexId(random: () => number, prefix: string, digits: number): string {
  codes.length = 0;
  for (let i = 0; i < prefix.length; i++) codes.push(prefix.charCodeAt(i));
  pushHex(random, digits);
  return String.fromCharCode(...codes);
}

function uuidV4(random: () => number): string {
  codes.length = 0;
  pushHex(random, 32);
  codes[12] = 0x34; // version 4
  codes[16] = HEX_CODES[8 + ((codes[16] as number) % 4)] as number; // RFC 4122 variant
  codes.splice(20, 0, 0x2d);
  codes.splice(16, 0, 0x2d);
  codes.splice(12, 0, 0x2d);
  codes.splice(8, 0, 0x2d);
  return String.fromCharCode(...codes);
}

/** A pool of `size` random ids, so ids repeat the way users and sessions do. */
function idPool(random: () => number, prefix: string, digits: number, size: number): string[] {
  return Array.from({ length: size }, () => hexId(random, prefix, digits));
}

/** Pick from a list with a skew toward the front (roughly Zipf-like). */
function skewed<T>(random: () => number, list: readonly T[]): T {
  const r = random();
  return list[Math.floor(r * r * list.length)] as T;
}

function payloadFor(random: () => number, eventType: string): string | null {
  if (random() < 0.05) return null;
  const page = (random() * 500) | 0;
  switch (eventType) {
    case "purchase":
    case "refund":
    case "add_to_cart":
      return `{"sku":"SKU-${(random() * 2000) | 0}","amount":${Math.round(random() * 50000) / 100},"currency":"USD","qty":${1 + ((random() * 4) | 0)}}`;
    case "search":
      return `{"query":"item ${(random() * 300) | 0}","results":${(random() * 50) | 0},"path":"/search"}`;
    case "error":
      return `{"code":"E${100 + ((random() * 20) | 0)}","message":"request failed","retry":${random() < 0.5}}`;
    case "api_call":
      return `{"route":"/v1/items/${page}","status":${random() < 0.95 ? 200 : 500},"ms":${(random() * 800) | 0}}`;
    default:
      return `{"path":"/p/${page}","amount":${Math.round(random() * 1000) / 10},"ok":${random() < 0.9},"tags":["a","b${page % 7}"]}`;
  }
}

/**
 * Generate `n` synthetic lake rows. Rows arrive roughly in time order with jitter (as a consumer
 * batch would), ~20 event types, ~50k users, sessions of ~20 events, batches of ~50 events per
 * ingest request, and nulls in every nullable column.
 */
export function generateRows(n: number, seed = 1): LakeRow[] {
  const random = mulberry32(seed);
  const rows: LakeRow[] = new Array(n);
  const sessions = Math.max(1, Math.floor(n / 20));
  const users = idPool(random, "user_", 8, USERS);
  const sessionIds = idPool(random, "sess_", 16, sessions);
  let requestId = hexId(random, "req_", 16);
  for (let i = 0; i < n; i++) {
    if (random() < 0.02) requestId = hexId(random, "req_", 16);
    const eventType = skewed(random, EVENT_TYPES);
    const ts = START_MS + Math.floor((i / n) * SPAN_MS) + Math.floor((random() - 0.5) * 10_000);
    const anonymous = random() < 0.05;
    const user = Math.floor(random() * random() * USERS);
    const session = Math.floor(random() * sessions);
    rows[i] = {
      event_id: uuidV4(random),
      event_type: eventType,
      ts,
      received_at: ts + 20 + Math.floor(random() * 2000),
      user_id: anonymous ? null : (users[user] as string),
      session_id: anonymous && random() < 0.5 ? null : (sessionIds[session] as string),
      correlation_id: random() < 0.7 ? null : hexId(random, "", 16),
      source: random() < 0.02 ? null : skewed(random, SOURCES),
      version: random() < 0.1 ? null : skewed(random, VERSIONS),
      environment:
        random() < 0.01 ? null : random() < 0.9 ? "production" : (ENVIRONMENTS[1 + ((random() * 2) | 0)] as string),
      region: random() < 0.01 ? null : skewed(random, REGIONS),
      request_id: requestId,
      country: random() < 0.03 ? null : skewed(random, COUNTRIES),
      colo: random() < 0.03 ? null : skewed(random, COLOS),
      payload: payloadFor(random, eventType),
      metadata:
        random() < 0.7
          ? null
          : `{"sdk":"tarn-js","sdk_version":"${skewed(random, VERSIONS)}","ip_hash":"${(users[user] as string).slice(5)}"}`,
    };
  }
  return rows;
}
