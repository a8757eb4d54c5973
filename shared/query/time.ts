// Time in UTC: timestamp and interval literals, interval arithmetic, date_trunc and date_part.
import type { Interval } from "./ast";

const DAY_MS = 86_400_000;
const TS_RE =
  /^\s*(-?\d{1,6})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?)?\s*(Z|UTC|[+-]\d{1,2}(?::?\d{2})?)?\s*$/i;

/**
 * Parse `YYYY-MM-DD[ HH:MM[:SS[.ffffff]]][Z|±HH[:MM]]` to epoch ms, or null. A zone offset is applied
 * only for TIMESTAMP WITH TIME ZONE (`withZone`); DuckDB's plain TIMESTAMP ignores it.
 */
export function parseTimestamp(text: string, withZone = false): number | null {
  const m = TS_RE.exec(text);
  if (!m) return null;
  const [, y, mo, d, h = "0", mi = "0", s = "0", frac = "", zone] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 24 || Number(mi) > 59 || Number(s) > 60)
    return null;
  const date = new Date(0);
  date.setUTCFullYear(Number(y), month - 1, day);
  if (date.getUTCDate() !== day) return null;
  const micros = Number(frac.slice(0, 6).padEnd(6, "0"));
  let ms = date.getTime() + Number(h) * 3_600_000 + Number(mi) * 60_000 + Number(s) * 1000 + micros / 1000;
  if (withZone && zone && zone.toUpperCase() !== "Z" && zone.toUpperCase() !== "UTC") {
    const zm = /^([+-])(\d{1,2}):?(\d{2})?$/.exec(zone);
    if (!zm) return null;
    const offset = (Number(zm[2]) * 60 + Number(zm[3] ?? 0)) * 60_000;
    ms -= zm[1] === "-" ? -offset : offset;
  }
  return ms;
}

