/**
 * The migration report. report.json is a public shape other tools read (issue 3):
 * `{summary, keys, conflicts, warnings}`; `keys[]` = `{node, file, line, key, class, target?, reason?, source?,
 * overrides?}` (`source: "env"` for a key from the node's env file, `overrides` the file lines it replaced),
 * `conflicts[]` = `{module, pointer, values: [{node, value, file, line}]}`, `warnings[]` =
 * `{code, message, nodes}`. Secret values print as "<redacted>". File problems and invalid outputs
 * are in `summary.errors` (they fail the run like conflicts).
 */
import type { KeyClass } from '../../migrations/legacy/mapping.js';
import type { Conflict, MergeResult } from './merge.js';
import type { NodePlan } from './plan-types.js';

export const REPORT_REDACTED = '<redacted>';

export interface ReportKey {
  node: string;
  file: string;
  line: number;
  key: string;
  class: KeyClass;
  target?: string;
  reason?: string;
  /** `env` for a key set by the node's `EMQX_*` environment: `file`/`line` are then the env file's. */
  source?: 'env';
  /** For an env key: the file lines whose value it replaced (env > file). */
  overrides?: Array<{ file: string; line: number }>;
}

export interface ReportWarning {
  code: string;
  message: string;
  nodes: string[];
}

export interface ReportError {
  code: string;
  message: string;
  node?: string;
  file?: string;
  line?: number;
}

export interface ReportSummary {
  /** True when nothing fails the run (no unresolved conflict, no error). */
  ok: boolean;
  nodes: string[];
  /** Plugin (or emqx.conf area / EE module type) -> module it became, and where it ran. */
  plugins: Array<{ plugin: string; module: string | null; loadedOn: string[]; configuredOn: string[] }>;
  modules: Array<{ id: string; type: string; enabled: boolean }>;
  keys: Record<KeyClass | 'total', number>;
  conflicts: number;
  resolvedConflicts: number;
  warnings: number;
  errors: ReportError[];
}

export interface MigrationReport {
  summary: ReportSummary;
  keys: ReportKey[];
  conflicts: Conflict[];
  warnings: ReportWarning[];
}

/** Is `pointer` (inside a module config) covered by one of the schema's secret pointers ('*' = any)? */
export function matchesSecret(pointer: string, secretPointers: readonly string[]): boolean {
  const tokens = pointer.split('/');
  return secretPointers.some((sp) => {
    const parts = sp.split('/');
    if (parts.length > tokens.length) return false;
    return parts.every((p, i) => p === '*' || p === tokens[i]);
  });
}

export interface ReportInput {
  plans: readonly NodePlan[];
  merge: MergeResult;
  /** Secret pointers of a module type (catalog.secretPointers). */
  secretPointers(type: string): string[];
  /** Extra errors (invalid cluster document or node config). */
  errors?: ReportError[];
}

export function buildReport(input: ReportInput): MigrationReport {
  const { plans, merge } = input;
  const keys: ReportKey[] = [];
  const secretTargets = new Set<string>();
  for (const plan of plans) {
    for (const k of plan.keys) {
      const entry: ReportKey = { node: plan.node, file: k.location.file, line: k.location.line, key: k.key, class: k.class };
      if (k.target !== undefined) entry.target = k.target;
      if (k.reason !== undefined) entry.reason = k.reason;
      if (k.fromEnv) entry.source = 'env';
      if (k.overrides) entry.overrides = k.overrides.map((o) => ({ file: o.file, line: o.line }));
      keys.push(entry);
      if (k.secret && k.target) secretTargets.add(k.target);
    }
  }
  const isSecret = (c: Conflict): boolean => {
    const type = merge.moduleTypes.get(c.module) ?? c.module;
    return matchesSecret(c.pointer, input.secretPointers(type)) || secretTargets.has(`${type}#${c.pointer}`);
  };
  const redact = (c: Conflict): Conflict =>
    isSecret(c) ? { ...c, values: c.values.map((v) => ({ ...v, value: REPORT_REDACTED })) } : c;

  const warnings = new Map<string, ReportWarning>();
  const addWarning = (code: string, message: string, nodes: string[]): void => {
    const id = `${code}\u0000${message}`;
    const known = warnings.get(id);
    if (known) for (const n of nodes) if (!known.nodes.includes(n)) known.nodes.push(n);
    if (!known) warnings.set(id, { code, message, nodes: [...nodes] });
  };
  const errors: ReportError[] = [];
  for (const plan of plans) {
    for (const w of plan.warnings) addWarning(w.code, w.location ? `${w.location.file}:${w.location.line}: ${w.message}` : w.message, [plan.node]);
    for (const e of plan.errors) {
      const error: ReportError = { code: e.code, message: e.message, node: plan.node };
      if (e.location) Object.assign(error, { file: e.location.file, line: e.location.line });
      errors.push(error);
    }
  }
  for (const w of merge.warnings) addWarning(w.code, w.message, w.nodes);
  errors.push(...(input.errors ?? []));

  const count = { mapped: 0, 'node-local': 0, defaulted: 0, 'not-mapped': 0, total: keys.length };
  for (const k of keys) count[k.class] += 1;
  const summary: ReportSummary = {
    ok: merge.conflicts.length === 0 && errors.length === 0,
    nodes: plans.map((p) => p.node),
    plugins: pluginTable(plans),
    modules: merge.document.modules.map((m) => ({ id: m.id, type: m.type, enabled: m.enabled })),
    keys: count,
    conflicts: merge.conflicts.length,
    resolvedConflicts: merge.resolved.length,
    warnings: warnings.size,
    errors,
  };
  return { summary, keys, conflicts: merge.conflicts.map(redact), warnings: [...warnings.values()] };
}

