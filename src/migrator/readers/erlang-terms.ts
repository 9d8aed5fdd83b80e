/**
 * A small reader for Erlang term files as read by `file:consult/1` (`data/loaded_plugins`,
 * `data/loaded_modules`, `etc/acl.conf`): a sequence of terms, each ending with `.`; `%` comments.
 * Supports atoms (plain and quoted), strings (adjacent strings concatenate), binaries `<<"x">>`,
 * integers (`16#ff`, `$c`), floats, tuples, lists (also `[H|T]`) and maps. A syntax error is reported
 * with its line and the reader resumes after the next end-of-term dot.
 */
import type { LegacyProblem, Location } from '../legacy-node.js';

export type ErlTerm =
  | { type: 'atom'; value: string; line: number }
  | { type: 'string'; value: string; line: number }
  | { type: 'binary'; value: string; line: number }
  | { type: 'integer'; value: number; line: number }
  | { type: 'float'; value: number; line: number }
  | { type: 'tuple'; items: ErlTerm[]; line: number }
  | { type: 'list'; items: ErlTerm[]; tail?: ErlTerm; line: number }
  | { type: 'map'; entries: [ErlTerm, ErlTerm][]; line: number };

export interface ConsultEntry {
  term: ErlTerm;
  /** Line of the term's first token. */
  location: Location;
  /** The term's source text, without the final dot. */
  text: string;
}

export interface ConsultResult {
  terms: ConsultEntry[];
  problems: LegacyProblem[];
}

type Tok =
  | { k: 'atom' | 'string' | 'var'; v: string; line: number; pos: number }
  | { k: 'int' | 'float'; v: number; line: number; pos: number }
  | { k: 'punct'; v: string; line: number; pos: number }
  | { k: 'dot'; line: number; pos: number }
  | { k: 'error'; v: string; line: number; pos: number };

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', s: ' ', e: '\x1b', d: '\x7f', b: '\b', f: '\f', v: '\v' };

class Scanner {
  pos = 0;
  line = 1;
  constructor(readonly src: string) {}

  private peek(o = 0): string {
    return this.src[this.pos + o] ?? '';
  }

  private advance(n = 1): string {
    const s = this.src.slice(this.pos, this.pos + n);
    for (const ch of s) if (ch === '\n') this.line++;
    this.pos += n;
    return s;
  }

  /** The next token, or undefined at end of input. */
  next(): Tok | undefined {
    for (;;) {
      const ch = this.peek();
      if (ch === '') return undefined;
      if (/\s/.test(ch)) this.advance();
      else if (ch === '%') while (this.peek() !== '' && this.peek() !== '\n') this.advance();
      else break;
    }
    const line = this.line;
    const pos = this.pos;
    const ch = this.peek();
    if (/[a-z]/.test(ch)) {
      const word = this.take(/[A-Za-z0-9_@]/);
      if (ERLANG_KEYWORDS.has(word)) return { k: 'error', v: `syntax error before: '${word}' (a reserved word; write the atom quoted: '${word}')`, line, pos };
      return { k: 'atom', v: word, line, pos };
    }
    if (/[A-Z_]/.test(ch)) return { k: 'var', v: this.take(/[A-Za-z0-9_@]/), line, pos };
    if (ch === "'" || ch === '"') {
      const q = this.quoted(ch);
      if (typeof q !== 'string') return { k: 'error', v: q.error, line, pos };
      return { k: ch === "'" ? 'atom' : 'string', v: q, line, pos };
    }
    if (/[0-9]/.test(ch)) return this.number(line, pos);
    if (ch === '$') {
      this.advance();
      const c = this.peek();
      if (c === '') return { k: 'error', v: 'character literal at end of input', line, pos };
      if (c === '\\') {
        const e = this.escape();
        if (typeof e !== 'string') return { k: 'error', v: e.error, line, pos };
        return { k: 'int', v: e.codePointAt(0)!, line, pos };
      }
      const cp = this.src.codePointAt(this.pos)!;
      this.advance(cp > 0xffff ? 2 : 1);
      return { k: 'int', v: cp, line, pos };
    }
    if (ch === '.') {
      const after = this.peek(1);
      this.advance();
      if (after === '' || /\s/.test(after) || after === '%') return { k: 'dot', line, pos };
      return { k: 'error', v: `unexpected "."`, line, pos };
    }
    for (const p of ['<<', '>>', '#{', '=>', '{', '}', '[', ']', ',', '|', '-']) {
      if (this.src.startsWith(p, this.pos)) {
        this.advance(p.length);
        return { k: 'punct', v: p, line, pos };
      }
    }
    this.advance();
    return { k: 'error', v: `unexpected character ${JSON.stringify(ch)}`, line, pos };
  }

