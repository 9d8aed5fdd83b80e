import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HoconError, parseHoconFile, parseHoconText } from '../../src/node/hocon.js';

let dir: string;
let confDir: string;
let marker: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modmq-hocon-sec-'));
  confDir = join(dir, 'etc');
  await mkdir(confDir);
  marker = join(dir, 'pwned');
  const script = `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'); module.exports = { a: 1 };\n`;
  await writeFile(join(confDir, 'evil.js'), script);
  await writeFile(join(dir, 'secret.conf'), 'stolen = true\n');
  await symlink(join(dir, 'secret.conf'), join(confDir, 'link.conf'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejects(text: string, pattern: RegExp): Promise<void> {
  await assert.rejects(parseHoconText(text, join(confDir, 'modmq.conf')), (err: unknown) => {
    assert.ok(err instanceof HoconError, `expected HoconError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('hardened HOCON adapter refuses to run code or fetch', () => {
  test('include of a .js file does not run it', async () => {
    await rejects('include "evil.js"\n', /disabled/);
    assert.equal(existsSync(marker), false);
  });

  test('required include of a .js file does not run it either', async () => {
    await rejects('include required("evil.js")\n', /disabled/);
    assert.equal(existsSync(marker), false);
  });

  test('| eval transform does not evaluate', async () => {
    const expr = `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`;
    await rejects(`a = 1 | eval { expr = ${JSON.stringify(expr)} }\n`, /eval.*disabled/);
    assert.equal(existsSync(marker), false);
  });

  for (const name of ['filter', 'map', 'invoke', 'sort']) {
    test(`| ${name} transform (compiles expressions) is refused`, async () => {
      await rejects(`a = [1, 2] | ${name} { expr = "process.pid" }\n`, /disabled/);
    });
  }

  test('include url(http://...) makes no request', async () => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests += 1;
      res.end('a = 1\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      await rejects(`include url("http://127.0.0.1:${port}/x.conf")\n`, /http.*disabled/);
      await rejects(`include required(url("http://127.0.0.1:${port}/x.conf"))\n`, /disabled/);
      await rejects(`include "http://127.0.0.1:${port}/x.conf"\n`, /disabled/);
      assert.equal(requests, 0);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  test('classpath/modulepath includes are refused', async () => {
    await rejects('include classpath("package.json")\n', /disabled/);
  });

  test('includes cannot leave the config directory', async () => {
    await rejects('include "../secret.conf"\n', /outside the config directory/);
    await rejects(`include file(${JSON.stringify(join(dir, 'secret.conf'))})\n`, /outside the config directory/);
    await rejects('include "link.conf"\n', /outside the config directory/);
  });

  test('a file given directly may include its siblings but not escape', async () => {
    const main = join(confDir, 'main.conf');
    await writeFile(join(confDir, 'ok.conf'), 'x = 1\n');
    await writeFile(main, 'include "ok.conf"\ny = 2\n');
    assert.deepEqual(await parseHoconFile(main), { x: 1, y: 2 });
    await writeFile(main, 'include "../secret.conf"\n');
    await assert.rejects(parseHoconFile(main), HoconError);
  });
});
