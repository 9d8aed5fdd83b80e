/**
 * A faithful reader for cuttlefish `.conf` files (EMQX 4.x `emqx.conf` and `etc/plugins/*.conf`),
 * following the PEG grammar of emqx/cuttlefish `conf_parse.peg` (legacy-formats.md §2):
 * one `key = value` per line, no quoting, whole-line `#` comments only, `\.` in keys, `{{ x }}` lines
 * skipped, `include <path>` lines, duplicates collapsed (last value at the first position), `$(key)`
 * substitution, Latin-1 values. Cuttlefish rejects a whole file on a syntax error; we keep every line
 * that parses and report the others as problems, so a migration report can point at all of them.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ConfDocument, ConfSetting, LegacyProblem, Location } from '../legacy-node.js';

/** One raw parse: settings before substitution, and the include directives with their lines. */
export interface RawConf {
  settings: ConfSetting[];
  includes: { path: string; location: Location }[];
  problems: LegacyProblem[];
}

const WORD = String.raw`(?:\\\.|[@/:A-Za-z0-9_-])+`;
const KEY = `${WORD}(?:\\.${WORD})*`;
// setting <- ws* key ws* "=" ws* value ws* ; value <- (!(ws* crlf) .)+  (trailing blanks are not part of it)
const SETTING_RE = new RegExp(`^[ \\t]*(${KEY})[ \\t]*=[ \\t]*([^]*?)$`);
const INCLUDE_RE = /^[ \t]*include[ \t]+([^]+)$/;
const PLACEHOLDER_RE = /^[ \t]*\{\{(?:(?!\}\})[^\n])+\}\}$/;
const COMMENT_RE = /^[ \t]*#/;
const BLANK_RE = /^[ \t]*$/;
const KEY_ONLY_RE = new RegExp(`^[ \\t]*(${KEY})[ \\t]*=[ \\t]*$`);

/** Splits a key on unescaped dots and unescapes `\.`. */
export function splitKey(key: string): string[] {
  return key.split(/(?<!\\)\./).map((w) => w.replace(/\\\./g, '.'));
}

/** Escapes one key level for writing (`a.b` -> `a\.b`). */
export const escapeKeyWord = (word: string): string => word.replace(/\./g, '\\.');

/**
 * Parses the lines of one file. `last` tells whether a line ended the file without a newline: there the
 * grammar's value keeps trailing blanks (`!(ws* crlf)` only stops before a line break).
 */
export function parseConfRaw(text: string, file: string): RawConf {
  const out: RawConf = { settings: [], includes: [], problems: [] };
  const byKey = new Map<string, ConfSetting>();
  const lines = text.split('\n');
  const problem = (code: string, line: number, message: string) =>
    out.problems.push({ code, message, location: { file, line } });

  lines.forEach((rawLine, i) => {
    const lineNo = i + 1;
    const isLast = i === lines.length - 1;
    if (isLast && rawLine === '') return; // text ended with a newline
    const line = !isLast && rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (BLANK_RE.test(line) || COMMENT_RE.test(line) || PLACEHOLDER_RE.test(line)) return;

    const m = SETTING_RE.exec(line);
    const value = m ? (isLast ? m[2]! : m[2]!.replace(/[ \t]+$/, '')) : '';
    if (m && value !== '') {
      const key = m[1]!;
      const location = { file, line: lineNo };
      const nonLatin1 = [...value].find((ch) => ch.codePointAt(0)! > 0xff);
      if (nonLatin1 !== undefined) {
        problem('conf-latin1', lineNo, `${key}: the value contains ${JSON.stringify(nonLatin1)} (U+${nonLatin1.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}), which is not Latin-1: cuttlefish rejects the file (conf_to_latin1)`);
      }
      const existing = byKey.get(key);
      if (existing) {
        // cuttlefish_conf:remove_duplicates/1: the last value wins, at the first one's position
        existing.overridden = [...(existing.overridden ?? []), existing.location];
        existing.value = value;
        existing.location = location;
      } else {
        const setting: ConfSetting = { key, path: splitKey(key), value, location };
        byKey.set(key, setting);
        out.settings.push(setting);
      }
      return;
    }
    if (KEY_ONLY_RE.test(line) || (m && value === '')) {
      problem('conf-empty-value', lineNo, `${(m?.[1] ?? line.trim().replace(/\s*=$/, ''))}: empty value; cuttlefish rejects the whole file (conf_syntax). Leave the key out (comment it) to use its default`);
      return;
    }
    const inc = INCLUDE_RE.exec(line);
    if (inc) {
      const target = isLast ? inc[1]! : inc[1]!.replace(/[ \t]+$/, '');
      if (target !== '') {
        out.includes.push({ path: target, location: { file, line: lineNo } });
        return;
      }
    }
    problem('conf-syntax', lineNo, `syntax error at line ${lineNo}, column ${syntaxColumn(line)}: expected "key = value", a "# comment" or "include <file>" (cuttlefish rejects the whole file)`);
  });
  return out;
}

/** Column (1-based) where the line stops being a valid `key =` prefix, for a readable message. */
function syntaxColumn(line: string): number {
  const lead = /^[ \t]*/.exec(line)![0].length;
  const key = new RegExp(`^${KEY}`).exec(line.slice(lead));
  if (!key) return lead + 1;
  const after = lead + key[0].length;
  const ws = /^[ \t]*/.exec(line.slice(after))![0].length;
  return after + ws + 1;
}

