// What an agent call reads and leaves besides its turns: the assembled text of a `context:` (or
// `memory:`, or a prompt's `context:`) and the session history (read once per call, appended once at
// its end). Each is a journaled effect keyed under the call's key (agent.ts lists the keys).
import { Effect } from "effect";
import { failureOf } from "../journal.js";
import { sessionAppendKey, sessionKey, summaryKey } from "../keys.js";
import type { ChatMessage, Json, SessionEntry, SummaryRequest, ToolCall } from "../types.js";
import { VmFailure } from "../types.js";
import type { AgentHost } from "./agent-call.js";
import type { Stop } from "./types.js";

/** A message of the conversation and the agent that was running when it was written. */
export interface Said {
  agent: string;
  message: ChatMessage;
}

// ------------------------------------------------------------------ contexts

/**
 * The text of an agent's `context:` (or `memory:`), or a prompt's `context:`, for `query`: one journaled assembly (`ckey`),
 * told the run's session and principal (for `sessions()` sources), and — when it went over its
 * budget and the context has a `summarize` prompt — that prompt's condensation, a prompt call of
 * the run (`ckey/summary`: mocks, model hooks, retries, fallbacks, cost, journal). A replay or
 * resume serves both from the journal. null: no provider (a warning event; the agent runs without).
 */
export function assembleContext<U>(
  host: Pick<AgentHost<U>, "cx" | "effect" | "prompt">,
  caller: { kind: "agent" | "prompt"; name: string },
  what: "context" | "memory",
  ctxName: string,
  query: string,
  ckey: string,
  key: string,
  step: string,
): Effect.Effect<string | null, Stop> {
  const { cx } = host;
  return Effect.gen(function* () {
    // Without a provider the agent runs without its context — unless the journal already holds
    // the assembly (a replay, or a resume in a process configured differently): that is served.
    const contexts = cx.contexts;
    if (!contexts && cx.journal.outcome(ckey) === undefined) {
      cx.emit({
        type: "warning",
        runId: cx.runId,
        key,
        message: `${caller.kind} ${caller.name} declares ${what} ${ctxName}, but the runtime has no context provider (createRuntime({ contexts })): the ${caller.kind} runs without it`,
        at: cx.now(),
      });
      return null;
    }
    const who = { deferSummary: true, ...(cx.sessionId !== undefined ? { sessionId: cx.sessionId } : {}), ...(cx.principal !== undefined ? { principal: cx.principal } : {}) };
    const assembled = (yield* host.effect(ckey, step, caller.kind, caller.name, { context: ctxName, query }, true, () =>
      Effect.tryPromise({
        try: (signal) =>
          contexts
            ? (contexts.assemble(ctxName, query, signal, who) as Promise<unknown> as Promise<Json>)
            : Promise.reject(new VmFailure({ kind: "tool", retryable: false, message: `no context provider to assemble ${ctxName}` })),
        catch: (e) => (e instanceof VmFailure ? e : new VmFailure({ ...failureOf(e), message: `context ${ctxName}: ${failureOf(e).message}` })),
      }),
    )) as { text?: unknown; summarize?: SummaryRequest } | null;
    const req = assembled?.summarize;
    if (!req) return String(assembled?.text ?? "");
    // Loaded on first use: the tokenizer is not needed by runs without summaries.
    const { fitSummary, summaryArgs } = yield* Effect.promise(() => import("../context/summary.js"));
    const prompt = cx.plan.prompts[req.prompt];
    const answer = yield* host.prompt(req.prompt, prompt ? summaryArgs(prompt, req) : { text: req.text, query: req.query, budget: req.budget }, summaryKey(ckey), step);
    return fitSummary(answer, req.budget).text;
  });
}

// ------------------------------------------------------------------ sessions

/** Session history: what earlier calls of this session said (journaled: read once per call). */
export function readSession<U>(host: AgentHost<U>, name: string, key: string, step: string): Effect.Effect<ChatMessage[], Stop> {
  const { cx } = host;
  if (cx.sessionId === undefined || !cx.sessions) return Effect.succeed([]);
  const sessions = cx.sessions;
  const sid = cx.sessionId;
  return host
    .effect(sessionKey(key), step, "agent", name, { session: sid }, true, () => sessions.session(sid).pipe(Effect.map((entries) => entries as unknown as Json), Effect.orDie))
    .pipe(Effect.map((entries) => (entries as unknown as SessionEntry[]).flatMap(messageOfEntry)));
}

function messageOfEntry(e: SessionEntry): ChatMessage[] {
  if (e.role === "system") return [];
  const m: ChatMessage = { role: e.role, content: e.content };
  if (Array.isArray(e.toolCalls) && e.toolCalls.length) m.toolCalls = e.toolCalls as unknown as ToolCall[];
  if (e.toolCallId !== undefined) m.toolCallId = e.toolCallId;
  return [m];
}

/**
 * Appends what this call said to the session, once: a journaled effect, and its perform checks the
 * store for this run's entries with the same time stamp (a crash between the write and its
 * journal record does not append twice).
 */
export function writeSession<U>(host: AgentHost<U>, name: string, key: string, step: string, said: Said[], at: number): Effect.Effect<void, Stop> {
  const { cx } = host;
  if (cx.sessionId === undefined || !cx.sessions || said.length === 0) return Effect.void;
  const sessions = cx.sessions;
  const sid = cx.sessionId;
  const entries: SessionEntry[] = said.map(({ agent, message }) => ({
    runId: cx.runId,
    agent,
    role: message.role,
    content: message.content,
    ...(message.toolCalls ? { toolCalls: message.toolCalls as unknown as Json } : {}),
    ...(message.toolCallId !== undefined ? { toolCallId: message.toolCallId } : {}),
    at,
  }));
  return host
    .effect(sessionAppendKey(key), step, "agent", name, { session: sid, append: entries.length, at }, true, () =>
      sessions.session(sid).pipe(
        Effect.flatMap((existing) => {
          const first = entries[0]!;
          const done = existing.some((e) => e.runId === first.runId && e.at === first.at && e.agent === first.agent && e.content === first.content);
          return done ? Effect.succeed(existing.length) : sessions.appendSession(sid, entries);
        }),
        Effect.orDie,
      ),
    )
    .pipe(Effect.asVoid);
}
