// Scalar functions by name: argument checks, result types and implementations.
import { type Bound, type EvalContext, ROW_POLICY_FN, type ScalarFn } from "./bound";
import { apply, coerce, noMatch } from "./coerce";
import { invalidSql, NameError } from "./errors";
import { dateAddFn, dateDiff, dateDiffFn, strftimeFn, timeBucketFn } from "./fn-dates";
import { absFn, ceilFn, floorFn, roundFn } from "./fn-math";
import { concatFn, lengthFn, lowerFn, substrFn, upperFn } from "./fn-string";
import {
  containsFn,
  leftFn,
  ltrimFn,
  regexpExtractFn,
  regexpMatchesFn,
  regexpReplaceFn,
  replaceFn,
  rightFn,
  rtrimFn,
  splitPartFn,
  startsWithFn,
  trimFn,
} from "./fn-text";
import {
  currentDateFn,
  datePartDynamicFn,
  datePartFn,
  dateTruncFn,
  epochFn,
  epochMsFn,
  fromEpochMsFn,
  toTimestampFn,
} from "./fn-time";
import { coalesce, jsonCall } from "./operators";
import { datePartName, isTruncPart } from "./time";
import { decimal, decimalParts, isDecimal, isInteger, isNumeric, isString, isTemporal, NULL_TYPE } from "./types";
import { fromValues, type Vec, valueAt } from "./vector";

function stringArg(name: string, args: Bound[], ctx: EvalContext): Bound {
  const b = args[0] as Bound;
  if (isString(b.type) || b.type === NULL_TYPE) return coerce(b, b.type === "JSON" ? "JSON" : "VARCHAR", ctx);
  return noMatch(name, args);
}

function constPart(b: Bound | undefined, fn: string): string {
  if (b?.kind !== "const" || typeof b.value !== "string")
    throw invalidSql(`${fn} needs a constant date part such as 'hour'`);
  return datePartName(b.value) ?? b.value;
}

function arity(name: string, args: Bound[], min: number, max = min): void {
  if (args.length < min || args.length > max)
    throw invalidSql(
      `${name} takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? "" : "s"}, got ${args.length}`,
    );
}

/** A row-level policy's condition, unchanged; WHERE runs it before every other conjunct (row-filters.ts). */
const rowPolicyFn: ScalarFn = { name: ROW_POLICY_FN, impl: (args) => args[0] as Vec, strict: true };

