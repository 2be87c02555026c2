/** The compiler's version, written into every plan header (kept equal to package.json by a test). */
export const VERSION = "0.4.0";
