import { existsSync, readFileSync } from 'node:fs';
import type { SchemaCatalog } from '../schema/catalog.js';

const SCHEMAS_BASE = 'https://modmq.dev/schemas/';
const SYNTHETIC_BASE = 'https://modmq.invalid/schemas/';
// Values, not schemas: never rewrite a "$ref" key found inside them.
const VALUE_KEYWORDS = new Set(['const', 'default', 'examples', 'enum', 'example']);

/** Reads `https://modmq.dev/schemas/<path>` from the package's own `schemas/` folder. */
export function defaultSchemaResolver(id: string): object | undefined {
  if (!id.startsWith(SCHEMAS_BASE)) return undefined;
  const relative = id.slice(SCHEMAS_BASE.length);
  if (relative.includes('..')) return undefined;
  const file = new URL(`../../schemas/${relative}`, import.meta.url);
  try {
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as object) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Turns the catalog's JSON Schemas (each with an `$id` and relative `$ref`s between files) into
 * OpenAPI `components.schemas` entries: one component per schema document, `$id`/`$schema`
 * removed, every `$ref` rewritten to `#/components/schemas/<name><fragment>`. Referenced documents
 * the catalog does not list (shared defs) are loaded through `resolve`.
 */
export class ComponentCollector {
  readonly components: Record<string, object> = {};
  private readonly names = new Map<string, string>();
  private readonly known = new Map<string, object>();
  private readonly pending: Array<{ id: string; schema: object }> = [];

  constructor(private readonly resolve: (id: string) => object | undefined) {}

  /** Registers a catalog schema; returns its component name. */
  add(schema: object, fallbackId: string): string {
    const id = documentId(schema, fallbackId);
    this.known.set(id, schema);
    return this.nameFor(id) as string;
  }

  /** Rewrites every queued document (and the ones they reference) into components. */
  flush(): void {
    while (this.pending.length > 0) {
      const { id, schema } = this.pending.shift() as { id: string; schema: object };
      const name = this.names.get(id) as string;
      this.components[name] = this.rewrite(schema, id) as object;
    }
  }

  private nameFor(id: string): string | undefined {
    const existing = this.names.get(id);
    if (existing) return existing;
    const schema = this.known.get(id) ?? this.resolve(id);
    if (!schema) return undefined;
    const name = this.uniqueName(componentName(id));
    this.names.set(id, name);
    this.pending.push({ id, schema });
    return name;
  }

  private uniqueName(base: string): string {
    const taken = new Set(this.names.values());
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}_${i}`;
    return name;
  }

  private rewrite(node: unknown, base: string): unknown {
    if (Array.isArray(node)) return node.map((item) => this.rewrite(item, base));
    if (node === null || typeof node !== 'object') return node;
    const source = node as Record<string, unknown>;
    let here = base;
    if (typeof source['$id'] === 'string') here = safeUrl(source['$id'], base) ?? base;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(source)) {
      if (key === '$id' || key === '$schema') continue;
      if (key === '$ref' && typeof value === 'string') {
        const target = this.refTarget(value, here);
        if (target) out['$ref'] = target;
        else out['x-unresolved-ref'] = value;
        continue;
      }
      out[key] = VALUE_KEYWORDS.has(key) ? value : this.rewrite(value, here);
    }
    return out;
  }

  private refTarget(ref: string, base: string): string | undefined {
    const resolved = safeUrl(ref, base);
    if (!resolved) return undefined;
    const hashAt = resolved.indexOf('#');
    const doc = hashAt < 0 ? resolved : resolved.slice(0, hashAt);
    const fragment = hashAt < 0 ? '' : resolved.slice(hashAt + 1);
    if (fragment !== '' && !fragment.startsWith('/')) return undefined; // plain-name anchors: not mapped
    const name = this.nameFor(doc);
    return name ? `#/components/schemas/${name}${fragment}` : undefined;
  }
}

function documentId(schema: object, fallbackId: string): string {
  const id = (schema as { $id?: unknown }).$id;
  const raw = typeof id === 'string' ? id : `${SYNTHETIC_BASE}${fallbackId}`;
  return raw.split('#')[0] as string;
}

function safeUrl(ref: string, base: string): string | undefined {
  try {
    return new URL(ref, base).href;
  } catch {
    return undefined;
  }
}

/** `https://modmq.dev/schemas/modules/presence/v1.json` -> `modules.presence.v1`. */
export function componentName(id: string): string {
  const path = id.replace(/^[a-z]+:\/\/[^/]+\//, '').replace(/^schemas\//, '').replace(/\.json$/, '');
  return path.replace(/\//g, '.').replace(/[^A-Za-z0-9._-]/g, '_') || 'schema';
}

/** Registers every module type version and the cluster schema; returns their component names. */
export function collectCatalog(
  collector: ComponentCollector,
  catalog: SchemaCatalog,
): { modules: Map<string, Map<number, string>>; cluster: string } {
  const modules = new Map<string, Map<number, string>>();
  for (const info of catalog.moduleTypes()) {
    const versions = new Map<number, string>();
    for (const version of info.versions) {
      const schema = catalog.moduleSchema(info.type, version);
      if (schema) versions.set(version, collector.add(schema, `modules/${info.type}/v${version}.json`));
    }
    modules.set(info.type, versions);
  }
  const cluster = collector.add(catalog.clusterSchema(), 'cluster/v1.json');
  return { modules, cluster };
}
