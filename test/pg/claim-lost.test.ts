// A run taken over by another runtime on the same PostgreSQL schema (two pools: two processes): the
// loser gets ClaimLost (test/vm/claim-lost.ts has the scenarios).
import { describe } from "vitest";
import { claimLostCases } from "../vm/claim-lost.js";
import { pgStores } from "./helpers.js";

describe("ClaimLost on PostgreSQL", () => {
  claimLostCases(async () => {
    const pg = await pgStores({}, "awr_pg");
    return { a: await pg.open(), b: await pg.open(), close: () => pg.cleanup() };
  });
});
