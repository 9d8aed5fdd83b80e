/**
 * emqx_psk_file (4.0–4.4) -> auth-psk. Decision: the identities of etc/psk.txt (read into
 * LegacyNode.psk by the node reader) are carried inline as `entries` (secrets, redacted in reports),
 * so the cluster needs no file; `psk.file.path` is classified mapped to `auth-psk#/entries`.
 * Duplicate identities: 4.x kept the last line (ETS insert), so the last one wins here too.
 * `renderPskFile` writes psk.txt back for `--reverse`.
 */
import { str } from './codecs.js';
import { defineMapping } from './define-mapping.js';
import { asFile, enterpriseMapper } from './auth-enterprise.js';
import type { KeyOutcome } from './mapping.js';
import type { Location } from '../../src/migrator/legacy-node.js';

interface PskEntry {
  identity: string;
  secret: string;
}

/** Dedupes by identity (last wins, position of the first) and reports every line. */
function entriesFrom(lines: { identity: string; secret: string; location: Location }[]): { entries: PskEntry[]; keys: KeyOutcome[] } {
  const last = new Map<string, number>();
  lines.forEach((l, i) => last.set(l.identity, i));
  const entries: PskEntry[] = [];
  const index = new Map<string, number>();
  const keys: KeyOutcome[] = [];
  lines.forEach((l, i) => {
    if (!index.has(l.identity)) {
      index.set(l.identity, entries.length);
      entries.push({ identity: l.identity, secret: '' });
    }
    const at = index.get(l.identity)!;
    const key = `psk ${l.identity}`;
    if (last.get(l.identity) === i) {
      entries[at]!.secret = l.secret;
      keys.push({ key, location: l.location, class: 'mapped', target: `auth-psk#/entries/${at}`, secret: true });
    } else {
      const winner = lines[last.get(l.identity)!]!.location;
      keys.push({ key, location: l.location, class: 'not-mapped', reason: `identity repeated at line ${winner.line}: the last line wins`, secret: true });
    }
  });
  return { entries, keys };
}

export const pskFile = defineMapping({
  source: 'emqx_psk_file',
  moduleType: 'auth-psk',
  loadedAs: ['emqx_psk_file'],
  fields: [
    { key: 'psk.file.delimiter', pointer: '/delimiter', codec: str },
    { key: 'psk.file.path', pointer: '/__path', codec: str },
  ],
  afterForward(config, ctx, result) {
    const path = config.__path;
    delete config.__path;
    const pathOutcome = result.keys.find((k) => k.key === 'psk.file.path');
    const psk = ctx.node.psk;
    if (pathOutcome) {
      pathOutcome.class = 'mapped';
      pathOutcome.target = 'auth-psk#/entries';
      pathOutcome.reason = psk ? `the identities of ${psk.file} are carried inline` : 'the file was not found: no identities carried';
    }
    if (!psk) {
      result.warnings.push({
        code: 'psk-file-missing',
        message: `emqx_psk_file: no PSK file was read${typeof path === 'string' ? ` (psk.file.path = ${path})` : ''}; auth-psk has no identities`,
        ...(pathOutcome ? { location: pathOutcome.location } : {}),
      });
      return;
    }
    const { entries, keys } = entriesFrom(psk.entries);
    if (entries.length) config.entries = entries;
    result.keys.push(...keys);
  },
  enterpriseTypes: ['psk_authentication'],
  fromEnterprise: enterpriseMapper(
    'auth-psk',
    {
      psk_file: {
        pointer: '/entries',
        secret: true,
        convert(v, warn) {
          const content = v && typeof v === 'object' ? (v as { file?: unknown }).file : undefined;
          if (typeof content !== 'string') return asFile(v, warn) === undefined ? undefined : [];
          return content
            .split(/\r?\n/)
            .map((line) => line.trim())
            .filter((line) => line !== '' && !line.startsWith('#') && line.includes(':'))
            .map((line) => ({ identity: line.slice(0, line.indexOf(':')), secret: line.slice(line.indexOf(':') + 1) }));
        },
      },
    },
    (config) => {
      const entries = config.entries as PskEntry[] | undefined;
      if (!entries) return;
      const dedup = entriesFrom(entries.map((e, i) => ({ ...e, location: { file: '', line: i + 1 } })));
      config.entries = dedup.entries;
    },
  ),
});

/** psk.txt text for an auth-psk config (`identity<delimiter>secret` lines). */
export function renderPskFile(config: Record<string, unknown>): string {
  const delimiter = typeof config.delimiter === 'string' ? config.delimiter : ':';
  const entries = (config.entries as PskEntry[] | undefined) ?? [];
  return entries.map((e) => `${e.identity}${delimiter}${e.secret}\n`).join('');
}
