export { lowerProgram, type LowerOptions } from "./program.js";
export { exprToIR, templateSegments, type Locals } from "./expr.js";
export { typeSchema, paramsSchema, namedTypeSchema } from "./schema.js";