/**
 * `$(key)` substitution (cuttlefish_generator value_sub, every 4.x version): replaced by that key's value.
 * A missing key or a cycle is an error in cuttlefish; here a problem, and the text stays as written.
 */
export function substitute(settings: ConfSetting[], problems: LegacyProblem[]): void {
  const byKey = new Map(settings.map((s) => [s.key, s]));
  const done = new Map<string, string>();
  const resolveKey = (s: ConfSetting, stack: string[]): string => {
    const cached = done.get(s.key);
    if (cached !== undefined) return cached;
    if (stack.includes(s.key)) {
      problems.push({ code: 'conf-substitution-cycle', message: `circular $(...) substitution: ${[...stack, s.key].join(' -> ')}`, location: s.location });
      return s.value;
    }
    const value = s.value.replace(/\$\(([^)]*)\)/g, (whole, name: string) => {
      const target = byKey.get(name);
      if (!target) {
        problems.push({ code: 'conf-substitution-missing', message: `${s.key}: $(${name}) refers to a key that is not set (cuttlefish: substitution_missing_config)`, location: s.location });
        return whole;
      }
      return resolveKey(target, [...stack, s.key]);
    });
    done.set(s.key, value);
    return value;
  };
  for (const s of settings) if (s.value.includes('$(')) s.value = resolveKey(s, []);
}

/** Parses one `.conf` text (includes are listed as problems-free but not followed). Never throws. */
export function parseConf(text: string, file: string): ConfDocument {
  const raw = parseConfRaw(text, file);
  substitute(raw.settings, raw.problems);
  return { file, settings: raw.settings, problems: raw.problems };
}

/** Writes lines as cuttlefish text, one `key = value` per line. Keys are written as given (already escaped). */
export function renderConf(lines: readonly { key: string; value: string }[]): string {
  return lines.map((l) => `${l.key} = ${l.value}\n`).join('');
}

/** UTF-8 decode (cuttlefish reads files as UTF-8); invalid bytes are a problem and the text is read as Latin-1. */
function decodeFile(bytes: Uint8Array, file: string, problems: LegacyProblem[]): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    problems.push({ code: 'conf-encoding', message: `${file} is not valid UTF-8; read as Latin-1`, location: { file, line: 1 } });
    return Buffer.from(bytes).toString('latin1');
  }
}

/**
 * Reads a `.conf` file and follows its `include` lines (legacy-formats.md §2.2 rule 8): the including file
 * wins on duplicate keys; an include inside an included file is not followed (it crashes cuttlefish). A
 * relative include path is resolved against `relativeTo` (the install root, cuttlefish's working
 * directory) and, when nothing is there, against the including file's directory. The last path level may
 * be a glob (`*`, `?`). Locations are relative to `relativeTo`. Rejects only when `file` itself cannot be read.
 */
export async function readConfFile(file: string, relativeTo: string): Promise<ConfDocument> {
  const rel = (p: string) => path.relative(relativeTo, p).split(path.sep).join('/');
  const problems: LegacyProblem[] = [];
  const mainFile = rel(file);
  const main = parseConfRaw(decodeFile(await readFile(file), mainFile, problems), mainFile);
  problems.push(...main.problems);
  const settings = [...main.settings];
  const seen = new Set(settings.map((s) => s.key));
  for (const inc of main.includes) {
    const targets = await expandInclude(inc.path, relativeTo, path.dirname(file));
    if (targets.length === 0) {
      problems.push({ code: 'conf-include-missing', message: `include ${inc.path}: no such file`, location: inc.location });
      continue;
    }
    for (const target of targets) {
      const incFile = rel(target);
      let text: string;
      try {
        text = decodeFile(await readFile(target), incFile, problems);
      } catch (err) {
        problems.push({ code: 'conf-include-unreadable', message: `include ${inc.path}: ${(err as Error).message}`, location: inc.location });
        continue;
      }
      const sub = parseConfRaw(text, incFile);
      problems.push(...sub.problems);
      for (const nested of sub.includes) {
        problems.push({ code: 'conf-nested-include', message: `include ${nested.path} inside an included file is not followed (cuttlefish crashes on it)`, location: nested.location });
      }
      for (const s of sub.settings) {
        if (seen.has(s.key)) continue; // the including file wins (lists:ukeymerge)
        seen.add(s.key);
        settings.push(s);
      }
    }
  }
  substitute(settings, problems);
  return { file: mainFile, settings, problems };
}

async function expandInclude(spec: string, root: string, fileDir: string): Promise<string[]> {
  const candidates = path.isAbsolute(spec) ? [spec] : [path.resolve(root, spec), path.resolve(fileDir, spec)];
  for (const candidate of candidates) {
    const base = path.basename(candidate);
    if (!/[*?]/.test(base)) {
      try {
        await readdir(path.dirname(candidate)).then((names) => {
          if (!names.includes(base)) throw new Error('missing');
        });
        return [candidate];
      } catch {
        continue;
      }
    }
    const re = new RegExp(`^${base.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
    try {
      const names = (await readdir(path.dirname(candidate))).filter((n) => re.test(n)).sort();
      if (names.length) return names.map((n) => path.join(path.dirname(candidate), n));
    } catch {
      continue;
    }
  }
  return [];
}
