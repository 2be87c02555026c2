// The check digits the PII detectors validate (Luhn for cards, ISO 7064 mod-97 for IBANs), shared
// by the corpus generators.

export function luhnDigit(partial) {
  let sum = 0;
  let alt = true;
  for (let i = partial.length - 1; i >= 0; i--) {
    let n = Number(partial[i]);
    if (alt && (n *= 2) > 9) n -= 9;
    sum += n;
    alt = !alt;
  }
  return String((10 - (sum % 10)) % 10);
}
export function mod97(s) {
  let r = 0;
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    const v = c >= 65 ? String(c - 55) : ch;
    for (const d of v) r = (r * 10 + Number(d)) % 97;
  }
  return r;
}
