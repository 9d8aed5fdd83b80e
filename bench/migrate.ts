/**
 * Benchmark (not a test): generates 100 EMQX 4.4 node trees with the full plugin set in a temp dir,
 * migrates them in-process and prints the time. `node --import tsx bench/migrate.ts [nodes]`.
 */
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { legacyMappings } from '../migrations/legacy/index.js';
import { defaultReaders } from '../src/migrator/default-readers.js';
import { runMigration } from '../src/migrator/pipeline.js';
import { createSchemaCatalog } from '../src/schema/index.js';

const count = Number(process.argv[2] ?? 100);
const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../legacy-fixtures');
const temp = await mkdtemp(path.join(tmpdir(), 'modmq-bench-migrate-'));
try {
  // Every plugin conf of the fixtures on every node (the 4.3 all-auth set plus the 4.4 cluster's).
  const template = path.join(temp, 'template');
  await cp(path.join(fixtures, '4.4-three-nodes', 'node1'), template, { recursive: true });
  await cp(path.join(fixtures, '4.3-all-auth', 'emqx43', 'etc', 'plugins'), path.join(template, 'etc', 'plugins'), { recursive: true, force: false, errorOnExist: false });
  const dirs: string[] = [];
  for (let i = 0; i < count; i++) {
    const dir = path.join(temp, `node${i}`);
    await cp(template, dir, { recursive: true });
    dirs.push(dir);
  }
  const plugins = (await readdir(path.join(template, 'etc', 'plugins'))).length;
  const catalog = await createSchemaCatalog();
  const started = process.hrtime.bigint();
  const outcome = await runMigration({ nodeDirs: dirs, strict: false }, { mappings: legacyMappings, catalog, readers: defaultReaders });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const keys = outcome.report?.summary.keys.total ?? 0;
  console.log(`migrate: ${count} nodes x ${plugins} plugin confs, ${keys} keys, ${outcome.report?.summary.modules.length ?? 0} modules: ${ms.toFixed(0)} ms (${(ms / count).toFixed(2)} ms/node), exit ${outcome.exitCode}`);
} finally {
  await rm(temp, { recursive: true, force: true });
}
