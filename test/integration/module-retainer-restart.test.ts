/**
 * The real binary: a fresh node serves retained messages out of the box (the initial document
 * enables the retainer, ram), and with `disc` storage they survive a restart.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, test } from 'node:test';
import { makeTempDir, nextMessage, removeTempDir, startNodeProcess, type NodeProcess } from '../helpers/node-process.js';

const run = promisify(execFile);
const nodes: NodeProcess[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(nodes.map((n) => n.close()));
  await Promise.all(dirs.map((d) => removeTempDir(d)));
});

async function start(dir: string): Promise<NodeProcess> {
  const node = await startNodeProcess({ dir, password: 'retainer-secret' });
  nodes.push(node);
  return node;
}

test('fresh node: revision 1 is the initial document with the retainer; disc storage survives a restart', async () => {
  const dir = await makeTempDir();
  dirs.push(dir);
  const first = await start(dir);
  const revisions = await first.json<Array<{ revision: number; author: string; summary: string }>>('GET', '/revisions');
  const initial = revisions.find((r) => r.revision === 1);
  assert.deepEqual(initial && [initial.author, initial.summary], ['system', 'initial cluster document']);
  const cluster = await first.json<{ document: { modules: Array<{ id: string; enabled: boolean; config: { storage_type: string } }> } }>('GET', '/cluster');
  assert.deepEqual(cluster.document.modules.map((m) => [m.id, m.enabled, m.config.storage_type]), [['retainer', true, 'ram']]);

  // Out of the box (ram): a retained message from mosquitto_pub reaches a later MQTT.js subscriber.
  await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(first.mqtt.port), '-q', '1', '-r', '-t', 'ram/t', '-m', 'in memory']);
  const early = await first.connect({ clientId: 'early' });
  const got = nextMessage(early);
  await early.subscribeAsync('ram/t', { qos: 1 });
  assert.deepEqual(await got.then((m) => [m.topic, m.payload, m.retain]), ['ram/t', 'in memory', true]);
  await early.endAsync();

  const update = await first.cliOk(['modules', 'update', 'retainer', '--config', JSON.stringify({ storage_type: 'disc' })]);
  await first.waitApplied(Number(/\(revision (\d+)\)/.exec(update.stdout)![1]));
  const pub = await first.connect({ clientId: 'pub', protocolVersion: 5 });
  await pub.publishAsync('disc/t', 'on disc', { qos: 1, retain: true, properties: { contentType: 'text/plain' } });
  await pub.endAsync();
  assert.deepEqual(await first.stop('SIGTERM'), { code: 0, signal: null });

  const second = await start(dir);
  await second.waitApplied();
  const sub = await second.connect({ clientId: 'after-restart', protocolVersion: 5 });
  const messages: string[] = [];
  const both = new Promise<void>((resolve) =>
    sub.on('message', (topic, payload, packet) => {
      messages.push(`${topic}=${payload.toString()} retain=${packet.retain} ct=${packet.properties?.contentType ?? ''}`);
      if (messages.length === 2) resolve();
    }),
  );
  await sub.subscribeAsync(['disc/#', 'ram/#'], { qos: 1 });
  await both;
  // ram/t was moved to disc by the storage change, so it survived too.
  assert.deepEqual(messages.sort(), ['disc/t=on disc retain=true ct=text/plain', 'ram/t=in memory retain=true ct=']);

  // mosquitto_sub sees the restored message as retained.
  const { stdout } = await run('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(second.mqtt.port), '-C', '1', '-t', 'disc/t', '-F', '%r %p']);
  assert.equal(stdout.trim(), '1 on disc');
});
