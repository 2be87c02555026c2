// The sessions source: cross-session memory. `source past = sessions() { scope, exclude_current,
// roles, search }` searches what earlier sessions said, from the run store the runs write their
// sessions to (`store.sessions.sessionEntries`, vm/ports/store.ts).
//
// A document is one exchange: the consecutive entries of one session written by one agent call
// (same run, same time stamp), rendered as `role: content` lines of the chosen roles. Its id is
// `SESSION#SEQ` (the position of its first entry). The store is read on every query, so a new
// exchange changes the source's version (and the cache key) as soon as it is written.
import type { ContextSourcePlan } from "../../compiler/plan/index.js";
import { Effect } from "effect";
import type { AssembleOptions, RunStore, SessionEntry, SessionMemoryEntry } from "../types.js";
import { principalId } from "../store/codec.js";
import { sha256, type Doc } from "./documents.js";

/** What a sessions source reads: a run store's session port (any `RunStore` is one). */
export type SessionStore = Pick<RunStore, "sessions">;

export interface SessionsSpec {
  /** `principal` (default): the sessions of the asking run's principal; `all`: every session. */
  scope: "principal" | "all";
  /** Leave out the asking run's own session (default true: the agent has it as history). */
  excludeCurrent: boolean;
  /** Whose messages make a document (default user and assistant). */
  roles: SessionEntry["role"][];
  /** How documents are ranked: BM25 (default) or cosine similarity of embeddings. */
  search: "keyword" | "vector";
}

/** The principal a run without one has (vm/runtime.ts). */
export const ANONYMOUS = "anonymous";

const ROLES: readonly SessionEntry["role"][] = ["user", "assistant", "tool"];

export function sessionsSpec(plan: ContextSourcePlan): SessionsSpec {
  const o = plan.options;
  const roles = Array.isArray(o["roles"]) ? o["roles"].filter((r): r is SessionEntry["role"] => ROLES.includes(r as SessionEntry["role"])) : [];
  return {
    scope: o["scope"] === "all" ? "all" : "principal",
    excludeCurrent: o["exclude_current"] !== false,
    roles: roles.length > 0 ? roles : ["user", "assistant"],
    search: o["search"] === "vector" ? "vector" : "keyword",
  };
}

/** The principal id of an assembly's asker: the `id` of its principal, else "anonymous". */
export function askerId(who: AssembleOptions): string {
  return principalId(who.principal) ?? ANONYMOUS;
}

/** The exchanges of earlier sessions this asker may see, one document each, by session then position. */
export async function sessionDocuments(store: SessionStore, spec: SessionsSpec, who: AssembleOptions): Promise<Doc[]> {
  const entries = await Effect.runPromise(
    store.sessions.sessionEntries({
      ...(spec.scope === "principal" ? { principal: askerId(who) } : {}),
      ...(spec.excludeCurrent && who.sessionId !== undefined ? { excludeSession: who.sessionId } : {}),
    }),
  );
  const docs: Doc[] = [];
  let group: SessionMemoryEntry[] = [];
  const flush = () => {
    const first = group[0];
    const lines = group.filter((e) => spec.roles.includes(e.role) && e.content.trim() !== "").map((e) => `${e.role}: ${e.content.trim()}`);
    group = [];
    if (!first || lines.length === 0) return;
    const id = `${first.sessionId}#${first.seq ?? 0}`;
    const text = lines.join("\n");
    docs.push({ id, file: "", record: { text }, text, hash: sha256(JSON.stringify([id, text])) });
  };
  for (const e of entries) {
    const prev = group[group.length - 1];
    if (prev && (prev.sessionId !== e.sessionId || prev.runId !== e.runId || prev.at !== e.at)) flush();
    group.push(e);
  }
  flush();
  return docs;
}
