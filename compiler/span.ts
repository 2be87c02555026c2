// A place in a source file, below both the syntax tree (every node has one) and the diagnostics
// (every diagnostic points at one), so that neither folder imports the other for it.

/** Offsets into a file's text, end exclusive. */
export interface Span {
  start: number;
  end: number;
}
