// What every PII detector shares: the kinds, a match, the regex scan that turns candidates into
// matches, and the context rule (a number labelled as another kind of identifier is not PII).

export const PII_KINDS = ["email", "phone", "card", "iban", "ssn", "ip"] as const;
export type PiiKind = (typeof PII_KINDS)[number];

export interface PiiMatch {
  kind: PiiKind;
  /** UTF-16 offsets into the text (end exclusive). */
  start: number;
  end: number;
  text: string;
}

export type Detector = (text: string) => PiiMatch[];

/** Not the continuation of an IBAN-shaped token (`GB54 BARC 5649 …` with a bad checksum is no card or phone). */
export const NOT_IN_IBAN = String.raw`(?<!\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4})* ?)`;

export function scan(text: string, re: RegExp, kind: PiiKind, accept: (m: RegExpExecArray) => { start: number; end: number } | null | false): PiiMatch[] {
  const out: PiiMatch[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const r = accept(m);
    if (r) out.push({ kind, start: r.start, end: r.end, text: text.slice(r.start, r.end) });
    if (m[0].length === 0) re.lastIndex++;
  }
  return out;
}

/** A number labelled as another kind of identifier right before it is not personal data. */
const IDENTIFIER_LABEL =
  /\b(?:order|orders|invoice|inv|ref|reference|part|parts|sku|serial|sn|s\/n|model|tracking|ticket|case|version|ver|build|release|section|chapter|isbn|issn|po|item|batch|lot|shipment|confirmation|booking|receipt|transaction|txn|claim|policy|patent|catalog|catalogue|product|article|doc|document|bug|issue|pr|job|route|flight|rule|step|figure|table|page|v)\s*(?:#|no\.?|nr\.?|num(?:ber)?\.?|id)?\s*[:#]?\s*$/i;

export function labelledAsIdentifier(text: string, start: number): boolean {
  return IDENTIFIER_LABEL.test(text.slice(Math.max(0, start - 32), start));
}

export const SSN_LABEL = /\b(?:ssn|ss#|social security(?: number| no\.?| #)?)\s*(?:is|:|#)?\s*$/i;
