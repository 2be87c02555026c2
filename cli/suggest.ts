// Did-you-mean on the command line's error paths (an unknown command or option): the compiler's one
// edit-distance helper, loaded with the compiler only when a name is wrong, so a start-up that
// parses its arguments without error loads no compiler.
export async function closest(name: string, candidates: Iterable<string>): Promise<string | undefined> {
  const compiler = await import("../compiler/index.js");
  return compiler.closest(name, candidates);
}
