// The formatting settings of a file as the project states them: `.prettierrc` (any form prettier
// reads, `overrides` included) and `.editorconfig` (indent_style, indent_size / tab_width,
// max_line_length, end_of_line), resolved by prettier itself and mapped with the compiler's
// `formatOptionsOf` — the mapping the prettier plugin uses, so `awr fmt`, the language server and
// `prettier --write` give the same output for the same file (docs/editor.md § Formatter).
import type { FormatOptions } from "../compiler/index.js";
import { formatOptionsOf } from "../compiler/index.js";

/** What the project's configuration says for `file` (`{}` when nothing applies); prettier loaded on first use. */
export async function formatConfigFor(file: string): Promise<{ options: FormatOptions; configured: boolean }> {
  const prettier = await import("prettier");
  const config = await prettier.resolveConfig(file, { editorconfig: true });
  if (!config) return { options: {}, configured: false };
  const options = formatOptionsOf(config);
  return { options, configured: Object.keys(options).length > 0 };
}
