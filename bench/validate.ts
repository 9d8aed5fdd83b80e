/**
 * `node --import tsx bench/validate.ts [--files 10000] [--binary-files 10000]`
 *
 * `modmq validate` on many module configs (issue 8): generates module records of several types in a
 * temp dir (3 valid for every invalid one; a few HOCON files among the JSON), runs `runValidate`
 * in-process once (schemas loaded outside the timing, then again with the load counted), then the
 * real binary (bin/modmq.js) once on the same files, and prints files/s. Checks that the counts of
 * valid and invalid files are the ones generated, so the figure is about a validator that works.
 * Prints figures; asserts no timing. The temp dir is removed at the end, on error or Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runValidate } from '../src/cli/validate.js';
import { createSchemaCatalog } from '../src/schema/index.js';

const { values } = parseArgs({ options: { files: { type: 'string', default: '10000' }, 'binary-files': { type: 'string' } } });
const count = positiveInt(values.files);
const binaryCount = Math.min(count, positiveInt(values['binary-files'] ?? String(count)));
const BIN = fileURLToPath(new URL('../bin/modmq.js', import.meta.url));

/** Collects what runValidate prints (JSON reports), read back by checkCounts. */
const captured: string[] = [];
const io = { stdout: { write: (t: string) => void captured.push(t) }, stderr: { write: (t: string) => void process.stderr.write(t) } };

interface Generated {
  name: string;
  text: string;
  valid: boolean;
}

/** One module record per i: six types, every 4th one invalid in a way its type's schema catches. */
function generate(i: number): Generated {
  const valid = i % 4 !== 3;
  const record = (type: string, config: unknown): string => JSON.stringify({ type, schemaVersion: 1, enabled: true, config }, null, 2);
  switch (i % 6) {
    case 0:
      return {
        name: `topic-rewrite-${i}.json`,
        valid,
        text: record('topic-rewrite', {
          rules: [
            { action: valid ? 'all' : 'both', source_topic: `site/${i}/#`, re: `^site/${i}/(.+)$`, dest_topic: `moved/${i}/$1` },
            { action: 'publish', source_topic: 'x/+', re: '^x/(.+)$', dest_topic: 'y/$1' },
          ],
        }),
      };
    case 1:
      return { name: `presence-${i}.json`, valid, text: record('presence', { qos: valid ? i % 3 : 3 }) };
    case 2:
      return {
        name: `retainer-${i}.json`,
        valid,
        text: record('retainer', { storage_type: valid ? 'ram' : 'tape', max_retained_messages: 1000 + i, max_payload_size: '1MB', expiry_interval: '0s' }),
      };
    case 3:
      return { name: `auth-jwt-${i}.json`, valid, text: record('auth-jwt', { secret: `s-${i}`, from: valid ? 'password' : 'cookie' }) };
    case 4:
      return {
        name: `acl-file-${i}.json`,
        valid,
        text: record('acl-file', {
          rules: [
            { permission: 'allow', who: { kind: 'user', value: `u${i}` }, access: 'pubsub', topics: [{ filter: `u/${i}/#` }] },
            { permission: valid ? 'deny' : 'maybe', who: { kind: 'all' }, access: 'subscribe', topics: [{ filter: '$SYS/#' }, { eq: '#' }] },
          ],
        }),
      };
    default:
      // HOCON, like a hand-written file in a CI check.
      return {
        name: `delayed-${i}.conf`,
        valid,
        text: `type = delayed-publish\nschemaVersion = 1\nenabled = true\nconfig {\n  max_delayed_messages = ${valid ? i : -1}\n}\n`,
      };
  }
}

const dir = await mkdtemp(join(tmpdir(), 'modmq-bench-validate-'));
const cleanup = (): Promise<void> => rm(dir, { recursive: true, force: true });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanup().finally(() => process.exit(130)));
try {
  const files: string[] = [];
  let expectedValid = 0;
  for (let i = 0; i < count; i++) {
    const g = generate(i);
    await writeFile(join(dir, g.name), g.text);
    files.push(g.name);
    if (g.valid) expectedValid++;
  }
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}, load ${loadavg()[0]?.toFixed(2)}`);
  console.log(`generated ${count} module records in ${dir} (6 types, ${expectedValid} valid, ${count - expectedValid} invalid, ${files.filter((f) => f.endsWith('.conf')).length} HOCON)\n`);

  // Warm, catalog loaded outside the timing: what a long-lived caller (an editor, a test) sees.
  const catalog = await createSchemaCatalog();
  const warm = await timed(() => runValidate(files, { format: 'json', cwd: dir, catalog }, io));
  checkCounts('in-process, catalog given', warm.output, count, expectedValid);
  // Cold: runValidate loads the schemas itself, as the CLI does.
  const cold = await timed(() => runValidate(files, { format: 'json', cwd: dir }, io));
  checkCounts('in-process, catalog loaded', cold.output, count, expectedValid);

  const binFiles = files.slice(0, binaryCount);
  const binStart = performance.now();
  const bin = await runBinary(binFiles, dir);
  const binMs = performance.now() - binStart;
  const binValid = bin.stdout.split('\n').filter((l) => l.endsWith(': ok (module)')).length;
  const binOk = bin.code === 1 && binValid === binFiles.filter((f) => generateValid(f)).length;

  const row = (label: string, n: number, ms: number, note: string): void =>
    console.log(`${label.padEnd(44)}${String(n).padStart(7)}${ms.toFixed(0).padStart(10)}${Math.round((n * 1000) / ms).toLocaleString('en-US').padStart(12)}  ${note}`);
  console.log(`${'modmq validate'.padEnd(44)}${'files'.padStart(7)}${'ms'.padStart(10)}${'files/s'.padStart(12)}`);
  row('runValidate in-process (catalog given)', count, warm.ms, `exit ${warm.code}`);
  row('runValidate in-process (loads schemas)', count, cold.ms, `exit ${cold.code}`);
  row('bin/modmq.js validate (whole process)', binFiles.length, binMs, `exit ${bin.code}, ${binValid} ok${binOk ? '' : ' (UNEXPECTED)'}`);
  console.log(`\nthe binary's time includes node + tsx start-up and schema loading (${Math.round(binMs - (binFiles.length * warm.ms) / count)} ms over the warm in-process rate)`);
} finally {
  await cleanup();
}

function generateValid(name: string): boolean {
  const i = Number(/-(\d+)\.(json|conf)$/.exec(name)?.[1]);
  return i % 4 !== 3;
}

async function timed(run: () => Promise<number>): Promise<{ ms: number; code: number; output: string }> {
  const start = performance.now();
  const code = await run();
  return { ms: performance.now() - start, code, output: captured.splice(0).join('') };
}

/** Every file valid or invalid as generated, none unreadable: otherwise the figure is suspect. */
function checkCounts(label: string, output: string, total: number, expectedValid: number): void {
  const reports = (JSON.parse(output) as { files: Array<{ valid: boolean; error?: string }> }).files;
  const valid = reports.filter((r) => r.valid).length;
  const unreadable = reports.filter((r) => r.error !== undefined).length;
  if (reports.length !== total || valid !== expectedValid || unreadable > 0) {
    console.log(`WARNING ${label}: ${reports.length} reports, ${valid} valid (expected ${expectedValid}), ${unreadable} unreadable`);
  }
}

function runBinary(names: string[], cwd: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'validate', ...names], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout }));
  });
}

function positiveInt(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`expected a positive integer, got ${raw}`);
    process.exit(2);
  }
  return n;
}