  private take(re: RegExp): string {
    const start = this.pos;
    while (re.test(this.peek())) this.advance();
    return this.src.slice(start, this.pos);
  }

  private number(line: number, pos: number): Tok {
    const digits = this.take(/[0-9_]/);
    if (this.peek() === '#') {
      const base = Number(digits.replace(/_/g, ''));
      this.advance();
      const body = this.take(/[0-9A-Za-z_]/).replace(/_/g, '');
      const value = base >= 2 && base <= 36 && body !== '' ? parseInt(body, base) : NaN;
      const valid = [...body.toLowerCase()].every((c) => parseInt(c, 36) < base);
      if (!valid || Number.isNaN(value)) return { k: 'error', v: `invalid number ${digits}#${body}`, line, pos };
      return { k: 'int', v: value, line, pos };
    }
    if (this.peek() === '.' && /[0-9]/.test(this.peek(1))) {
      this.advance();
      let text = `${digits}.${this.take(/[0-9_]/)}`;
      if (/[eE]/.test(this.peek()) && /[0-9]/.test(this.peek(1) === '-' || this.peek(1) === '+' ? this.peek(2) : this.peek(1))) {
        text += this.advance();
        if (this.peek() === '-' || this.peek() === '+') text += this.advance();
        text += this.take(/[0-9]/);
      }
      return { k: 'float', v: Number(text.replace(/_/g, '')), line, pos };
    }
    return { k: 'int', v: Number(digits.replace(/_/g, '')), line, pos };
  }

  private escape(): string | { error: string } {
    this.advance(); // the backslash
    const c = this.peek();
    if (c === '') return { error: 'escape at end of input' };
    if (/[0-7]/.test(c)) return String.fromCodePoint(parseInt(this.take(/[0-7]/).slice(0, 3), 8));
    if (c === 'x') {
      this.advance();
      if (this.peek() === '{') {
        this.advance();
        const hex = this.take(/[0-9A-Fa-f]/);
        if (this.peek() !== '}' || hex === '') return { error: 'invalid \\x{...} escape' };
        this.advance();
        const cp = parseInt(hex, 16);
        return cp <= 0x10ffff ? String.fromCodePoint(cp) : { error: 'invalid \\x{...} escape' };
      }
      const hex = this.src.slice(this.pos, this.pos + 2);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return { error: 'invalid \\x escape' };
      this.advance(2);
      return String.fromCharCode(parseInt(hex, 16));
    }
    if (c === '^') {
      this.advance();
      const ctl = this.advance();
      return String.fromCharCode(ctl.charCodeAt(0) & 31);
    }
    this.advance();
    return ESCAPES[c] ?? c;
  }

  private quoted(q: string): string | { error: string } {
    const startLine = this.line;
    this.advance();
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === '') return { error: `unterminated ${q === '"' ? 'string' : 'quoted atom'} starting at line ${startLine}` };
      if (c === q) {
        this.advance();
        return out;
      }
      if (c === '\\') {
        const e = this.escape();
        if (typeof e !== 'string') return e;
        out += e;
      } else out += this.advance();
    }
  }
}

