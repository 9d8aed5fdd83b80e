import { conflict, invalidConfig, ModmqError, notFound } from '../../errors.js';
import type { SchemaCatalog } from '../../schema/catalog.js';
import type { Problem } from '../../schema/problem.js';
import type { ClusterDocument, ModuleRecord } from '../../store/cluster-document.js';
import { RevisionConflictError, type ConfigStore, type Revision } from '../../store/config-store.js';
import type {
  ModuleInput,
  ModulePatch,
  ModuleService,
  WriteOptions,
  WriteResult,
} from './module-service.js';
import { documentProblems, unknownType, validateDocument, validateModuleConfig } from './module-validation.js';
import type { ModuleRegistry } from './registry.js';

export interface ModuleServiceDeps {
  store: ConfigStore;
  catalog: SchemaCatalog;
  registry: ModuleRegistry;
}

/** Keywords of the document rules, answered below with their own codes. */
const DOCUMENT_RULES = new Set(['unique-id', 'singleton', 'unknown-type']);

/** Attempts when the caller gave no expectedRevision and another writer slipped in between. */
const MAX_ATTEMPTS = 5;

/** A change to the current document: returns the next document, a summary, and the result value. */
type Edit<T> = (doc: ClusterDocument) => { document: ClusterDocument; summary: string; value: T };

