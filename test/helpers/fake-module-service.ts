import { conflict, invalidConfig, ModmqError, notFound } from '../../src/errors.js';
import type {
  ModuleInput,
  ModulePatch,
  ModuleService,
  WriteOptions,
  WriteResult,
} from '../../src/modules/runtime/module-service.js';
import type { SchemaCatalog } from '../../src/schema/catalog.js';
import type { Problem } from '../../src/schema/problem.js';
import { type ClusterDocument, emptyDocument, type ModuleRecord } from '../../src/store/cluster-document.js';
import type { Revision, RevisionSummary } from '../../src/store/config-store.js';

/**
 * In-memory ModuleService for API tests. Follows the interface's documented errors: 400 with
 * problems for invalid input (schema via the catalog), 400 MODMQ_UNKNOWN_MODULE_TYPE, 404 for
 * unknown ids/revisions, 409 for an existing id or a stale expectedRevision. Nothing is stored on
 * a rejected change. `revisions` is public so tests can look at exactly what was stored.
 */
export class FakeModuleService implements ModuleService {
  readonly revisions: Revision[] = [{ revision: 0, document: emptyDocument(), author: 'system', at: new Date(0).toISOString(), summary: 'empty' }];

  constructor(private readonly catalog: SchemaCatalog) {}

  get current(): Revision {
    return this.revisions[this.revisions.length - 1] as Revision;
  }

  async get(id: string): Promise<WriteResult<ModuleRecord>> {
    const record = this.current.document.modules.find((m) => m.id === id);
    if (!record) throw notFound('MODMQ_MODULE_NOT_FOUND', `no module ${id}`);
    return { revision: this.current.revision, value: structuredClone(record) };
  }

  /** A store-like getter of old revisions, for ApiDeps.store. */
  async revision(revision: number): Promise<Revision | undefined> {
    const found = this.revisions.find((r) => r.revision === revision);
    return found ? structuredClone(found) : undefined;
  }

  async cluster(): Promise<Revision> {
    return structuredClone(this.current);
  }

  async list(): Promise<WriteResult<ModuleRecord[]>> {
    return { revision: this.current.revision, value: structuredClone(this.current.document.modules) };
  }

  async replaceCluster(document: unknown, options: WriteOptions): Promise<WriteResult<ClusterDocument>> {
    this.checkRevision(options);
    const result = this.catalog.validateCluster(document);
    if (!result.ok) throw invalidConfig('invalid cluster document', result.problems);
    const doc = result.value as ClusterDocument;
    const problems: Problem[] = [];
    doc.modules = doc.modules.map((m, i) => {
      const checked = this.validateConfig(m.type, m.schemaVersion, m.config, `/modules/${i}`);
      if (!checked.ok) problems.push(...checked.problems);
      return checked.ok ? { ...m, config: checked.config } : m;
    });
    if (problems.length) throw invalidConfig('invalid cluster document', problems);
    return { revision: this.commit(doc, options, 'replace cluster document'), value: structuredClone(doc) };
  }

  async add(input: ModuleInput, options: WriteOptions): Promise<WriteResult<ModuleRecord>> {
    this.checkRevision(options);
    const info = this.catalog.moduleType(input.type);
    if (!info) {
      throw new ModmqError('MODMQ_UNKNOWN_MODULE_TYPE', `unknown module type ${input.type}`, 400, [
        { pointer: '/type', keyword: 'unknown-type', message: `unknown module type ${input.type}` },
      ]);
    }
    const doc = structuredClone(this.current.document);
    const id = input.id ?? (info.singleton ? info.type : this.freeId(doc, info.type));
    if (doc.modules.some((m) => m.id === id)) {
      throw new ModmqError('MODMQ_MODULE_EXISTS', `module ${id} exists`, 409, [{ pointer: '/id', keyword: 'unique-id', message: 'exists' }]);
    }
    const version = input.schemaVersion ?? info.latest;
    const checked = this.validateConfig(info.type, version, input.config ?? {}, '');
    if (!checked.ok) throw invalidConfig(`invalid config for ${info.type}`, checked.problems);
    const record: ModuleRecord = { id, type: info.type, schemaVersion: version, enabled: input.enabled ?? true, config: checked.config };
    if (input.description !== undefined) record.description = input.description;
    doc.modules.push(record);
    return { revision: this.commit(doc, options, `add module ${id}`), value: structuredClone(record) };
  }

