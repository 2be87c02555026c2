import { expect } from "vitest";
import { VmFailure, type FailureInfo } from "../../vm/types.js";

/** Awaits a promise that must reject with a VmFailure and returns its info. */
export async function failure(p: Promise<unknown>): Promise<FailureInfo> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(VmFailure);
    return (e as VmFailure).info;
  }
  throw new Error("expected a failure");
}