/** A scalar function call by name; unknown names raise a NameError naming the function. */
export function callFunction(name: string, args: Bound[], ctx: EvalContext): Bound {
  const a0 = args[0];
  switch (name) {
    case ROW_POLICY_FN:
      arity(name, args, 1);
      if (a0?.type !== "BOOLEAN" && a0?.type !== NULL_TYPE)
        throw invalidSql("A row-level policy's filter must be BOOLEAN");
      return apply(rowPolicyFn, args, "BOOLEAN", ctx);
    case "predict":
      return predictCall(args, ctx);
    case "lower":
    case "upper":
    case "lcase":
    case "ucase":
      arity(name, args, 1);
      return apply(
        name === "lower" || name === "lcase" ? lowerFn : upperFn,
        [stringArg(name, args, ctx)],
        "VARCHAR",
        ctx,
      );
    case "length":
    case "char_length":
    case "len":
      arity(name, args, 1);
      return apply(lengthFn, [stringArg(name, args, ctx)], "BIGINT", ctx);
    case "substr":
    case "substring": {
      arity(name, args, 2, 3);
      const rest = args
        .slice(1)
        .map((b) => (isInteger(b.type) || b.type === NULL_TYPE ? coerce(b, "BIGINT", ctx) : noMatch(name, args)));
      return apply(substrFn, [stringArg(name, args, ctx), ...rest], "VARCHAR", ctx);
    }
    case "concat":
      if (args.length === 0) throw invalidSql("concat needs at least one argument");
      return apply(
        concatFn,
        args.map((b) => coerce(b, "VARCHAR", ctx)),
        "VARCHAR",
        ctx,
      );
    case "abs":
      arity(name, args, 1);
      if (!isNumeric((a0 as Bound).type)) noMatch(name, args);
      return apply(absFn, args, (a0 as Bound).type, ctx);
    case "floor":
    case "ceil":
    case "ceiling": {
      arity(name, args, 1);
      const t = (a0 as Bound).type;
      if (!isNumeric(t)) noMatch(name, args);
      return apply(
        name === "floor" ? floorFn : ceilFn,
        args,
        isDecimal(t) ? decimal(decimalParts(t)?.width ?? 18, 0) : "DOUBLE",
        ctx,
      );
    }
    case "round": {
      arity(name, args, 1, 2);
      const t = (a0 as Bound).type;
      if (!isNumeric(t) || (args[1] && !isInteger(args[1].type))) noMatch(name, args);
      const digits = args[1]?.kind === "const" ? Number(args[1].value) : 0;
      const type = isDecimal(t)
        ? decimal(decimalParts(t)?.width ?? 18, Math.max(0, Math.min(digits, decimalParts(t)?.scale ?? 0)))
        : t;
      return apply(roundFn, args, type, ctx);
    }
    case "now":
    case "current_timestamp":
    case "transaction_timestamp":
      arity(name, args, 0);
      return { kind: "const", value: ctx.nowMs, type: "TIMESTAMP WITH TIME ZONE" };
    case "current_date":
      arity(name, args, 0);
      return apply(currentDateFn, [], "DATE", ctx);
    case "date_trunc":
    case "datetrunc": {
      arity(name, args, 2);
      const part = constPart(a0, name);
      const t = (args[1] as Bound).type;
      if (!isTemporal(t) && t !== NULL_TYPE) noMatch(name, args);
      if (!isTruncPart(part)) throw invalidSql(`Unsupported date part '${part}' in date_trunc`);
      return apply(dateTruncFn(part), args, t === "DATE" || t === NULL_TYPE ? "TIMESTAMP" : t, ctx);
    }
    case "date_part":
    case "datepart": {
      arity(name, args, 2);
      const t = (args[1] as Bound).type;
      if (!isTemporal(t) && t !== NULL_TYPE) noMatch(name, args);
      if (a0?.kind !== "const") return apply(datePartDynamicFn, args, "BIGINT", ctx);
      const part = constPart(a0, name);
      return apply(datePartFn(part), args, part === "epoch" ? "DOUBLE" : "BIGINT", ctx);
    }
    case "epoch_ms": {
      arity(name, args, 1);
      const t = (a0 as Bound).type;
      if (isTemporal(t)) return apply(epochMsFn, args, "BIGINT", ctx);
      if (isInteger(t)) return apply(fromEpochMsFn, args, "TIMESTAMP", ctx);
      return noMatch(name, args);
    }
    case "epoch":
      arity(name, args, 1);
      if (!isTemporal((a0 as Bound).type)) noMatch(name, args);
      return apply(epochFn, args, "DOUBLE", ctx);
    case "to_timestamp":
      arity(name, args, 1);
      if (!isNumeric((a0 as Bound).type)) noMatch(name, args);
      return apply(toTimestampFn, args, "TIMESTAMP WITH TIME ZONE", ctx);
    case "json_extract":
    case "json_extract_string":
    case "json_extract_path":
    case "json_extract_path_text":
      return jsonCall(
        name.startsWith("json_extract_path") ? (name.endsWith("text") ? "json_extract_string" : "json_extract") : name,
        args,
        ctx,
      );
    case "coalesce":
    case "ifnull":
      if (name === "ifnull") arity(name, args, 2);
      return coalesce(args, ctx);
    default:
      return secondEdition(name, args, ctx);
  }
}

/** Constant arguments must be of these types; the first is the string being worked on. */
function strings(name: string, args: Bound[], ctx: EvalContext, min: number, max: number): Bound[] {
  arity(name, args, min, max);
  return args.map((b) => {
    if (isString(b.type) || b.type === NULL_TYPE) return coerce(b, "VARCHAR", ctx);
    return noMatch(name, args);
  });
}

function integerArg(name: string, args: Bound[], b: Bound | undefined, ctx: EvalContext): Bound {
  if (!b || !(isInteger(b.type) || b.type === NULL_TYPE)) return noMatch(name, args);
  return coerce(b, "BIGINT", ctx);
}

function temporal(name: string, args: Bound[], b: Bound | undefined, ctx: EvalContext): Bound {
  if (!b) return noMatch(name, args);
  if (isTemporal(b.type) || b.type === NULL_TYPE) return b;
  if (isString(b.type) && b.kind === "const") return coerce(b, "TIMESTAMP", ctx);
  return noMatch(name, args);
}

