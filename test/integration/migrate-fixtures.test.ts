/**
 * Runs `modmq migrate` on every case of legacy-fixtures/ and compares the outputs with the case's
 * expected/ directory. UPDATE_EXPECTED=1 regenerates expected/ (review the diff before committing).
 * case.json: {nodes: [dirs], eeExport?: file, args: [extra CLI args], exitCode, strictExitCode?}.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/program.js';
import { captureIo } from '../helpers/capture-io.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../legacy-fixtures');
const update = process.env['UPDATE_EXPECTED'] === '1';

interface Case {
  nodes: string[];
  eeExport?: string;
  args: string[];
  exitCode: number;
  strictExitCode?: number;
}

async function listFiles(dir: string, base = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(dir, base), { withFileTypes: true }).catch(() => [])) {
    const rel = path.posix.join(base, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out.sort();
}

const compared = (file: string): boolean => file === 'cluster.json' || file === 'report.json' || file === 'builtin-db-users.json' || file.startsWith('nodes/');

const cases = (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
const temp = await mkdtemp(path.join(tmpdir(), 'modmq-migrate-fixtures-'));
after(() => rm(temp, { recursive: true, force: true }));

describe('legacy fixtures', () => {
  for (const name of cases) {
    it(`migrates ${name} to its expected outputs`, async () => {
      const dir = path.join(root, name);
      const spec = JSON.parse(await readFile(path.join(dir, 'case.json'), 'utf8')) as Case;
      const out = path.join(temp, name);
      const io = captureIo(dir);
      const args = ['migrate', ...spec.nodes, ...(spec.eeExport ? ['--ee-export', spec.eeExport] : []), '--out', out, ...spec.args];
      const code = await runCli(args, io);
      assert.equal(code, spec.exitCode, [...io.errors, ...io.lines].join('\n'));
      const produced = (await listFiles(out)).filter(compared);
      const expectedDir = path.join(dir, 'expected');
      if (update) {
        await rm(expectedDir, { recursive: true, force: true });
        await mkdir(expectedDir, { recursive: true });
        await cp(out, expectedDir, { recursive: true, filter: (src) => path.relative(out, src) === '' || !src.endsWith('.md') });
        return;
      }
      assert.deepEqual(produced, (await listFiles(expectedDir)).filter(compared), 'the same output files');
      for (const file of produced) {
        assert.equal(await readFile(path.join(out, file), 'utf8'), await readFile(path.join(expectedDir, file), 'utf8'), `${name}/expected/${file}`);
      }
      assert.ok((await readFile(path.join(out, 'report.md'), 'utf8')).startsWith('# modmq migration report'));
      if (spec.strictExitCode !== undefined) {
        const strictIo = captureIo(dir);
        const strictCode = await runCli(['migrate', ...spec.nodes, '--out', path.join(temp, `${name}-strict`)], strictIo);
        assert.equal(strictCode, spec.strictExitCode);
        assert.ok(strictIo.errors.some((l) => l.startsWith('conflict ')), 'the conflict is printed');
      }
    });
  }
});
