// The `openai` SDK (~150 modules), loaded by the first live model or embedding call rather than by
// whatever imports the gateway: a run on recorded answers, `awr check` or `awr runs` never needs it
// (docs/performance.md § Cold starts).
import type * as OpenAISdk from "openai";

let sdk: typeof OpenAISdk | undefined;

/** Loads the SDK once; call before `loadedSdk()` on a live call's path. */
export async function loadSdk(): Promise<typeof OpenAISdk> {
  sdk ??= await import("openai");
  return sdk;
}

/**
 * The SDK if a call loaded it. An error can only be one of the SDK's if the SDK was loaded, so
 * classifying without it (`errors.ts`) loses nothing.
 */
export function loadedSdk(): typeof OpenAISdk | undefined {
  return sdk;
}