/** Parse a DATE literal (a timestamp at midnight, or any timestamp text truncated to its day). */
export function parseDate(text: string): number | null {
  const ms = parseTimestamp(text);
  return ms === null ? null : Math.floor(ms / DAY_MS) * DAY_MS;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

function fraction(ms: number): string {
  const micros = Math.round((((ms % 1000) + 1000) % 1000) * 1000);
  return micros ? `.${pad(micros, 6).replace(/0+$/, "")}` : "";
}

/** DuckDB's text form of a TIMESTAMP: `2025-03-01 10:11:12.5`. */
export function formatTimestamp(ms: number): string {
  const d = new Date(Math.floor(ms));
  const year = d.getUTCFullYear();
  const y = year < 0 ? `${pad(-year, 4)} (BC)` : pad(year, 4);
  const date = `${y}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  return `${date} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${fraction(ms)}`;
}

export function formatDate(ms: number): string {
  return formatTimestamp(ms).slice(0, 10);
}

const UNIT_MS: Record<string, number> = {
  us: 0.001,
  microsecond: 0.001,
  ms: 1,
  millisecond: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hour: 3_600_000,
};

function unitName(unit: string): string {
  const u = unit.toLowerCase();
  const singular = u.length > 1 && u.endsWith("s") && !["ms", "us"].includes(u) ? u.slice(0, -1) : u;
  return singular === "msec" ? "ms" : singular === "usec" ? "us" : singular;
}

/** Add `count` of a unit to an interval, or return false for an unknown unit. */
function addUnit(iv: Interval, count: number, unit: string): boolean {
  const u = unitName(unit);
  if (u in UNIT_MS) iv.ms += count * (UNIT_MS[u] as number);
  else if (u === "d" || u === "day") iv.days += count;
  else if (u === "w" || u === "week") iv.days += 7 * count;
  else if (u === "mon" || u === "month") iv.months += count;
  else if (u === "y" || u === "yr" || u === "year") iv.months += 12 * count;
  else if (u === "decade") iv.months += 120 * count;
  else if (u === "century") iv.months += 1200 * count;
  else return false;
  return true;
}

/** Parse `INTERVAL '2 hours'`, `INTERVAL 1 DAY`, `INTERVAL '1 day 02:00:00'`; null when malformed. */
export function parseInterval(text: string, unit = ""): Interval | null {
  const iv: Interval = { months: 0, days: 0, ms: 0 };
  if (unit) {
    const n = Number(text.trim());
    return Number.isFinite(n) && addUnit(iv, n, unit) ? iv : null;
  }
  const parts = text.trim().split(/\s+/);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const clock = /^([+-]?)(\d+):(\d{2})(?::(\d{2}(?:\.\d+)?))?$/.exec(part);
    if (clock) {
      const sign = clock[1] === "-" ? -1 : 1;
      iv.ms += sign * (Number(clock[2]) * 3_600_000 + Number(clock[3]) * 60_000 + Number(clock[4] ?? 0) * 1000);
      continue;
    }
    const joined = /^([+-]?\d+(?:\.\d+)?)([a-z]+)$/i.exec(part);
    const count = joined ? Number(joined[1]) : Number(part);
    const name = joined ? joined[2] : parts[++i];
    if (!Number.isFinite(count) || name === undefined || !addUnit(iv, count, name)) return null;
  }
  return iv;
}

function addMonths(ms: number, months: number): number {
  const d = new Date(ms);
  const day = d.getUTCDate();
  const target = new Date(ms);
  target.setUTCDate(1);
  target.setUTCMonth(target.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return target.getTime() + (ms - Math.floor(ms));
}

/** `ts + sign * interval`, months first (clamping the day, as DuckDB does), then days, then time. */
export function addInterval(ms: number, iv: Interval, sign: 1 | -1): number {
  let out = ms;
  if (iv.months) out = addMonths(out, sign * iv.months);
  return out + sign * (iv.days * DAY_MS + iv.ms);
}

/** DuckDB's text form of an INTERVAL: `1 year 2 months 3 days 04:05:06.5`. */
export function formatInterval(iv: Interval): string {
  const parts: string[] = [];
  const years = Math.trunc(iv.months / 12);
  const months = iv.months % 12;
  if (years) parts.push(`${years} year${Math.abs(years) === 1 ? "" : "s"}`);
  if (months) parts.push(`${months} month${Math.abs(months) === 1 ? "" : "s"}`);
  if (iv.days) parts.push(`${iv.days} day${Math.abs(iv.days) === 1 ? "" : "s"}`);
  if (iv.ms || parts.length === 0) {
    const abs = Math.abs(iv.ms);
    const h = Math.floor(abs / 3_600_000);
    const m = Math.floor((abs % 3_600_000) / 60_000);
    const s = Math.floor((abs % 60_000) / 1000);
    parts.push(`${iv.ms < 0 ? "-" : ""}${pad(h)}:${pad(m)}:${pad(s)}${fraction(abs)}`);
  }
  return parts.join(" ");
}

const TRUNC_PARTS = new Set([
  "microseconds",
  "milliseconds",
  "second",
  "minute",
  "hour",
  "day",
  "week",
  "month",
  "quarter",
  "year",
  "decade",
  "century",
  "millennium",
]);

const PART_ALIASES: Record<string, string> = {
  us: "microseconds",
  usec: "microseconds",
  microsecond: "microseconds",
  ms: "milliseconds",
  msec: "milliseconds",
  millisecond: "milliseconds",
  s: "second",
  sec: "second",
  seconds: "second",
  m: "minute",
  min: "minute",
  minutes: "minute",
  h: "hour",
  hr: "hour",
  hours: "hour",
  d: "day",
  days: "day",
  w: "week",
  weeks: "week",
  mon: "month",
  months: "month",
  y: "year",
  yr: "year",
  years: "year",
  quarters: "quarter",
  decades: "decade",
  centuries: "century",
  millennia: "millennium",
  dayofweek: "dow",
  weekday: "dow",
  dayofyear: "doy",
};

/** The canonical name of a date part, or null when unknown. */
export function datePartName(part: string): string | null {
  const p = part.toLowerCase();
  return PART_ALIASES[p] ?? p;
}

export function isTruncPart(part: string): boolean {
  return TRUNC_PARTS.has(part);
}

/** date_trunc over epoch ms (UTC); `part` is canonical (see datePartName). */
export function truncate(part: string, ms: number): number {
  switch (part) {
    case "microseconds":
      return Math.floor(ms * 1000) / 1000;
    case "milliseconds":
      return Math.floor(ms);
    case "second":
      return Math.floor(ms / 1000) * 1000;
    case "minute":
      return Math.floor(ms / 60_000) * 60_000;
    case "hour":
      return Math.floor(ms / 3_600_000) * 3_600_000;
    case "day":
      return Math.floor(ms / DAY_MS) * DAY_MS;
    case "week": {
      const day = Math.floor(ms / DAY_MS);
      return (day - ((((day + 3) % 7) + 7) % 7)) * DAY_MS; // 1970-01-01 was a Thursday; weeks start on Monday
    }
    default: {
      const d = new Date(ms);
      const y = d.getUTCFullYear();
      const m = d.getUTCMonth();
      if (part === "month") return Date.UTC(y, m, 1);
      if (part === "quarter") return Date.UTC(y, m - (m % 3), 1);
      const from = (years: number) => {
        const t = new Date(0);
        t.setUTCFullYear(y - (((y % years) + years) % years), 0, 1);
        return t.getTime();
      };
      if (part === "year") return from(1);
      if (part === "decade") return from(10);
      if (part === "century") return from(100);
      return from(1000);
    }
  }
}

function isoWeek(ms: number): number {
  const day = Math.floor(ms / DAY_MS);
  const dow = (((day + 3) % 7) + 7) % 7; // 0 = Monday
  const thursday = day - dow + 3;
  const year = new Date(thursday * DAY_MS).getUTCFullYear();
  const jan1 = Math.floor(Date.UTC(year, 0, 1) / DAY_MS);
  return Math.floor((thursday - jan1) / 7) + 1;
}

/** date_part / extract over epoch ms (UTC), or undefined for an unknown part. */
export function datePart(part: string, ms: number): number | undefined {
  const d = new Date(Math.floor(ms));
  switch (part) {
    case "year":
      return d.getUTCFullYear();
    case "quarter":
      return Math.floor(d.getUTCMonth() / 3) + 1;
    case "month":
      return d.getUTCMonth() + 1;
    case "day":
      return d.getUTCDate();
    case "hour":
      return d.getUTCHours();
    case "minute":
      return d.getUTCMinutes();
    case "second":
      return d.getUTCSeconds();
    case "milliseconds":
      return d.getUTCSeconds() * 1000 + d.getUTCMilliseconds();
    case "microseconds":
      return Math.round((d.getUTCSeconds() * 1000 + (ms - Math.floor(ms / 1000) * 1000)) * 1000);
    case "dow":
      return d.getUTCDay();
    case "isodow":
      return d.getUTCDay() || 7;
    case "doy":
      return Math.floor((Math.floor(ms / DAY_MS) * DAY_MS - Date.UTC(d.getUTCFullYear(), 0, 1)) / DAY_MS) + 1;
    case "week":
      return isoWeek(ms);
    case "epoch":
      return ms / 1000;
    default:
      return undefined;
  }
}
