/** Parses psk.txt-style text: `identity<delimiter>key` per line; blank lines and `#` comments skipped. */
export interface PskLine {
  identity: string;
  secret: string;
  line: number;
}

export function parsePskText(text: string, delimiter: string): { entries: PskLine[]; errors: Array<{ line: number; message: string }> } {
  const entries: PskLine[] = [];
  const errors: Array<{ line: number; message: string }> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const at = line.indexOf(delimiter);
    if (at <= 0 || at + delimiter.length >= line.length) {
      errors.push({ line: i + 1, message: `expected identity${delimiter}key` });
      return;
    }
    entries.push({ identity: line.slice(0, at), secret: line.slice(at + delimiter.length), line: i + 1 });
  });
  return { entries, errors };
}
