// The keyword source: BM25 ranking with MiniSearch. MiniSearch scores with BM25+ (BM25 with a
// lower bound δ on the term-frequency component, so a long document matching a term never scores
// below one that does not); we use the textbook parameters k1 = 1.2, b = 0.75 and δ = 0.5, exact
// terms (no prefix or fuzzy matching) combined with OR, and drop a short list of English stop words.
//
// Units: a JSON/JSONL record is one unit, searched over the `fields` option (default: all its
// fields) and shown whole; a text file is chunked like a vector source (512 tokens, no overlap).
import MiniSearch from "minisearch";
import { chunkText } from "./chunk.js";
import { renderRecord, scalarText, type Doc } from "./documents.js";

export const BM25 = { k: 1.2, b: 0.75, d: 0.5 };

const STOP = new Set(
  "a an and are as at be but by do does for from has have how i if in is it its my of on or our so that the their this to was we what when where which who why will with you your".split(
    " ",
  ),
);

export interface KeywordUnit {
  id: string;
  text: string;
  /** What BM25 sees. */
  search: string;
}

export interface KeywordHit {
  unit: KeywordUnit;
  score: number;
}

export class KeywordSource {
  private engine: MiniSearch<KeywordUnit> | undefined;
  private units = new Map<string, KeywordUnit>();
  private version = "";

  constructor(
    readonly name: string,
    private readonly fields: readonly string[] | undefined,
  ) {}

  /** Re-indexes when the documents' version changed. */
  refresh(docs: Doc[], version: string): void {
    if (version === this.version && this.engine) return;
    const units: KeywordUnit[] = [];
    for (const doc of docs) {
      if (doc.record) {
        const search = this.fields ? this.fields.map((f) => (f in doc.record! ? scalarText(doc.record![f]!) : "")).join("\n") : renderRecord(doc.record);
        units.push({ id: doc.id, text: doc.text, search });
      } else {
        for (const c of chunkText(doc.text, { maxTokens: 512, overlap: 0 })) units.push({ id: `${doc.id}#${c.index}`, text: c.text, search: c.text });
      }
    }
    const engine = new MiniSearch<KeywordUnit>({
      fields: ["search"],
      idField: "id",
      processTerm: (term) => {
        const t = term.toLowerCase();
        return STOP.has(t) ? null : t;
      },
      searchOptions: { bm25: BM25, prefix: false, fuzzy: false, combineWith: "OR" },
    });
    engine.addAll(units);
    this.engine = engine;
    this.units = new Map(units.map((u) => [u.id, u]));
    this.version = version;
  }

  search(query: string, k: number): KeywordHit[] {
    if (!this.engine) return [];
    return this.engine
      .search(query)
      .slice(0, k)
      .map((r) => ({ unit: this.units.get(String(r.id))!, score: r.score }));
  }

  get size(): number {
    return this.units.size;
  }
}
