// Embeddings behind one interface: the OpenAI-compatible `/embeddings` endpoint (through the
// `openai` SDK, configured like the model gateway) and a local deterministic embedder for offline
// runs and tests.
import type OpenAI from "openai";
import { classify } from "../gateway/errors.js";
import { loadSdk, loadedSdk } from "../gateway/sdk.js";
import { VmFailure } from "../types.js";

export interface Embedder {
  /**
   * Names the embedding space (model, endpoint, dimensions). An index built with another id is
   * rebuilt: vectors of two spaces are never compared.
   */
  readonly id: string;
  /** One vector per text, in order. */
  embed(texts: string[], signal: AbortSignal): Promise<number[][]>;
}

// ---------------------------------------------------------------- local

/**
 * Feature hashing of word unigrams and character trigrams into `dimensions` buckets (signed,
 * FNV-1a over UTF-8), sqrt-damped term frequencies, L2-normalised. Integer hashing and a fixed
 * summation order make it bit-identical on every machine. It measures lexical, not semantic,
 * similarity: good enough to run and test retrieval offline, not a substitute for a model.
 */
export class LocalEmbedder implements Embedder {
  readonly id: string;

  constructor(readonly dimensions = 384) {
    this.id = `local-hash-v1/${dimensions}`;
  }

  async embed(texts: string[], signal: AbortSignal): Promise<number[][]> {
    if (signal.aborted) throw cancelled("local embedder");
    return texts.map((t) => this.embedOne(t));
  }

  embedOne(text: string): number[] {
    const features = new Map<string, number>();
    const add = (f: string, w: number) => features.set(f, (features.get(f) ?? 0) + w);
    for (const word of words(text)) {
      add(`w:${word}`, 1);
      const padded = `<${word}>`;
      const chars = [...padded];
      for (let i = 0; i + 3 <= chars.length; i++) add(`c:${chars[i]}${chars[i + 1]}${chars[i + 2]}`, 0.5);
    }
    const v = new Array<number>(this.dimensions).fill(0);
    for (const [f, tf] of features) {
      const h = fnv1a(f);
      const sign = h & 0x80000000 ? -1 : 1;
      v[(h & 0x7fffffff) % this.dimensions] += sign * Math.sqrt(tf);
    }
    return normalise(v);
  }
}

export function words(text: string): string[] {
  return (
    text
      .normalize("NFKC")
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

const utf8 = new TextEncoder();

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of utf8.encode(s)) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** L2-normalised copy; the zero vector becomes a unit vector on the first axis (cosine stays defined). */
export function normalise(v: number[]): number[] {
  let s = 0;
  for (const x of v) s += x * x;
  if (s === 0) return v.map((_, i) => (i === 0 ? 1 : 0));
  const n = Math.sqrt(s);
  return v.map((x) => x / n);
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

// ---------------------------------------------------------------- OpenAI-compatible

export interface OpenAIEmbedderOptions {
  /** The embedding model, e.g. `text-embedding-3-small`. */
  model: string;
  /** Default: `OPENAI_BASE_URL`, else OpenAI's. */
  baseURL?: string;
  /** The environment variable holding the key (default `OPENAI_API_KEY`). */
  apiKeyEnv?: string;
  /** Where keys and base URLs are read from (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Asks the server for shorter vectors (text-embedding-3 models support it). */
  dimensions?: number;
  /** Texts per request (default 128). */
  batchSize?: number;
  /** Per request (default 60 s). */
  timeoutMs?: number;
}

const OPENAI_URL = "https://api.openai.com/v1";

/**
 * `POST {baseURL}/embeddings` through the `openai` SDK. The SDK's retries are off, as in the model
 * gateway; failures come back as classified `VmFailure`s (auth, rate_limit, transport, timeout...).
 */
export class OpenAIEmbedder implements Embedder {
  readonly id: string;
  private readonly baseURL: string;
  private client: OpenAI | undefined;

  constructor(private readonly opts: OpenAIEmbedderOptions) {
    const env = opts.env ?? process.env;
    this.baseURL = opts.baseURL ?? (env.OPENAI_BASE_URL || OPENAI_URL);
    this.id = `openai/${opts.model}${opts.dimensions ? `/${opts.dimensions}` : ""}@${this.baseURL}`;
  }

  async embed(texts: string[], signal: AbortSignal): Promise<number[][]> {
    const where = `embeddings ${this.opts.model}`;
    if (signal.aborted) throw cancelled(where);
    await loadSdk();
    const client = this.clientOf(where);
    const batch = Math.max(1, this.opts.batchSize ?? 128);
    const timeoutMs = this.opts.timeoutMs ?? 60_000;
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += batch) {
      const input = texts.slice(i, i + batch).map((t) => (t === "" ? " " : t));
      try {
        const res = await client.embeddings.create(
          { model: this.opts.model, input, encoding_format: "float", ...(this.opts.dimensions ? { dimensions: this.opts.dimensions } : {}) },
          { signal, timeout: timeoutMs, maxRetries: 0 },
        );
        const data = [...res.data].sort((a, b) => a.index - b.index);
        if (data.length !== input.length)
          throw new VmFailure({ kind: "transport", message: `${where}: asked for ${input.length} vectors, got ${data.length}`, retryable: true });
        for (const d of data) {
          if (!Array.isArray(d.embedding)) throw new VmFailure({ kind: "transport", message: `${where}: the answer has no float vector`, retryable: false });
          out.push(d.embedding);
        }
      } catch (err) {
        throw reword(classify(err, this.opts.model, { caller: signal, timedOut: false, timeoutMs }), where);
      }
    }
    return out;
  }

  private clientOf(where: string): OpenAI {
    if (this.client) return this.client;
    const env = this.opts.env ?? process.env;
    const name = this.opts.apiKeyEnv ?? "OPENAI_API_KEY";
    const apiKey = env[name];
    if (!apiKey) throw new VmFailure({ kind: "auth", message: `${where}: no API key: the environment variable ${name} is not set`, retryable: false });
    this.client = new (loadedSdk()!.default)({ apiKey, baseURL: this.baseURL, maxRetries: 0 });
    return this.client;
  }
}

function cancelled(where: string): VmFailure {
  return new VmFailure({ kind: "cancelled", message: `${where}: cancelled`, retryable: false });
}

/** The gateway names failures "model X: ..."; an embedding failure says "embeddings X: ...". */
function reword(f: VmFailure, where: string): VmFailure {
  return new VmFailure({ ...f.info, message: f.info.message.replace(/^model [^:]+:/, `${where}:`) });
}
