/**
 * `data/loaded_plugins` and `data/loaded_modules` (legacy-formats.md §3, §4): Erlang terms naming what a
 * node loads at boot. Accepted entries: `{Name, true|false}.`, and for plugins also a bare `Name.`
 * (EMQX itself writes those). Returns the effective state, one entry per name at the location of the
 * entry that decides it:
 * - plugins up to 4.3.12 / 4.4.1: any `true`/bare entry loads (a later `{X,false}` does not cancel it);
 *   from 4.3.13 / 4.4.2 (and when the version is unknown) the last entry wins;
 * - modules: any `{M,true}` loads (each entry is applied in turn, `false` only skips).
 */
import type { LegacyProblem, LoadedEntry } from '../legacy-node.js';
import { consultTerms, renderTerm, type ErlTerm } from './erlang-terms.js';
import { atLeastPatch } from './version.js';

export type LoadedKind = 'plugins' | 'modules';

export interface LoadedList {
  entries: LoadedEntry[];
  problems: LegacyProblem[];
}

export function parseLoadedList(text: string, file: string, kind: LoadedKind, version?: string): LoadedList {
  const parsed = consultTerms(text, file);
  const problems = [...parsed.problems];
  const raw: LoadedEntry[] = [];
  for (const { term, location } of parsed.terms) {
    const entry = readEntry(term);
    if (typeof entry === 'string') {
      problems.push({ code: 'loaded-invalid-entry', message: `${renderTerm(term)}: ${entry}`, location });
      continue;
    }
    if (entry.bare && kind === 'modules') {
      problems.push({
        code: 'loaded-bare-module',
        message: `${entry.name}: a bare atom in loaded_modules crashes EMQX at boot (only {${entry.name}, true} is accepted); read as enabled`,
        location,
      });
    }
    raw.push({ name: entry.name, enabled: entry.enabled, location });
  }

  const lastWins = kind === 'plugins' && (version === undefined || atLeastPatch(version, { '4.3': '4.3.13', '4.4': '4.4.2' }));
  const effective = new Map<string, LoadedEntry>();
  for (const e of raw) {
    const prev = effective.get(e.name);
    if (prev) {
      problems.push({
        code: 'loaded-duplicate',
        message: `${e.name} is listed more than once (also line ${prev.location.line}); ${lastWins ? 'the last entry wins' : 'it loads if any entry enables it'}`,
        location: e.location,
      });
      if (!lastWins && prev.enabled) continue;
    }
    // re-insert so the order is that of the deciding entry
    effective.delete(e.name);
    effective.set(e.name, e);
  }
  return { entries: [...effective.values()], problems };
}

function readEntry(t: ErlTerm): { name: string; enabled: boolean; bare: boolean } | string {
  if (t.type === 'atom') return { name: t.value, enabled: true, bare: true };
  if (t.type !== 'tuple') return 'expected {name, true|false} or a bare name';
  const [name, flag] = t.items;
  if (t.items.length !== 2 || name?.type !== 'atom') return 'expected {name, true|false}';
  if (flag?.type !== 'atom' || (flag.value !== 'true' && flag.value !== 'false')) {
    return 'the second element must be true or false (EMQX up to 4.3.12/4.4.1 crashes on this entry, later versions ignore it)';
  }
  return { name: name.value, enabled: flag.value === 'true', bare: false };
}
