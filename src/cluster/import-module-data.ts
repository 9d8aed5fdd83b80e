/**
 * The module data half of `modmq cluster import-from-sqlite`: for each module of the imported
 * document that keeps data in the node's SQLite files (under `<data_dir>/modules/<id>/`), its
 * data goes into the cluster's Redis in the layout the module's Redis backend reads:
 *   auth-builtin-db  users and ACL rules          (builtin-db.sqlite)
 *   retainer         retained messages, when storage_type is disc (retained.db); with ram
 *                    they lived in the node's memory only and there is nothing to move
 *   delayed-publish  held delayed messages        (delayed.db)
 * Files are read-only here. Each module is written in one MULTI. When Redis already holds data
 * of a module the import is refused before anything is written, unless `force`: then the node's
 * records are added (same key: the node's record wins).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { BUILTIN_DB_FILE } from '../modules/auth-builtin-db/index.js';
import { builtinDbCopy, readBuiltinDbFile } from '../modules/auth-builtin-db/redis-import.js';
import { DELAYED_DB_FILE } from '../modules/delayed-publish/index.js';
import { delayedCopy, readDelayedFile } from '../modules/delayed-publish/redis-import.js';
import { RETAINER_DB_FILE } from '../modules/retainer/disc-backend.js';
import { toPolicy, type RetainerConfig } from '../modules/retainer/policy.js';
import { readRetainedFile, retainedCopy } from '../modules/retainer/redis-import.js';
import { moduleDirName } from '../modules/runtime/module-context.js';
import type { ClusterDocument, ModuleRecord } from '../store/cluster-document.js';
import { clusterKeyPrefix, moduleKeyPrefix } from './cluster-context.js';
import { ImportError } from './import-error.js';
import type { ModuleDataCopy } from './module-data-copy.js';

/** What happened to one module's data (the CLI prints it; `--json` gives it as is). */
export interface ModuleDataReport {
  id: string;
  type: string;
  /** `copied`: written to Redis; `nothing`: there was nothing to move (`note` says why). */
  outcome: 'copied' | 'nothing';
  /** Records by kind: what was copied, or found (e.g. expired retained messages, not copied). */
  counts: Record<string, number>;
  /** The SQLite file read, when there was one. */
  file?: string;
  note?: string;
}

export interface PlannedModuleData {
  report: ModuleDataReport;
  /** Absent when there is nothing to write. */
  copy?: ModuleDataCopy;
}

interface Source {
  file: string;
  /** Why nothing moves although the module is there (retainer on ram). */
  skip?(record: ModuleRecord): string | undefined;
  read(file: string, prefix: string, now: number): ModuleDataCopy & { size: number };
}

const SOURCES: Record<string, Source> = {
  'auth-builtin-db': {
    file: BUILTIN_DB_FILE,
    read(file, prefix) {
      const content = readBuiltinDbFile(file);
      return { ...builtinDbCopy(content, prefix), size: content.users.length + content.rules.length };
    },
  },
  retainer: {
    file: RETAINER_DB_FILE,
    skip: (record) =>
      toPolicy(record.config as Partial<RetainerConfig>).storage === 'ram'
        ? 'storage_type is ram: retained messages were kept in the node\'s memory only, nothing to move'
        : undefined,
    read(file, prefix, now) {
      const content = readRetainedFile(file, now);
      return { ...retainedCopy(content, prefix), size: content.messages.length };
    },
  },
  'delayed-publish': {
    file: DELAYED_DB_FILE,
    read(file, prefix) {
      const messages = readDelayedFile(file);
      return { ...delayedCopy(messages, prefix), size: messages.length };
    },
  },
};

/** Module types whose node-local data the import moves. */
export const MOVED_MODULE_TYPES = Object.keys(SOURCES);

/** Reads what each module of `document` keeps under `dataDir` (read-only; throws ImportError on an unreadable file). */
export function planModuleData(dataDir: string, document: ClusterDocument, clusterName: string, now = Date.now()): PlannedModuleData[] {
  const keyPrefix = clusterKeyPrefix(clusterName);
  const planned: PlannedModuleData[] = [];
  for (const record of document.modules) {
    const source = SOURCES[record.type];
    if (source === undefined) continue;
    const base = { id: record.id, type: record.type };
    const skipped = source.skip?.(record);
    if (skipped !== undefined) {
      planned.push({ report: { ...base, outcome: 'nothing', counts: {}, note: skipped } });
      continue;
    }
    const file = join(dataDir, 'modules', moduleDirName(record.id), source.file);
    if (!existsSync(file)) {
      planned.push({ report: { ...base, outcome: 'nothing', counts: {}, note: `no data file (${file}): the module kept nothing on this node` } });
      continue;
    }
    let copy: ReturnType<Source['read']>;
    try {
      copy = source.read(file, moduleKeyPrefix({ keyPrefix }, record.id), now);
    } catch (error) {
      throw new ImportError(`cannot read the data of module ${record.id} in ${file}: ${(error as Error).message}; nothing imported`);
    }
    if (copy.size === 0) {
      planned.push({ report: { ...base, outcome: 'nothing', counts: { ...copy.counts }, file, note: 'the file holds nothing to copy' } });
      continue;
    }
    planned.push({ report: { ...base, outcome: 'copied', counts: { ...copy.counts }, file }, copy });
  }
  return planned;
}

/**
 * Refuses (ImportError, nothing written) when Redis already holds data of a module there is
 * something to copy for, unless `force`; with `force` notes what it is merged with.
 */
export async function checkModuleData(redis: Redis, planned: readonly PlannedModuleData[], force: boolean): Promise<void> {
  const held: string[] = [];
  for (const { report, copy } of planned) {
    if (copy === undefined) continue;
    const count = await copy.held(redis);
    if (count === 0) continue;
    held.push(`${report.id} (${count} record(s))`);
    if (force) report.note = `added to the ${count} record(s) Redis already held (--force; the same key: this node's record wins)`;
  }
  if (held.length > 0 && !force) {
    throw new ImportError(
      `Redis already holds data of module(s) ${held.join(', ')}; nothing imported. --force adds this node's data to it (a record under the same key is replaced).`,
    );
  }
}

/** Writes each module's data, one MULTI per module. */
export async function writeModuleData(redis: Redis, planned: readonly PlannedModuleData[]): Promise<void> {
  for (const { report, copy } of planned) {
    if (copy === undefined) continue;
    if (!(await copy.write(redis))) {
      throw new ImportError(`Redis changed while copying the data of module ${report.id} (a node is running on it?); that module's data was not written, run again`);
    }
  }
}
