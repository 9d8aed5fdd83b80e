/**
 * The whole migration without writing anything: read nodes (and the EE export), plan each node,
 * merge, validate the results against the schemas, build the report. `modmq migrate` writes what
 * this returns; `modmq validate --legacy` prints it.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { LegacyMapping } from '../../migrations/legacy/mapping.js';
import type { LoadedSchemaCatalog } from '../schema/schema-catalog.js';
import type { ClusterDocument } from '../store/cluster-document.js';
import type { LegacyNode } from './legacy-node.js';
import { mergePlans, type MergeResult } from './merge.js';
import { planExport, type EnterpriseExportInput } from './plan-ee.js';
import type { NodePlan } from './plan-types.js';
import { planNode } from './plan.js';
import type { ReadLegacyNodeOptions } from './readers/node-tree.js';
import { buildReport, type MigrationReport, type ReportError } from './report.js';

export interface MigratorReaders {
  readNode(dir: string, options: ReadLegacyNodeOptions): Promise<LegacyNode>;
  readExport(file: string): Promise<EnterpriseExportInput>;
}

export interface MigrateOptions {
  nodeDirs: readonly string[];
  /** Per node: an env file with its `EMQX_*` environment (`node` = a node directory as given, or its name). */
  envFiles?: ReadonlyArray<{ node: string; file: string }>;
  eeExport?: string;
  /** `4.x` version to assume (default: detected per node). */
  fromVersion?: string;
  prefer?: string;
  /** Default true. */
  strict?: boolean;
  cwd?: string;
}

export interface MigrateDeps {
  mappings: readonly LegacyMapping[];
  catalog: LoadedSchemaCatalog;
  readers: MigratorReaders;
}

export interface MigrationOutcome {
  /** 0 clean, 1 conflicts or errors, 2 unreadable input. */
  exitCode: 0 | 1 | 2;
  /** Set when exitCode is 2: what could not be read. */
  unreadable: string[];
  plans: NodePlan[];
  merge?: MergeResult;
  /** The cluster document with schema defaults applied; undefined when invalid or in conflict. */
  document?: ClusterDocument;
  /** Node name -> node config (only the values the legacy node set). */
  nodeConfigs: Map<string, Record<string, unknown>>;
  builtinDb?: { users: unknown[]; acl: unknown[] };
  report?: MigrationReport;
}