class SyntaxError_ extends Error {
  constructor(message: string, readonly line: number) {
    super(message);
  }
}

const describe = (t: Tok | undefined): string =>
  !t ? 'end of input' : t.k === 'dot' ? '"."' : t.k === 'error' ? t.v : t.k === 'punct' ? `"${t.v}"` : `${t.k} ${JSON.stringify(t.v)}`;

/** Recursive-descent over the tokens of one term (up to its end dot). */
class Parser {
  i = 0;
  constructor(readonly toks: Tok[], readonly endLine: number) {}

  private peek(): Tok | undefined {
    return this.toks[this.i];
  }

  private fail(t: Tok | undefined, what: string): never {
    throw new SyntaxError_(`syntax error before ${describe(t)}: expected ${what}`, t?.line ?? this.endLine);
  }

  private expect(v: string): void {
    const t = this.peek();
    if (t?.k !== 'punct' || t.v !== v) this.fail(t, `"${v}"`);
    this.i++;
  }

  private isPunct(v: string): boolean {
    const t = this.peek();
    return t?.k === 'punct' && t.v === v;
  }

  term(): ErlTerm {
    const t = this.peek();
    if (!t) this.fail(t, 'a term');
    if (t.k === 'error') throw new SyntaxError_(t.v, t.line);
    this.i++;
    switch (t.k) {
      case 'atom':
        return { type: 'atom', value: t.v, line: t.line };
      case 'var':
        throw new SyntaxError_(`variable ${t.v} is unbound (atoms start with a lower-case letter or are quoted: '${t.v}')`, t.line);
      case 'string': {
        let value = t.v;
        while (this.peek()?.k === 'string') value += (this.toks[this.i++] as { v: string }).v;
        return { type: 'string', value, line: t.line };
      }
      case 'int':
        return { type: 'integer', value: t.v, line: t.line };
      case 'float':
        return { type: 'float', value: t.v, line: t.line };
      case 'dot':
        return this.fail(t, 'a term');
      case 'punct':
        return this.compound(t);
    }
  }

  private compound(t: Extract<Tok, { k: 'punct' }>): ErlTerm {
    const line = t.line;
    switch (t.v) {
      case '-': {
        const n = this.term();
        if (n.type !== 'integer' && n.type !== 'float') this.fail(this.toks[this.i - 1], 'a number after "-"');
        return { ...n, value: -n.value, line };
      }
      case '{':
        return { type: 'tuple', items: this.seq('}'), line };
      case '[': {
        const items: ErlTerm[] = [];
        if (this.isPunct(']')) {
          this.i++;
          return { type: 'list', items, line };
        }
        for (;;) {
          items.push(this.term());
          if (this.isPunct(',')) this.i++;
          else if (this.isPunct('|')) {
            this.i++;
            const tail = this.term();
            this.expect(']');
            return { type: 'list', items, tail, line };
          } else {
            this.expect(']');
            return { type: 'list', items, line };
          }
        }
      }
      case '<<': {
        let value = '';
        if (!this.isPunct('>>')) {
          for (;;) {
            const seg = this.term();
            if (seg.type === 'string') value += seg.value;
            else if (seg.type === 'integer' && seg.value >= 0 && seg.value <= 255) value += String.fromCharCode(seg.value);
            else this.fail(this.toks[this.i - 1], 'a string or a byte in a binary');
            if (!this.isPunct(',')) break;
            this.i++;
          }
        }
        this.expect('>>');
        return { type: 'binary', value, line };
      }
      case '#{': {
        const entries: [ErlTerm, ErlTerm][] = [];
        if (!this.isPunct('}')) {
          for (;;) {
            const k = this.term();
            this.expect('=>');
            entries.push([k, this.term()]);
            if (!this.isPunct(',')) break;
            this.i++;
          }
        }
        this.expect('}');
        return { type: 'map', entries, line };
      }
      default:
        return this.fail(t, 'a term');
    }
  }

