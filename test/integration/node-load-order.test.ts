/**
 * The broker's hot path depends on what a node loads first (src/load-ioredis.ts): `debug` keeps
 * only the first instance of a process out of dictionary mode, and mqtt-packet's parser calls its
 * instance several times per packet. A node must create that instance before any other (ioredis
 * creates several when it loads), and a single node never loads ioredis at all.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { REPO, makeTempDir, removeTempDir, startNodeProcess, type NodeProcess } from '../helpers/node-process.js';

const RECORDER = join(REPO, 'test', 'fixtures', 'load-order', 'record-debug-instances.cjs');
let dir: string;
let node: NodeProcess;
let log: string;

before(async () => {
  dir = await makeTempDir('modmq-load-order-');
  log = join(dir, 'debug-instances.txt');
  node = await startNodeProcess({ dir, env: { NODE_OPTIONS: `--require ${RECORDER}`, MODMQ_TEST_DEBUG_LOG: log } });
});

after(async () => {
  await node?.close();
  await removeTempDir(dir);
});

test("a single node creates mqtt-packet's parser debug instance first and never loads ioredis", async () => {
  // An MQTT round trip through the node: the broker and its parser are in use, not just loaded.
  const client = await node.connect({ clientId: 'load-order' });
  await client.subscribeAsync('load/order', { qos: 1 });
  const received = new Promise<string>((resolve) => client.once('message', (_topic, payload) => resolve(payload.toString())));
  await client.publishAsync('load/order', 'hello', { qos: 1 });
  assert.equal(await received, 'hello');

  const namespaces = (await readFile(log, 'utf8')).split('\n').filter(Boolean);
  assert.equal(namespaces[0], 'mqtt-packet:parser', `debug instances in creation order: ${namespaces.join(', ')}`);
  assert.ok(!namespaces.some((n) => n.startsWith('ioredis')), `ioredis was loaded: ${namespaces.join(', ')}`);
});