/** The functions API.md's second edition adds (strings, regexps, time helpers). */
function secondEdition(name: string, args: Bound[], ctx: EvalContext): Bound {
  switch (name) {
    case "regexp_matches":
      return apply(regexpMatchesFn, strings(name, args, ctx, 2, 3), "BOOLEAN", ctx);
    case "regexp_extract": {
      arity(name, args, 2, 3);
      const [s0, p] = strings(name, args.slice(0, 2), ctx, 2, 2);
      const rest = args[2] ? [integerArg(name, args, args[2], ctx)] : [];
      return apply(regexpExtractFn, [s0 as Bound, p as Bound, ...rest], "VARCHAR", ctx);
    }
    case "regexp_replace":
      return apply(regexpReplaceFn, strings(name, args, ctx, 3, 4), "VARCHAR", ctx);
    case "replace":
      return apply(replaceFn, strings(name, args, ctx, 3, 3), "VARCHAR", ctx);
    case "split_part": {
      arity(name, args, 3);
      const [s0, sep] = strings(name, args.slice(0, 2), ctx, 2, 2);
      return apply(splitPartFn, [s0 as Bound, sep as Bound, integerArg(name, args, args[2], ctx)], "VARCHAR", ctx);
    }
    case "starts_with":
    case "prefix":
      return apply(startsWithFn, strings(name, args, ctx, 2, 2), "BOOLEAN", ctx);
    case "contains":
      return apply(containsFn, strings(name, args, ctx, 2, 2), "BOOLEAN", ctx);
    case "trim":
    case "ltrim":
    case "rtrim":
      return apply(
        name === "trim" ? trimFn : name === "ltrim" ? ltrimFn : rtrimFn,
        strings(name, args, ctx, 1, 2),
        "VARCHAR",
        ctx,
      );
    case "left":
    case "right": {
      arity(name, args, 2);
      const [s0] = strings(name, args.slice(0, 1), ctx, 1, 1);
      return apply(
        name === "left" ? leftFn : rightFn,
        [s0 as Bound, integerArg(name, args, args[1], ctx)],
        "VARCHAR",
        ctx,
      );
    }
    case "strftime": {
      arity(name, args, 2);
      const timeFirst = !isString((args[0] as Bound).type) || (args[0] as Bound).type === NULL_TYPE;
      const t = temporal(name, args, timeFirst ? args[0] : args[1], ctx);
      const f = args[timeFirst ? 1 : 0] as Bound;
      if (!isString(f.type)) noMatch(name, args);
      return apply(strftimeFn(true), [t, coerce(f, "VARCHAR", ctx)], "VARCHAR", ctx);
    }
    case "date_diff":
    case "datediff": {
      arity(name, args, 3);
      const part = constPart(args[0], name);
      const a = temporal(name, args, args[1], ctx);
      const b = temporal(name, args, args[2], ctx);
      dateDiff(part, 0, 0);
      return apply(dateDiffFn(part), [args[0] as Bound, a, b], "BIGINT", ctx);
    }
    case "date_add": {
      arity(name, args, 2);
      const t = temporal(name, args, args[0], ctx);
      const iv = args[1] as Bound;
      if (iv.type !== "INTERVAL" && iv.type !== NULL_TYPE) noMatch(name, args);
      return apply(dateAddFn, [t, coerce(iv, "INTERVAL", ctx)], "TIMESTAMP", ctx);
    }
    case "time_bucket": {
      arity(name, args, 2, 3);
      const iv = args[0] as Bound;
      if (iv.type !== "INTERVAL") noMatch(name, args);
      const t = temporal(name, args, args[1], ctx);
      const origin = args[2] ? [temporal(name, args, args[2], ctx)] : [];
      return apply(
        timeBucketFn,
        [iv, t, ...origin],
        t.type === "DATE" ? "TIMESTAMP" : t.type === NULL_TYPE ? "TIMESTAMP" : t.type,
        ctx,
      );
    }
    default:
      throw new NameError(`Function "${name}" does not exist`, name);
  }
}

/**
 * predict('<model_id>', feature1, feature2, …): a trained model's prediction per row (DOUBLE for
 * regression, VARCHAR for the class). Arguments follow the model's features in order; the model
 * must be loaded into the context (the coordinator does it for the ids it finds in the SQL).
 */
function predictCall(args: Bound[], ctx: EvalContext): Bound {
  const id = args[0];
  if (id?.kind !== "const" || typeof id.value !== "string")
    throw invalidSql("predict needs a constant model id first: predict('<model_id>', feature, …)");
  const model = ctx.models?.[id.value];
  if (!model) throw invalidSql(`predict: no trained model "${id.value}" in this project`);
  const features = args.slice(1);
  if (features.length !== model.features.length)
    throw invalidSql(
      `predict('${id.value}', …) takes ${model.features.length} feature${model.features.length === 1 ? "" : "s"} (${model.features.join(", ")}), got ${features.length}`,
    );
  const fn: ScalarFn = {
    name: `predict:${id.value}`,
    strict: false,
    // Models live in the coordinator's invocation: a split never evaluates this.
    local: true,
    impl: (vecs, n) => {
      const out: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = model.predict(vecs.map((v) => valueAt(v, i) ?? null));
      return fromValues(model.type === "DOUBLE" ? "num" : "str", out);
    },
  };
  return { kind: "fn", fn, args: features, type: model.type };
}
