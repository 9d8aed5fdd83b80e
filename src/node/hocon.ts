/**
 * The only door to `@pushcorn/hocon-parser`. The library can run code from a config file
 * (`| eval {...}` and the other `|` transforms, `include "x.js"`), fetch `include url(http...)`,
 * read any file on disk and load plugins named in the host's package.json. A cluster document can
 * arrive over REST, so every one of those is replaced here, once, at import:
 * - all `|` transforms and the script builder throw (plain HOCON has neither);
 * - http/https/modulepath/classpath sources throw before any request is made;
 * - file includes resolve only under the directory of the file being parsed (symlinks followed);
 * - plugin discovery is switched off.
 * Strict mode parses `0.75` as a string (a library bug); unquoted JSON-number text is turned back
 * into numbers here, while quoted `"0.75"` stays a string.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A config file that cannot be read or parsed; names the file and, when known, the line. */
export class HoconError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
    this.name = 'HoconError';
  }
}

// The library is CJS without types: describe the little we touch.
type AdapterClass = abstract new (...args: never[]) => object;
interface HoconContext {
  url?: { href: string; clone(): { pop(): string; join(p: string): void; href: string } } | null;
  isPathAbsolute(path: string): boolean;
}
interface HoconParser {
  (opts: Record<string, unknown>): Promise<unknown>;
  $mode: string;
  $require: unknown;
  Context: {
    registerComponent(...classes: unknown[]): void;
    parseData(data: unknown, strict?: boolean): unknown;
    defaultBuilderMap: Record<string, string>;
  };
  SourceAdapter: AdapterClass;
  BuilderAdapter: AdapterClass;
  TransformAdapter: AdapterClass;
  getClass(name: string): AdapterClass;
}

const requireCjs = createRequire(import.meta.url);
const parser = requireCjs('@pushcorn/hocon-parser') as HoconParser;

/** The directory the current parse may read from; carried through the library's async calls. */
const scope = new AsyncLocalStorage<{ root: string }>();

const TRANSFORMS = [
  'Base64DecodeTransform', 'Base64EncodeTransform', 'EvalTransform', 'FilterTransform', 'HashTransform',
  'InvokeTransform', 'MapTransform', 'QueryTransform', 'ReduceTransform', 'SliceTransform', 'SortTransform',
  'TrimTransform', 'UniqueTransform',
];
const REMOTE_SOURCES = ['HttpSource', 'HttpsSource', 'ModulepathSource'];

/** Registry keys come from the class name, so each replacement gets the original's name. */
function named<T extends object>(name: string, cls: T): T {
  Object.defineProperty(cls, 'name', { value: name });
  return cls;
}

function blocked(base: AdapterClass, name: string, what: string, aliases: string[] = []): unknown {
  const Base = base as unknown as new (...args: unknown[]) => object;
  return named(
    name,
    class extends Base {
      static get aliases(): string[] {
        return aliases;
      }
      constructor(..._args: unknown[]) {
        super(..._args);
        throw new Error(`${what} is disabled in modmq config files`);
      }
    },
  );
}

/** Throws unless `path` (after following symlinks) lies under the current parse's root. */
function assertConfined(path: string): void {
  const store = scope.getStore();
  if (!store) throw new Error('HOCON file access outside modmq\'s adapter is disabled');
  let real = path;
  try {
    real = realpathSync(path);
  } catch {
    // missing file: the library reports not-found itself (optional includes are skipped)
  }
  const rel = relative(store.root, real);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new Error(`include of "${path}" is outside the config directory ${store.root}`);
  }
}

function harden(): void {
  const { Context } = parser;
  // Plugin discovery reads `require.main`'s package.json; give it nothing to find.
  parser.$mode = 'lib';
  parser.$require = {};

  for (const name of TRANSFORMS) {
    const key = name.replace(/Transform$/, '').replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
    Context.registerComponent(blocked(parser.TransformAdapter, name, `the "| ${key}" transform`));
  }
  Context.registerComponent(blocked(parser.BuilderAdapter, 'ScriptBuilder', 'including scripts'));
  for (const name of REMOTE_SOURCES) {
    const aliases = name === 'ModulepathSource' ? ['classpath'] : [];
    Context.registerComponent(blocked(parser.SourceAdapter, name, `include from ${name.replace(/Source$/, '').toLowerCase()}`, aliases));
  }

  const FileSource = parser.getClass('sources.FileSource') as unknown as new (...args: unknown[]) => {
    context: HoconContext;
    onLoadFile(): Promise<unknown>;
  };
  Context.registerComponent(
    named(
      'FileSource',
      class extends FileSource {
        override async onLoadFile(): Promise<unknown> {
          const href = this.context.url?.href ?? '';
          assertConfined(fileURLToPath(href));
          return super.onLoadFile();
        }
      },
    ),
  );

  // Text given with a file name: relative includes resolve against that file, as for a file.
  const ContextSource = parser.getClass('sources.ContextSource') as unknown as new (...args: unknown[]) => {
    context: HoconContext;
  };
  Context.registerComponent(
    named(
      'ContextSource',
      class extends ContextSource {
        appendPath(path: string): string {
          const url = this.context.url;
          if (!url || this.context.isPathAbsolute(path)) return path;
          const u = url.clone();
          u.pop();
          u.join(path);
          return u.href;
        }
      },
    ),
  );

  Context.defaultBuilderMap['hocon'] = 'config';

  // Strict mode keeps unquoted `0.75`/`0.5` as strings; restore JSON-number parsing for them.
  const original = Context.parseData.bind(Context);
  const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;
  Context.parseData = (data: unknown, strict?: boolean): unknown => {
    if (typeof data === 'string') {
      const d = data.trim();
      if (JSON_NUMBER.test(d)) {
        const n = Number(d);
        if (Number.isFinite(n)) return n;
      }
    }
    return original(data, strict);
  };
}

