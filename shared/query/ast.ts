// The engine's own syntax tree: the small subset of SQL the dialect accepts, independent of the parser.
import type { SqlType } from "./types";

/** A calendar interval: months and days stay calendar units, the rest is milliseconds. */
export interface Interval {
  months: number;
  days: number;
  ms: number;
}

export type LiteralValue = number | string | boolean | null | Interval;

export type BinaryOp =
  | "+"
  | "-"
  | "*"
  | "/"
  | "//"
  | "%"
  | "="
  | "<>"
  | "<"
  | "<="
  | ">"
  | ">="
  | "AND"
  | "OR"
  | "||"
  | "->"
  | "->>";

export type Expr =
  | {
      kind: "column";
      table: string | null;
      name: string /** Already resolved (SELECT * over a join). */;
      slot?: number;
    }
  | { kind: "star"; table: string | null }
  | { kind: "literal"; value: LiteralValue; type: SqlType }
  | { kind: "unary"; op: "-" | "NOT"; arg: Expr }
  | { kind: "binary"; op: BinaryOp; left: Expr; right: Expr }
  | { kind: "isNull"; arg: Expr; negated: boolean }
  | { kind: "in"; arg: Expr; list: Expr[]; negated: boolean }
  | { kind: "between"; arg: Expr; low: Expr; high: Expr; negated: boolean }
  | { kind: "like"; arg: Expr; pattern: Expr; caseInsensitive: boolean; negated: boolean; escape: string | null }
  | { kind: "case"; operand: Expr | null; whens: { when: Expr; result: Expr }[]; otherwise: Expr | null }
  | { kind: "cast"; arg: Expr; to: SqlType; syntax: "cast" | "::" }
  | { kind: "call"; name: string; args: Expr[]; distinct: boolean; star: boolean }
  | { kind: "window"; name: string; args: Expr[]; distinct: boolean; star: boolean; over: WindowSpec }
  | { kind: "subquery"; query: Select }
  | { kind: "exists"; query: Select; negated: boolean }
  | { kind: "inSubquery"; arg: Expr; query: Select; negated: boolean };

/** One end of a window frame; offsets are constant expressions (numbers, or intervals for RANGE). */
export type FrameBound =
  | { kind: "unbounded_preceding" }
  | { kind: "preceding"; offset: Expr }
  | { kind: "current_row" }
  | { kind: "following"; offset: Expr }
  | { kind: "unbounded_following" };

export interface WindowFrame {
  unit: "rows" | "range";
  start: FrameBound;
  end: FrameBound;
}

export interface WindowSpec {
  partitionBy: Expr[];
  orderBy: OrderItem[];
  /** null: DuckDB's default (RANGE UNBOUNDED PRECEDING to CURRENT ROW with ORDER BY, else the whole partition). */
  frame: WindowFrame | null;
}

export interface SelectItem {
  expr: Expr;
  alias: string | null;
}

export interface OrderItem {
  expr: Expr;
  desc: boolean;
  /** null: DuckDB's default, NULLS LAST. */
  nullsFirst: boolean | null;
}

export type JoinType = "inner" | "left" | "right" | "full" | "cross";

export type SetOpKind = "union" | "intersect" | "except";

export type FromItem =
  | {
      kind: "table";
      name: string;
      alias: string | null /** `datasets.<name>`: the event type, never `events` nor a CTE. */;
      dataset?: true;
    }
  | { kind: "subquery"; query: Select; alias: string | null }
  | { kind: "join"; joinType: JoinType; left: FromItem; right: FromItem; on: Expr | null; using: string[] | null }
  | { kind: "setop"; op: SetOpKind; all: boolean; left: Select; right: Select; alias: string | null };

export interface Select {
  ctes: { name: string; query: Select }[];
  distinct: boolean;
  items: SelectItem[];
  from: FromItem | null;
  where: Expr | null;
  groupBy: Expr[];
  having: Expr | null;
  qualify: Expr | null;
  orderBy: OrderItem[];
  limit: number | null;
  offset: number;
}
