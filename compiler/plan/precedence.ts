// Binding strength of the binary operators, loosest first (the levels of compiler/syntax/grammar.ts):
// || · && · == != · < <= > >= in · ?? · + - · * / %. One table for every printer of expressions
// (the formatter, `awr inspect`, analysis messages), so printed text always parses back the same.
import type { BinaryOpIR } from "./types.js";

export const BINARY_PRECEDENCE: Readonly<Record<BinaryOpIR, number>> = {
  "||": 1,
  "&&": 2,
  "==": 3,
  "!=": 3,
  "<": 4,
  "<=": 4,
  ">": 4,
  ">=": 4,
  in: 4,
  "??": 5,
  "+": 6,
  "-": 6,
  "*": 7,
  "/": 7,
  "%": 7,
};
/** Unary `!` and `-` bind tighter than every binary operator; postfix (`.`, `[]`, `()`, `!`) tighter still. */
export const UNARY_PRECEDENCE = 8;
export const POSTFIX_PRECEDENCE = 9;