harden();

const LOCATION = /line: (\d+), col: (-?\d+)(?:, file: ([^\s)}]+))?/g;

function toHoconError(err: unknown, file: string): HoconError {
  const raw = err instanceof Error ? err.message : String(err);
  let line: number | undefined;
  let column: number | undefined;
  let where = file;
  // The last location in the message is the innermost token.
  for (const m of raw.matchAll(LOCATION)) {
    line = Number(m[1]);
    column = Math.max(1, Number(m[2]));
    if (m[3]) {
      try {
        where = m[3].startsWith('file:') ? fileURLToPath(m[3]) : m[3];
      } catch {
        where = m[3];
      }
    }
  }
  // A token's value may itself be "}" or ")", so a token ends at its location, not at the first brace.
  const token = String.raw`Token: \{.*?line: \d+, col: -?\d+(?:, file: [^\s)}]+)? \}`;
  const message = raw
    .replace(new RegExp(String.raw`\s*\((?:Source: [^)]*?, )?${token}\)?`, 'g'), '')
    .replace(/\s*\([^()]*line: \d+[^()]*\)/g, '')
    .replace(new RegExp(String.raw`\s*${token}`, 'g'), '')
    .trim();
  const at = line === undefined ? where : `${where}:${line}:${column ?? 1}`;
  return new HoconError(`${at}: ${message || raw}`, where, line, column);
}

/**
 * Parses HOCON (or JSON) text. `file` names the source in errors and is the base for relative
 * includes, which may not leave its directory. Objects come back with keys sorted.
 */
export async function parseHoconText(text: string, file: string): Promise<unknown> {
  const abs = resolve(file);
  rejectReservedKeys(text, abs);
  let root = dirname(abs);
  try {
    root = realpathSync(root);
  } catch {
    // a virtual file name (text from the API): includes then find nothing outside it either
  }
  try {
    return await scope.run({ root }, () =>
      parser({ text, url: abs, source: 'context', builder: 'config', strict: true, required: false }),
    );
  } catch (err) {
    throw toHoconError(err, abs);
  }
}

/**
 * The library stores objects as plain JS objects: keys named like Object.prototype members
 * (`prototype`, `constructor`, `toString`...) are silently dropped or crash it. Refuse them with the
 * file and line instead of losing a value.
 */
const RESERVED_KEYS = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

export function rejectReservedKeys(text: string, file: string): void {
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    for (const { key, column } of keyTokens(line)) {
      if (RESERVED_KEYS.has(key)) {
        throw new HoconError(`${file}:${index + 1}:${column}: the key "${key}" is not supported (reserved name)`, file, index + 1, column);
      }
    }
  });
}

/** Unquoted words and quoted strings outside string values that are followed by `=`, `:`, `{` or `.`. */
function* keyTokens(line: string): Generator<{ key: string; column: number }> {
  let i = 0;
  while (i < line.length) {
    const ch = line[i] ?? '';
    if (ch === '#' || line.startsWith('//', i)) return;
    let key: string | undefined;
    const start = i;
    if (ch === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      key = line.slice(i + 1, j);
      i = j + 1;
    } else if (/[A-Za-z_]/.test(ch) && (i === 0 || /[\s{,.]/.test(line[i - 1] ?? ''))) {
      let j = i;
      while (j < line.length && /[A-Za-z0-9_-]/.test(line[j] ?? '')) j++;
      key = line.slice(i, j);
      i = j;
    } else {
      i++;
      continue;
    }
    const next = line.slice(i).trimStart()[0];
    if (next !== undefined && '=:{.'.includes(next)) yield { key, column: start + 1 + (ch === '"' ? 1 : 0) };
  }
}

/** Reads and parses one HOCON/JSON file (any extension). */
export async function parseHoconFile(file: string): Promise<unknown> {
  const abs = resolve(file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new HoconError(`${abs}: cannot read: ${reason}`, abs);
  }
  return parseHoconText(text.replace(/^\uFEFF/, ''), abs);
}