  private seq(close: string): ErlTerm[] {
    const items: ErlTerm[] = [];
    if (this.isPunct(close)) {
      this.i++;
      return items;
    }
    for (;;) {
      items.push(this.term());
      if (this.isPunct(',')) {
        this.i++;
        continue;
      }
      this.expect(close);
      return items;
    }
  }
}

/** Reads every term of a consult file. Never throws: errors are problems (`erl-syntax`) with a line. */
export function consultTerms(text: string, file: string): ConsultResult {
  const out: ConsultResult = { terms: [], problems: [] };
  const scanner = new Scanner(text);
  for (;;) {
    const toks: Tok[] = [];
    let end: Tok | undefined;
    for (let t = scanner.next(); t; t = scanner.next()) {
      if (t.k === 'dot') {
        end = t;
        break;
      }
      toks.push(t);
    }
    if (toks.length === 0 && !end) break;
    const first = toks[0];
    const line = first?.line ?? end!.line;
    try {
      if (!end) throw new SyntaxError_(`the last term has no final "."`, toks[toks.length - 1]!.line);
      const parser = new Parser(toks, end.line);
      const term = parser.term();
      if (parser.i < toks.length) throw new SyntaxError_(`syntax error before ${describe(toks[parser.i])}: expected "."`, toks[parser.i]!.line);
      out.terms.push({ term, location: { file, line }, text: text.slice(first!.pos, end.pos).trim() });
    } catch (err) {
      if (!(err instanceof SyntaxError_)) throw err;
      out.problems.push({ code: 'erl-syntax', message: `line ${err.line}: ${err.message}`, location: { file, line: err.line } });
    }
    if (!end) break;
  }
  return out;
}

/** Text of a string, binary or atom term (Erlang code accepts all three in most places). */
export function termText(t: ErlTerm): string | undefined {
  return t.type === 'string' || t.type === 'binary' || t.type === 'atom' ? t.value : undefined;
}

/** Renders a term as Erlang source (used by tests and by `--reverse` writers). */
export function renderTerm(t: ErlTerm): string {
  switch (t.type) {
    case 'atom':
      return /^[a-z][A-Za-z0-9_@]*$/.test(t.value) && !ERLANG_KEYWORDS.has(t.value) ? t.value : `'${escapeChars(t.value, "'")}'`;
    case 'string':
      return `"${escapeChars(t.value, '"')}"`;
    case 'binary':
      return `<<"${escapeChars(t.value, '"')}">>`;
    case 'integer':
    case 'float':
      return t.type === 'float' ? floatText(t.value) : String(t.value);
    case 'tuple':
      return `{${t.items.map(renderTerm).join(', ')}}`;
    case 'list':
      return `[${t.items.map(renderTerm).join(', ')}${t.tail ? ` | ${renderTerm(t.tail)}` : ''}]`;
    case 'map':
      return `#{${t.entries.map(([k, v]) => `${renderTerm(k)} => ${renderTerm(v)}`).join(', ')}}`;
  }
}

/** Erlang floats need a dot before any exponent: `5.0e-324`, `2.0`. */
function floatText(v: number): string {
  const s = String(v);
  if (s.includes('.')) return s;
  const e = s.indexOf('e');
  return e < 0 ? `${s}.0` : `${s.slice(0, e)}.0${s.slice(e)}`;
}

const ERLANG_KEYWORDS = new Set(
  'after and andalso band begin bnot bor bsl bsr bxor case catch cond div end fun if let not of or orelse receive rem try when xor'.split(' '),
);

function escapeChars(s: string, quote: string): string {
  return s.replace(/[\\'"\n\t\r\x00-\x1f\x7f]/g, (c) => {
    if (c === '\\') return '\\\\';
    if (c === quote) return `\\${c}`;
    if (c === '"' || c === "'") return c;
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    return `\\x{${c.charCodeAt(0).toString(16)}}`;
  });
}
