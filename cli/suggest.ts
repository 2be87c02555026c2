export { closest } from "../compiler/diagnostics/suggest.js";
