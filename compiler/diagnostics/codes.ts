// The one registry of diagnostic codes. A code, once published, keeps its meaning forever:
// retire a code rather than reuse it. `docs/diagnostics.md` lists them all (a test keeps it in sync).
//
// Ranges: 1xxx syntax · 2xxx names, modules, declarations · 3xxx types and expressions ·
// 4xxx graph analysis · 5xxx tools, policies, contexts, tests · 6xxx advice (warnings) · 7xxx cost.

export type Severity = "error" | "warning" | "info";

export interface CodeInfo {
  severity: Severity;
  title: string;
}

export const CODES = {
  // syntax
  AWR1001: { severity: "error", title: "unexpected character" },
  AWR1002: { severity: "error", title: "syntax error" },
  AWR1003: { severity: "error", title: "unterminated string or template" },
  AWR1004: { severity: "error", title: "malformed template hole" },
  AWR1005: { severity: "error", title: "malformed number or duration" },
  AWR1006: { severity: "error", title: "source file too large" },

  // names, modules, declarations
  AWR2001: { severity: "error", title: "unknown name" },
  AWR2002: { severity: "error", title: "duplicate declaration" },
  AWR2003: { severity: "error", title: "imported file not found" },
  AWR2004: { severity: "error", title: "import cycle" },
  AWR2005: { severity: "error", title: "unknown field" },
  AWR2006: { severity: "error", title: "wrong kind of declaration" },
  AWR2007: { severity: "error", title: "unknown property" },
  AWR2008: { severity: "error", title: "missing required property" },
  AWR2009: { severity: "error", title: "duplicate field or property" },
  AWR2010: { severity: "error", title: "unknown type" },
  AWR2011: { severity: "error", title: "invalid property value" },
  AWR2012: { severity: "error", title: "type alias cycle" },
  AWR2013: { severity: "error", title: "import outside the project" },

  // types and expressions
  AWR3001: { severity: "error", title: "type mismatch" },
  AWR3002: { severity: "error", title: "bad call arguments" },
  AWR3003: { severity: "error", title: "bad template hole" },
  AWR3004: { severity: "error", title: "attribute misuse" },
  AWR3005: { severity: "error", title: "non-exhaustive comparison" },
  AWR3006: { severity: "error", title: "field write does not fit the field" },
  AWR3007: { severity: "error", title: "await result is not stored" },
  AWR3008: { severity: "error", title: "not callable here" },
  AWR3009: { severity: "error", title: "wrong type arguments" },
  AWR3010: { severity: "error", title: "unknown enum member or literal" },

  // graph analysis
  AWR4001: { severity: "error", title: "unreachable node" },
  AWR4002: { severity: "error", title: "node cannot reach end" },
  AWR4003: { severity: "error", title: "cycle without a bound" },
  AWR4004: { severity: "error", title: "parallel writes to a replace field" },
  AWR4005: { severity: "error", title: "`!` on a field no node writes" },
  AWR4006: { severity: "error", title: "invalid edge" },
  AWR4007: { severity: "error", title: "conflicting edge conditions" },
  AWR4008: { severity: "error", title: "graph without return" },
  AWR4009: { severity: "error", title: "invalid node body" },
  AWR4010: { severity: "error", title: "unknown node" },
  AWR4011: { severity: "error", title: "reserved or duplicate node name" },
  AWR4012: { severity: "error", title: "node without outgoing edge" },
  AWR4013: { severity: "warning", title: "edge conditions can all be false" },

  // tools, policies, contexts, tests
  AWR5001: { severity: "error", title: "unknown tag" },
  AWR5002: { severity: "error", title: "invalid policy rule" },
  AWR5003: { severity: "error", title: "invalid tool implementation" },
  AWR5004: { severity: "error", title: "invalid context source" },
  AWR5005: { severity: "error", title: "invalid test statement" },
  AWR5006: { severity: "error", title: "invalid compensation" },
  AWR5007: { severity: "error", title: "field cannot be transformed" },
  AWR5008: { severity: "error", title: "transformed value does not fit the field" },
  AWR5009: { severity: "error", title: "invalid classifier call" },
  AWR5010: { severity: "error", title: "js module not found" },
  AWR5011: { severity: "error", title: "js module has no such export" },
  AWR5012: { severity: "error", title: "unsupported property" },
  AWR5013: { severity: "error", title: "path outside the project" },

  // advice
  AWR6001: { severity: "warning", title: "unused declaration" },
  AWR6002: { severity: "warning", title: "model without timeout" },
  AWR6003: { severity: "warning", title: "agent without limits" },
  AWR6004: { severity: "warning", title: "unused state field" },
  AWR6005: { severity: "warning", title: "condition is always true or false" },
  AWR6006: { severity: "warning", title: "tool without timeout" },

  // cost
  AWR7001: { severity: "info", title: "unbounded cost" },
} as const satisfies Record<string, CodeInfo>;

export type Code = keyof typeof CODES;
