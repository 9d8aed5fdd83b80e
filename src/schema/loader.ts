import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's `schemas/` folder, found relative to this file (src/schema/ -> ../../schemas/). */
export const DEFAULT_SCHEMAS_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

/** One JSON Schema file read from disk. */
export interface SchemaFile {
  /** Path relative to the schemas root, with '/' separators: 'modules/presence/v1.json'. */
  path: string;
  /** The schema's `$id`. */
  id: string;
  schema: Record<string, unknown>;
  /** The file's exact text, for `modmq schema export`. */
  text: string;
}

/**
 * Reads every `*.json` file under `root` (recursively, sorted). A file that is not valid JSON or has
 * no `$id` is an error: the schemas folder is part of the product, not user input.
 */
export async function readSchemaFiles(root: string, only?: (relPath: string) => boolean): Promise<SchemaFile[]> {
  const files: SchemaFile[] = [];
  for (const rel of await listJsonFiles(root, '')) {
    if (only && !only(rel)) continue;
    const text = await readFile(path.join(root, rel), 'utf8');
    let schema: unknown;
    try {
      schema = JSON.parse(text);
    } catch (error) {
      throw new Error(`schema file ${rel} is not valid JSON: ${(error as Error).message}`);
    }
    if (!schema || typeof schema !== 'object' || Array.isArray(schema)) throw new Error(`schema file ${rel} is not a JSON object`);
    const id = (schema as { $id?: unknown }).$id;
    if (typeof id !== 'string') throw new Error(`schema file ${rel} has no $id`);
    files.push({ path: rel, id, schema: schema as Record<string, unknown>, text });
  }
  return files;
}

async function listJsonFiles(root: string, rel: string): Promise<string[]> {
  const dir = path.join(root, rel);
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && rel !== '') return [];
    throw error;
  }
  const out: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listJsonFiles(root, child)));
    else if (entry.isFile() && entry.name.endsWith('.json')) out.push(child);
  }
  return out;
}

export async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** 'modules/presence/v2.json' -> {type: 'presence', version: 2}; anything else -> undefined. */
export function moduleSchemaLocation(relPath: string): { type: string; version: number } | undefined {
  const match = /^modules\/([a-z][a-z0-9-]*)\/v([1-9][0-9]*)\.json$/.exec(relPath);
  return match ? { type: match[1] as string, version: Number(match[2]) } : undefined;
}
