// Time helpers of the second edition, after DuckDB: strftime, date_diff (boundaries crossed),
// date_add, time_bucket (buckets from DuckDB's origins). Times are epoch milliseconds, UTC.
import type { Interval } from "./ast";
import type { ScalarFn } from "./bound";
import { invalidSql } from "./errors";
import { mapAny } from "./kernels";
import { addInterval, truncate } from "./time";

const DAY = 86_400_000;
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** strftime's specifiers (the common ones DuckDB shares with C). */
export function strftime(ms: number, format: string): string {
  const d = new Date(ms);
  const hour = d.getUTCHours();
  const micros = Math.round((ms - Math.floor(ms / 1000) * 1000) * 1000);
  const dayOfYear = Math.floor((ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / DAY) + 1;
  return format.replace(/%([a-zA-Z%-]|-[a-zA-Z])/g, (whole, spec: string) => {
    switch (spec) {
      case "Y":
        return String(d.getUTCFullYear());
      case "y":
        return pad(d.getUTCFullYear() % 100);
      case "m":
        return pad(d.getUTCMonth() + 1);
      case "-m":
        return String(d.getUTCMonth() + 1);
      case "d":
        return pad(d.getUTCDate());
      case "-d":
        return String(d.getUTCDate());
      case "e":
        return String(d.getUTCDate()).padStart(2, " ");
      case "H":
        return pad(hour);
      case "-H":
        return String(hour);
      case "I":
        return pad(hour % 12 === 0 ? 12 : hour % 12);
      case "p":
        return hour < 12 ? "AM" : "PM";
      case "M":
        return pad(d.getUTCMinutes());
      case "S":
        return pad(d.getUTCSeconds());
      case "f":
        return pad(micros, 6);
      case "g":
        return pad(Math.floor(micros / 1000), 3);
      case "j":
        return pad(dayOfYear, 3);
      case "a":
        return (DAYS[d.getUTCDay()] as string).slice(0, 3);
      case "A":
        return DAYS[d.getUTCDay()] as string;
      case "w":
        return String(d.getUTCDay());
      case "u":
        return String(d.getUTCDay() === 0 ? 7 : d.getUTCDay());
      case "b":
      case "h":
        return (MONTHS[d.getUTCMonth()] as string).slice(0, 3);
      case "B":
        return MONTHS[d.getUTCMonth()] as string;
      case "z":
        return "+00";
      case "Z":
        return "UTC";
      case "%":
        return "%";
      default:
        throw invalidSql(`strftime: unsupported format specifier ${whole}`);
    }
  });
}

export const strftimeFn = (timeFirst: boolean): ScalarFn => ({
  name: "strftime",
  strict: true,
  impl: (args, n) =>
    mapAny(args, n, "str", (a, b) => (timeFirst ? strftime(a as number, String(b)) : strftime(b as number, String(a)))),
});

const monthIndex = (ms: number) => {
  const d = new Date(ms);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
};

/** date_diff: how many `part` boundaries lie between start and end (negative when end is earlier). */
export function dateDiff(part: string, start: number, end: number): number {
  switch (part) {
    case "year":
      return new Date(end).getUTCFullYear() - new Date(start).getUTCFullYear();
    case "quarter":
      return Math.floor(monthIndex(end) / 3) - Math.floor(monthIndex(start) / 3);
    case "month":
      return monthIndex(end) - monthIndex(start);
    case "decade":
      return Math.floor(new Date(end).getUTCFullYear() / 10) - Math.floor(new Date(start).getUTCFullYear() / 10);
    case "century":
      return Math.floor(new Date(end).getUTCFullYear() / 100) - Math.floor(new Date(start).getUTCFullYear() / 100);
    case "week":
      return Math.trunc(Math.round((truncate("day", end) - truncate("day", start)) / DAY) / 7);
    case "day":
      return Math.round((truncate("day", end) - truncate("day", start)) / DAY);
    case "hour":
      return Math.round((truncate("hour", end) - truncate("hour", start)) / 3_600_000);
    case "minute":
      return Math.round((truncate("minute", end) - truncate("minute", start)) / 60_000);
    case "second":
      return Math.round((truncate("second", end) - truncate("second", start)) / 1000);
    case "milliseconds":
      return Math.floor(end) - Math.floor(start);
    case "microseconds":
      return Math.round((end - start) * 1000);
    default:
      throw invalidSql(`Unsupported date part '${part}' in date_diff`);
  }
}

export const dateDiffFn = (part: string): ScalarFn => ({
  name: `date_diff:${part}`,
  strict: false,
  impl: ([, a, b], n) => mapAny([a as never, b as never], n, "num", (x, y) => dateDiff(part, x as number, y as number)),
});

export const dateAddFn: ScalarFn = {
  name: "date_add",
  strict: true,
  impl: (args, n) => mapAny(args, n, "num", (t, iv) => addInterval(t as number, iv as Interval, 1)),
};

/** DuckDB's default origins: Monday 2000-01-03 for day and time widths, 2000-01-01 for months. */
const ORIGIN_DAYS = Date.UTC(2000, 0, 3);
const ORIGIN_MONTHS = Date.UTC(2000, 0, 1);

export function timeBucket(iv: Interval, ms: number, origin?: number): number {
  if (iv.months !== 0) {
    if (iv.days !== 0 || iv.ms !== 0) throw invalidSql("time_bucket: a bucket of months cannot also have days or time");
    const o = origin ?? ORIGIN_MONTHS;
    const diff = monthIndex(ms) - monthIndex(o);
    const bucket = Math.floor(diff / iv.months) * iv.months;
    let start = addInterval(o, { months: bucket, days: 0, ms: 0 }, 1);
    if (start > ms) start = addInterval(o, { months: bucket - iv.months, days: 0, ms: 0 }, 1);
    return start;
  }
  const width = iv.days * DAY + iv.ms;
  if (width <= 0) throw invalidSql("time_bucket: the bucket width must be positive");
  const o = origin ?? ORIGIN_DAYS;
  return o + Math.floor((ms - o) / width) * width;
}

export const timeBucketFn: ScalarFn = {
  name: "time_bucket",
  strict: false,
  impl: (args, n) =>
    mapAny(args, n, "num", (iv, t, o) =>
      timeBucket(iv as Interval, t as number, o === undefined ? undefined : (o as number)),
    ),
};
