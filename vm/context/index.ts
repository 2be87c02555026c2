// Context assembly (`context` declarations): sources, chunking, embeddings, fusion, dedup, budget.
export {
  createContextAssembler,
  modelSummarizer,
  promptSummarizer,
  type Assembly,
  type ContextAssembler,
  type ContextAssemblerOptions,
  type SourceReport,
  type Summarizer,
} from "./assembler.js";
export { LocalEmbedder, OpenAIEmbedder, cosine, type Embedder, type OpenAIEmbedderOptions } from "./embed.js";
export { chunkText, DEFAULT_CHUNK, type Chunk, type ChunkOptions } from "./chunk.js";
export { loadDocuments, matchFiles, type Doc } from "./documents.js";
export { VectorIndex, VectorSource, exactSearch, DEFAULT_HNSW, type BuildReport, type HnswParams } from "./vector.js";
export { KeywordSource, BM25 } from "./keyword.js";
export { structuredSearch, parseFilters } from "./structured.js";
export { sessionDocuments, sessionsSpec, type SessionStore, type SessionsSpec } from "./sessions.js";
export { summaryArgs, fitSummary } from "./summary.js";
export { fuse, dedup, cutTop, fitBudget, renderBlock, RRF_K, SEPARATOR, type Candidate, type Dropped, type Item, type RankedList } from "./rank.js";
export { TtlCache } from "./cache.js";
export { countTokens, truncateToTokens, TOKENIZER } from "./tokens.js";
