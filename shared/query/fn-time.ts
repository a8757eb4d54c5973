// Time functions: now(), date_trunc, date_part/extract, epoch_ms and epoch, all in UTC.
import type { ScalarFn } from "./bound";
import { mapAny, mapNum } from "./kernels";
import { datePart, truncate } from "./time";
import type { Vec } from "./vector";

const FIXED: Record<string, number> = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export const nowFn: ScalarFn = {
  name: "now",
  strict: false,
  impl: (_args, n, ctx) => ({ kind: "const", n, value: ctx.nowMs }),
};

export const currentDateFn: ScalarFn = {
  name: "current_date",
  strict: false,
  impl: (_args, n, ctx) => ({ kind: "const", n, value: Math.floor(ctx.nowMs / 86_400_000) * 86_400_000 }),
};

/** date_trunc with its part fixed at bind time (the part is a constant). */
export function dateTruncFn(part: string): ScalarFn {
  const width = FIXED[part];
  const f = width ? (x: number) => Math.floor(x / width) * width : (x: number) => truncate(part, x);
  return { name: `date_trunc:${part}`, strict: true, impl: ([, t]) => mapNum(t as Vec, f) };
}

export function datePartFn(part: string): ScalarFn {
  return {
    name: `date_part:${part}`,
    strict: true,
    impl: ([, t]) => mapNum(t as Vec, (x) => datePart(part, x) as number),
  };
}

/** epoch_ms(TIMESTAMP) → BIGINT milliseconds. */
export const epochMsFn: ScalarFn = { name: "epoch_ms", strict: true, impl: ([t]) => mapNum(t as Vec, Math.floor) };
/** epoch_ms(BIGINT) → TIMESTAMP. */
export const fromEpochMsFn: ScalarFn = { name: "epoch_ms", strict: true, impl: ([t]) => t as Vec };
/** epoch(TIMESTAMP) → DOUBLE seconds. */
export const epochFn: ScalarFn = { name: "epoch", strict: true, impl: ([t]) => mapNum(t as Vec, (x) => x / 1000) };
/** to_timestamp(seconds) → TIMESTAMP WITH TIME ZONE. */
export const toTimestampFn: ScalarFn = {
  name: "to_timestamp",
  strict: true,
  impl: ([t]) => mapNum(t as Vec, (x) => x * 1000),
};

export const datePartDynamicFn: ScalarFn = {
  name: "date_part",
  strict: true,
  impl: (args, n) => mapAny(args, n, "num", (p, t) => datePart(String(p).toLowerCase(), t as number) ?? null),
};
