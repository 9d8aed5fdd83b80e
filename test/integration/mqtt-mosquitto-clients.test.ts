import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { type Harness, nextMessages, startHarness } from '../helpers/mqtt-harness.js';

const run = promisify(execFile);

/**
 * Starts mosquitto_sub for one message; `ready` resolves when the broker has authorized its
 * SUBSCRIBE (mosquitto_sub's stdout is block-buffered on a pipe, so we watch the broker instead).
 */
function mosquittoSub(h: Harness, clientId: string, args: string[]): { ready: Promise<void>; output: Promise<string> } {
  const scope = h.broker.hooks.scope(`watch-${clientId}`);
  const ready = new Promise<void>((resolve) => {
    scope.authorize((client, action) => {
      if (client.clientId === clientId && action === 'subscribe') setImmediate(resolve);
      return { result: 'ignore' };
    });
  });
  const child = spawn('mosquitto_sub', ['-C', '1', '-i', clientId, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  // 'close', not 'exit': stdout may still hold the message when the process has exited.
  child.once('close', () => scope.dispose());
  const output = new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`mosquitto_sub exited ${code}: ${out}`))));
  });
  return { ready, output };
}

/**
 * Publishes until `output` settles (mosquitto_sub -C 1 exits on the first message). The SUBSCRIBE
 * is authorized a moment before aedes routes to it, so a single publish could race it; bounded.
 */
async function publishUntil(output: Promise<string>, publish: () => Promise<unknown>): Promise<string> {
  let settled = false;
  const done = output.finally(() => {
    settled = true;
  });
  for (let attempt = 0; attempt < 50 && !settled; attempt++) {
    await publish();
    await Promise.race([done.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 200))]);
  }
  return done;
}

describe('Debian mosquitto clients against the tcp listener', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ retained: true });
  });
  after(async () => {
    await h.close();
  });

  for (const version of ['mqttv311', 'mqttv5'] as const) {
    for (const qos of ['0', '1', '2']) {
      test(`${version} QoS ${qos}: mosquitto_pub -> mosquitto_sub`, async () => {
        const topic = `mosq/${version}/${qos}`;
        const common = ['-h', '127.0.0.1', '-p', String(h.port()), '-V', version, '-q', qos];
        const sub = mosquittoSub(h, `msub-${version}-${qos}`, [...common, '-t', topic]);
        await sub.ready;
        const out = await publishUntil(sub.output, () => run('mosquitto_pub', [...common, '-t', topic, '-m', `payload-${qos}`]));
        assert.match(out, new RegExp(`^payload-${qos}$`, 'm'));
      });
    }

    test(`${version}: retained message from mosquitto_pub reaches MQTT.js`, async () => {
      const topic = `mosq/retained/${version}`;
      await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(h.port()), '-V', version, '-q', '1', '-r', '-t', topic, '-m', 'kept']);
      const c = await h.connect({ protocolVersion: version === 'mqttv5' ? 5 : 4 });
      const got = nextMessages(c);
      await c.subscribeAsync(topic, { qos: 1 });
      const [m] = await got;
      assert.equal(m!.payload, 'kept');
      assert.equal(m!.retain, true);
    });
  }
});