export async function runMigration(options: MigrateOptions, deps: MigrateDeps): Promise<MigrationOutcome> {
  const cwd = options.cwd ?? process.cwd();
  const unreadable: string[] = [];
  const nodes: LegacyNode[] = [];
  const readOptions = options.fromVersion === undefined ? {} : { version: options.fromVersion };
  const envFor = await matchEnvFiles(options.nodeDirs, options.envFiles ?? [], cwd, unreadable);
  for (const dir of options.nodeDirs) {
    const abs = path.resolve(cwd, dir);
    const info = await stat(abs).catch(() => undefined);
    if (!info?.isDirectory()) {
      unreadable.push(`${dir}: not a directory`);
      continue;
    }
    const env = envFor.get(abs);
    try {
      nodes.push(await deps.readers.readNode(abs, env ? { ...readOptions, env } : readOptions));
    } catch (error) {
      unreadable.push(`${dir}: ${(error as Error).message}`);
    }
  }
  const names = new Set<string>();
  for (const node of nodes) {
    if (names.has(node.name)) unreadable.push(`${node.dir}: two node directories are named '${node.name}' (names identify nodes in the report)`);
    names.add(node.name);
  }
  let exported: EnterpriseExportInput | undefined;
  if (options.eeExport !== undefined) {
    try {
      exported = await deps.readers.readExport(path.resolve(cwd, options.eeExport));
    } catch (error) {
      unreadable.push(`${options.eeExport}: ${(error as Error).message}`);
    }
  }
  if (nodes.length === 0 && exported === undefined && unreadable.length === 0) unreadable.push('no node directory or EE export given');
  if (unreadable.length > 0) return { exitCode: 2, unreadable, plans: [], nodeConfigs: new Map() };

  const plans = nodes.map((node) => planNode(node, deps.mappings));
  if (exported && options.eeExport !== undefined) plans.push(planExport(exported, deps.mappings, path.basename(options.eeExport)));
  const { catalog } = deps;
  const mergeOptions = {
    strict: options.strict ?? true,
    sourceOrder: deps.mappings.map((m) => m.source),
    schemaVersion: (type: string) => catalog.moduleType(type)?.latest ?? 1,
    ...(options.prefer === undefined ? {} : { prefer: options.prefer }),
  };
  const merge = mergePlans(plans, mergeOptions);
  const errors: ReportError[] = [];
  if (options.prefer !== undefined && !plans.some((p) => p.node === options.prefer)) {
    errors.push({ code: 'unknown-node', message: `--prefer ${options.prefer}: no node of that name (nodes: ${plans.map((p) => p.node).join(', ')})` });
  }
  let document: ClusterDocument | undefined;
  const checked = catalog.validateCluster(merge.document);
  if (checked.ok) document = checked.value as ClusterDocument;
  else for (const p of checked.problems) errors.push({ code: 'cluster-invalid', message: `cluster.json ${p.pointer || '/'}: ${p.message}${describeModule(merge.document, p.pointer)}` });
  for (const [name, config] of merge.nodeConfigs) {
    const result = catalog.validateNode(config);
    if (!result.ok) for (const p of result.problems) errors.push({ code: 'node-config-invalid', node: name, message: `nodes/${name}.conf ${p.pointer || '/'}: ${p.message}` });
  }
  const report = buildReport({ plans, merge, errors, secretPointers: (type) => catalog.secretPointers(type, catalog.moduleType(type)?.latest ?? 1) });
  const builtinDb = mergeBuiltinDb(plans);
  const outcome: MigrationOutcome = {
    exitCode: report.summary.ok ? 0 : 1, unreadable, plans, merge, nodeConfigs: merge.nodeConfigs, report,
  };
  if (document && merge.conflicts.length === 0) outcome.document = document;
  if (builtinDb) outcome.builtinDb = builtinDb;
  return outcome;
}

/** Node directory (absolute) -> its env file; a spec naming no given directory, or no file, is unreadable input. */
async function matchEnvFiles(nodeDirs: readonly string[], specs: ReadonlyArray<{ node: string; file: string }>, cwd: string, unreadable: string[]): Promise<Map<string, { path: string; shownAs: string }>> {
  const found = new Map<string, { path: string; shownAs: string }>();
  for (const spec of specs) {
    const wanted = path.resolve(cwd, spec.node);
    const dir = nodeDirs.map((d) => path.resolve(cwd, d)).find((d) => d === wanted || path.basename(d) === spec.node);
    const file = path.resolve(cwd, spec.file);
    if (dir === undefined) unreadable.push(`--env ${spec.node}=${spec.file}: ${spec.node} is not one of the node directories given`);
    else if (found.has(dir)) unreadable.push(`--env ${spec.node}=${spec.file}: node ${path.basename(dir)} already has an env file (${found.get(dir)?.shownAs})`);
    else if (!(await stat(file).then((s) => s.isFile(), () => false))) unreadable.push(`--env ${spec.node}=${spec.file}: ${spec.file} is not a file`);
    else found.set(dir, { path: file, shownAs: spec.file });
  }
  return found;
}

function describeModule(document: ClusterDocument, pointer: string): string {
  const m = /^\/modules\/(\d+)/.exec(pointer);
  const module = m ? document.modules[Number(m[1])] : undefined;
  return module ? ` (module ${module.id})` : '';
}

function mergeBuiltinDb(plans: readonly NodePlan[]): { users: unknown[]; acl: unknown[] } | undefined {
  const withData = plans.filter((p) => p.builtinDb);
  if (withData.length === 0) return undefined;
  return { users: withData.flatMap((p) => p.builtinDb?.users ?? []), acl: withData.flatMap((p) => p.builtinDb?.acl ?? []) };
}
