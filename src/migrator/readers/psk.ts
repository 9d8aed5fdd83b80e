/**
 * `etc/psk.txt` of the `emqx_psk_file` plugin: one `identity<delimiter>secret` per line (delimiter from
 * `psk.file.delimiter`, shipped `:`), split at the first delimiter. Blank lines are skipped.
 */
import type { LegacyProblem, PskEntry } from '../legacy-node.js';

export interface PskFile {
  entries: PskEntry[];
  problems: LegacyProblem[];
}

export function parsePskFile(text: string, file: string, delimiter = ':'): PskFile {
  const out: PskFile = { entries: [], problems: [] };
  const seen = new Map<string, number>();
  text.split('\n').forEach((rawLine, i) => {
    const line = rawLine.replace(/\r$/, '');
    const location = { file, line: i + 1 };
    if (line.trim() === '') return;
    const at = delimiter === '' ? -1 : line.indexOf(delimiter);
    if (at < 0) {
      out.problems.push({ code: 'psk-invalid-line', message: `line ${i + 1}: no ${JSON.stringify(delimiter)} between identity and secret`, location });
      return;
    }
    const identity = line.slice(0, at);
    const secret = line.slice(at + delimiter.length);
    if (identity === '' || secret === '') {
      out.problems.push({ code: 'psk-invalid-line', message: `line ${i + 1}: empty ${identity === '' ? 'identity' : 'secret'}`, location });
      return;
    }
    const prev = seen.get(identity);
    if (prev !== undefined) {
      out.problems.push({ code: 'psk-duplicate', message: `identity ${JSON.stringify(identity)} is also on line ${out.entries[prev]!.location.line}; the last one wins`, location });
      out.entries[prev] = { identity, secret, location };
      return;
    }
    seen.set(identity, out.entries.length);
    out.entries.push({ identity, secret, location });
  });
  return out;
}
