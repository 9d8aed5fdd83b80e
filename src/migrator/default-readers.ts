/** The real file readers (src/migrator/readers/), behind the MigratorReaders seam tests can replace. */
import { readFile } from 'node:fs/promises';
import type { MigratorReaders } from './pipeline.js';
import { parseEeExport } from './readers/ee-export.js';
import { readLegacyNode } from './readers/node-tree.js';

export const defaultReaders: MigratorReaders = {
  readNode: (dir, options) => readLegacyNode(dir, options),
  readExport: async (file) => parseEeExport(await readFile(file, 'utf8'), file.split(/[\\/]/).pop() ?? file),
};
