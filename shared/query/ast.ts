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
  | { kind: "column"; table: string | null; name: string }
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
  | { kind: "call"; name: string; args: Expr[]; distinct: boolean; star: boolean };

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

export type FromItem =
  | { kind: "table"; name: string; alias: string | null }
  | { kind: "subquery"; query: Select; alias: string | null };

export interface Select {
  ctes: { name: string; query: Select }[];
  distinct: boolean;
  items: SelectItem[];
  from: FromItem | null;
  where: Expr | null;
  groupBy: Expr[];
  having: Expr | null;
  orderBy: OrderItem[];
  limit: number | null;
  offset: number;
}