  async update(id: string, patch: ModulePatch, options: WriteOptions): Promise<WriteResult<ModuleRecord>> {
    this.checkRevision(options);
    const doc = structuredClone(this.current.document);
    const record = doc.modules.find((m) => m.id === id);
    if (!record) throw notFound('MODMQ_MODULE_NOT_FOUND', `no module ${id}`);
    const version = patch.schemaVersion ?? record.schemaVersion;
    const checked = this.validateConfig(record.type, version, patch.config ?? record.config, '');
    if (!checked.ok) throw invalidConfig(`invalid config for ${record.type}`, checked.problems);
    record.config = checked.config;
    record.schemaVersion = version;
    if (patch.enabled !== undefined) record.enabled = patch.enabled;
    if (patch.description !== undefined) record.description = patch.description;
    return { revision: this.commit(doc, options, `update module ${id}`), value: structuredClone(record) };
  }

  async setEnabled(id: string, enabled: boolean, options: WriteOptions): Promise<WriteResult<ModuleRecord>> {
    return this.update(id, { enabled }, options);
  }

  async remove(id: string, options: WriteOptions): Promise<WriteResult<null>> {
    this.checkRevision(options);
    const doc = structuredClone(this.current.document);
    const index = doc.modules.findIndex((m) => m.id === id);
    if (index < 0) throw notFound('MODMQ_MODULE_NOT_FOUND', `no module ${id}`);
    doc.modules.splice(index, 1);
    return { revision: this.commit(doc, options, `remove module ${id}`), value: null };
  }

  async history(limit = 50): Promise<RevisionSummary[]> {
    return [...this.revisions]
      .reverse()
      .slice(0, limit)
      .map(({ document: _document, ...summary }) => summary);
  }

  async restore(revision: number, options: WriteOptions): Promise<WriteResult<ClusterDocument>> {
    const old = this.revisions.find((r) => r.revision === revision);
    if (!old) throw notFound('MODMQ_REVISION_NOT_FOUND', `no revision ${revision}`);
    this.checkRevision(options);
    const doc = structuredClone(old.document);
    return { revision: this.commit(doc, options, `restore revision ${revision}`), value: doc };
  }

  private validateConfig(
    type: string,
    version: number,
    config: unknown,
    prefix: string,
  ): { ok: true; config: Record<string, unknown> } | { ok: false; problems: Problem[] } {
    const result = this.catalog.validateModuleConfig(type, version, config);
    if (!result.ok) return { ok: false, problems: result.problems.map((p) => ({ ...p, pointer: `${prefix}/config${p.pointer}` })) };
    return { ok: true, config: result.value as Record<string, unknown> };
  }

  private checkRevision(options: WriteOptions): void {
    const current = this.current.revision;
    if (options.expectedRevision !== undefined && options.expectedRevision !== current) {
      throw conflict(`revision conflict: based on ${options.expectedRevision}, current is ${current}`, {
        expected: options.expectedRevision,
        current,
      });
    }
  }

  private commit(document: ClusterDocument, options: WriteOptions, summary: string): number {
    const revision = this.current.revision + 1;
    this.revisions.push({ revision, document, author: options.author, at: new Date().toISOString(), summary });
    return revision;
  }

  private freeId(doc: ClusterDocument, type: string): string {
    for (let n = 1; ; n++) if (!doc.modules.some((m) => m.id === `${type}:${n}`)) return `${type}:${n}`;
  }
}