export function createModuleService(deps: ModuleServiceDeps): ModuleService {
  const { store, catalog, registry } = deps;

  /**
   * Read, edit, commit with compare-and-set. With the caller's expectedRevision a stale base is
   * a 409; without it we re-read and re-apply, so two API calls never lose each other's change.
   */
  async function write<T>(options: WriteOptions, edit: Edit<T>): Promise<WriteResult<T>> {
    for (let attempt = 1; ; attempt++) {
      const base = await store.current();
      if (options.expectedRevision !== undefined && options.expectedRevision !== base.revision) {
        throw staleRevision(options.expectedRevision, base.revision);
      }
      const { document, summary, value } = edit(structuredClone(base.document));
      try {
        const rev = await store.commit({ document, author: options.author, summary, expectedRevision: base.revision });
        return { revision: rev.revision, value };
      } catch (err) {
        if (!(err instanceof RevisionConflictError)) throw err;
        if (options.expectedRevision !== undefined || attempt >= MAX_ATTEMPTS) {
          throw staleRevision(options.expectedRevision ?? base.revision, err.current);
        }
      }
    }
  }

  function findIndex(doc: ClusterDocument, id: string): number {
    const i = doc.modules.findIndex((m) => m.id === id);
    if (i < 0) throw notFound('MODMQ_MODULE_NOT_FOUND', `no module with id ${JSON.stringify(id)}`);
    return i;
  }

  /** Validates a record about to be stored at `index` of `doc` and returns it with defaults applied. */
  function checkedRecord(doc: ClusterDocument, record: ModuleRecord, index: number): ModuleRecord {
    if (!catalog.moduleType(record.type)) throw unknownType(record.type, '/type');
    const checked = validateModuleConfig(catalog, registry, record.type, record.schemaVersion, record.config, '/config');
    if (!checked.ok) throw invalidConfig(`invalid config for module ${record.id}`, checked.problems);
    const next: ModuleRecord = { ...record, config: checked.config };
    const modules = [...doc.modules];
    modules[index] = next;
    const own = (p: Problem): boolean => p.pointer.startsWith(`/modules/${index}/`) || p.pointer === `/modules/${index}`;
    // The cluster schema gates the record's shape (id pattern, description); problems elsewhere are not this change's.
    const shape = catalog.validateCluster({ ...doc, modules });
    if (!shape.ok) {
      const mine = shape.problems.filter(
        (p) => own(p) && !p.pointer.startsWith(`/modules/${index}/config`) && !DOCUMENT_RULES.has(p.keyword),
      );
      if (mine.length > 0) {
        throw invalidConfig(`invalid module ${record.id}`, mine.map((p) => ({ ...p, pointer: p.pointer.slice(`/modules/${index}`.length) })));
      }
    }
    const problems = documentProblems(catalog, modules).filter(own);
    if (problems.length > 0) {
      const singleton = problems.some((p) => p.keyword === 'singleton');
      throw new ModmqError(
        'MODMQ_MODULE_EXISTS',
        singleton ? `module type ${record.type} allows one module per cluster` : `module id ${record.id} already exists`,
        409,
        problems.map((p) => ({ ...p, pointer: p.pointer.slice(`/modules/${index}`.length) })),
        { module: record.id },
      );
    }
    return next;
  }

  function nextId(doc: ClusterDocument, type: string): string {
    if (catalog.moduleType(type)?.singleton) return type;
    const used = new Set(doc.modules.map((m) => m.id));
    let n = 1;
    while (used.has(`${type}:${n}`)) n++;
    return `${type}:${n}`;
  }

  return {
    cluster: () => store.current(),

    async replaceCluster(document, options) {
      const doc = validateDocument(catalog, registry, document);
      return write(options, () => ({ document: doc, summary: 'replace cluster document', value: structuredClone(doc) }));
    },

    async list() {
      const cur = await store.current();
      return { revision: cur.revision, value: cur.document.modules };
    },

    async get(id) {
      const cur = await store.current();
      const i = findIndex(cur.document, id);
      return { revision: cur.revision, value: cur.document.modules[i]! };
    },

    async add(input: ModuleInput, options) {
      if (typeof input?.type !== 'string' || input.type === '') {
        throw invalidConfig('module type is required', [{ pointer: '/type', keyword: 'required', message: 'type is required' }]);
      }
      const info = catalog.moduleType(input.type);
      if (!info) throw unknownType(input.type, '/type');
      return write(options, (doc) => {
        const id = input.id ?? nextId(doc, input.type);
        const record: ModuleRecord = {
          id,
          type: input.type,
          schemaVersion: input.schemaVersion ?? info.latest,
          enabled: input.enabled ?? true,
          config: input.config ?? {},
          ...(input.description !== undefined ? { description: input.description } : {}),
        };
        const stored = checkedRecord(doc, record, doc.modules.length);
        doc.modules.push(stored);
        return { document: doc, summary: `add module ${id}`, value: stored };
      });
    },

    async update(id, patch: ModulePatch, options) {
      return write(options, (doc) => {
        const i = findIndex(doc, id);
        const old = doc.modules[i]!;
        const record: ModuleRecord = {
          ...old,
          ...(patch.config !== undefined ? { config: patch.config } : {}),
          ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          ...(patch.schemaVersion !== undefined ? { schemaVersion: patch.schemaVersion } : {}),
        };
        const stored = checkedRecord(doc, record, i);
        doc.modules[i] = stored;
        return { document: doc, summary: `update module ${id}`, value: stored };
      });
    },

    async setEnabled(id, enabled, options) {
      return write(options, (doc) => {
        const i = findIndex(doc, id);
        const stored: ModuleRecord = { ...doc.modules[i]!, enabled };
        doc.modules[i] = stored;
        return { document: doc, summary: `${enabled ? 'enable' : 'disable'} module ${id}`, value: stored };
      });
    },

    async remove(id, options) {
      return write(options, (doc) => {
        doc.modules.splice(findIndex(doc, id), 1);
        return { document: doc, summary: `remove module ${id}`, value: null };
      });
    },

    history: (limit) => store.history(limit),

    async restore(revision, options) {
      const old: Revision | undefined = await store.get(revision);
      if (!old) throw notFound('MODMQ_REVISION_NOT_FOUND', `revision ${revision} is not in the history`);
      const doc = validateDocument(catalog, registry, old.document);
      return write(options, () => ({ document: doc, summary: `restore revision ${revision}`, value: structuredClone(doc) }));
    },
  };
}

function staleRevision(expected: number, current: number): ModmqError {
  return conflict(`revision conflict: change was based on revision ${expected}, current is ${current}`, {
    expectedRevision: expected,
    currentRevision: current,
  });
}