function pluginTable(plans: readonly NodePlan[]): ReportSummary['plugins'] {
  const rows = new Map<string, ReportSummary['plugins'][number]>();
  for (const plan of plans) {
    for (const m of plan.modules) {
      const row = rows.get(m.source) ?? { plugin: m.source, module: m.id, loadedOn: [], configuredOn: [] };
      row.configuredOn.push(plan.node);
      if (m.enabled) row.loadedOn.push(plan.node);
      rows.set(m.source, row);
    }
  }
  return [...rows.values()];
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const shown = (value: unknown): string => (value === undefined ? '(absent)' : JSON.stringify(value));

/** The human report (report.md). */
export function renderMarkdown(report: MigrationReport): string {
  const { summary } = report;
  const lines: string[] = ['# modmq migration report', ''];
  lines.push(`Nodes: ${summary.nodes.join(', ')}  `);
  lines.push(`Result: ${summary.ok ? 'ok' : 'FAILED'} (${summary.conflicts} conflict(s), ${summary.errors.length} error(s), ${summary.warnings} warning(s))`, '');
  const k = summary.keys;
  lines.push(`Keys: ${k.total} total, ${k.mapped} mapped, ${k['node-local']} node-local, ${k.defaulted} defaulted, ${k['not-mapped']} not mapped`, '');
  lines.push('## Plugins -> modules', '', '| plugin | module | loaded on | configured on |', '|---|---|---|---|');
  for (const p of summary.plugins) {
    lines.push(`| ${cell(p.plugin)} | ${cell(p.module ?? '-')} | ${cell(p.loadedOn.join(', ') || '-')} | ${cell(p.configuredOn.join(', '))} |`);
  }
  lines.push('', '## Conflicts', '');
  if (report.conflicts.length === 0) lines.push('None.');
  for (const c of report.conflicts) {
    lines.push(`- \`${c.module}\` \`${c.pointer}\``);
    for (const v of c.values) lines.push(`  - ${v.node}: ${cell(shown(v.value))}${v.file ? ` (${v.file}:${v.line})` : ''}`);
  }
  if (summary.errors.length > 0) {
    lines.push('', '## Errors', '');
    for (const e of summary.errors) lines.push(`- ${e.node ? `${e.node}/` : ''}${e.file ? `${e.file}:${e.line}: ` : ''}${cell(e.message)} [${e.code}]`);
  }
  lines.push('', '## Warnings', '');
  if (report.warnings.length === 0) lines.push('None.');
  for (const w of report.warnings) lines.push(`- [${w.code}] ${cell(w.message)} (${w.nodes.join(', ')})`);
  const fromEnv = report.keys.filter((key) => key.source === 'env');
  if (fromEnv.length > 0) {
    lines.push('', '## Set by the environment (EMQX_*)', '', '| node | env file:line | key | class | replaced |', '|---|---|---|---|---|');
    for (const key of fromEnv) {
      const replaced = key.overrides?.map((o) => `${o.file}:${o.line}`).join(', ') ?? '-';
      lines.push(`| ${key.node} | ${key.file}:${key.line} | ${cell(key.key)} | ${key.class} | ${cell(replaced)} |`);
    }
  }
  lines.push('', '## Keys not mapped', '', '| node | file:line | key | reason |', '|---|---|---|---|');
  for (const key of report.keys) {
    if (key.class !== 'not-mapped') continue;
    lines.push(`| ${key.node} | ${key.file}:${key.line} | ${cell(key.key)} | ${cell(key.reason ?? '')} |`);
  }
  return `${lines.join('\n')}\n`;
}
