import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { moduleContext } from '../helpers/module-context.js';
import { createFakeBroker } from '../helpers/fake-broker.js';
import type { ModuleContext } from '../../src/modules/runtime/module-type.js';
import { prometheus, type PrometheusConfig } from '../../src/modules/prometheus/index.js';
import { expandJobName, pushEndpoint } from '../../src/modules/prometheus/job-name.js';

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A fake Pushgateway on port 0 that answers `status` and resolves waiters per request. */
async function gateway(): Promise<{
  server: Server;
  url: string;
  requests: Recorded[];
  status: number;
  next(): Promise<Recorded>;
  close(): Promise<void>;
}> {
  const requests: Recorded[] = [];
  let waiters: Array<(r: Recorded) => void> = [];
  const gw = {
    server: createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        const rec = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
        requests.push(rec);
        res.statusCode = gw.status;
        res.end();
        const w = waiters;
        waiters = [];
        for (const resolve of w) resolve(rec);
      });
    }),
    url: '',
    requests,
    status: 200,
    next: () => new Promise<Recorded>((resolve) => waiters.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        gw.server.closeAllConnections();
        gw.server.close(() => resolve());
      }),
  };
  await new Promise<void>((resolve) => gw.server.listen(0, '127.0.0.1', resolve));
  gw.url = `http://127.0.0.1:${(gw.server.address() as AddressInfo).port}`;
  return gw;
}

function context(metrics: Registry, nodeName = 'modmq@host-a'): ModuleContext {
  return moduleContext(createFakeBroker(nodeName), 'prometheus', metrics);
}

function config(url: string, extra: Partial<PrometheusConfig['push_gateway']> = {}): PrometheusConfig {
  return {
    push_gateway: {
      enable: true,
      url,
      interval: '20ms',
      job_name: '${name}/instance/${name}~${host}',
      headers: {},
      ...extra,
    },
  };
}

function registryWithCounter(): Registry {
  const registry = new Registry();
  const c = new Counter({ name: 'modmq_test_total', help: 'test counter', registers: [registry] });
  c.inc(3);
  return registry;
}

test('job name template: ${name} and ${host} from the node name', () => {
  assert.equal(expandJobName('${name}/instance/${name}~${host}', 'emqx@10.0.0.1'), 'emqx/instance/emqx~10.0.0.1');
  assert.equal(expandJobName('${name}/instance/${name}~${host}', 'node1', 'box'), 'node1/instance/node1~box');
  assert.equal(expandJobName('fixed-${other}', 'a@b'), 'fixed-${other}');
  assert.equal(pushEndpoint('http://gw:9091/', 'a b/instance/x~y'), 'http://gw:9091/metrics/job/a%20b/instance/x~y');
});

test('pushes the registry text with PUT to <url>/metrics/job/<job> with the configured headers', async () => {
  const gw = await gateway();
  const instance = await prometheus.create(context(registryWithCounter()), config(gw.url, { headers: { authorization: 'Bearer s3cret' } }));
  try {
    const req = await gw.next();
    assert.equal(req.method, 'PUT');
    assert.equal(req.url, '/metrics/job/modmq/instance/modmq~host-a');
    assert.equal(req.headers.authorization, 'Bearer s3cret');
    assert.match(String(req.headers['content-type']), /^text\/plain/);
    assert.match(req.body, /^modmq_test_total 3$/m);
    // One more push after that: it keeps going at the interval.
    await gw.next();
    assert.deepEqual(instance.status(), { state: 'running' });
  } finally {
    await instance.stop();
    await gw.close();
  }
});

test('degraded with a reason while pushes fail, running again when one succeeds', async () => {
  const gw = await gateway();
  gw.status = 500;
  const instance = await prometheus.create(context(registryWithCounter()), config(gw.url));
  try {
    await gw.next();
    await gw.next(); // the previous push has finished by the time the next one arrives
    const health = instance.status();
    assert.equal(health.state, 'degraded');
    assert.match((health as { reason: string }).reason, /HTTP 500/);
    gw.status = 202;
    await gw.next();
    await gw.next();
    assert.deepEqual(instance.status(), { state: 'running' });
  } finally {
    await instance.stop();
    await gw.close();
  }
});

test('an unreachable gateway degrades the module without throwing', async () => {
  const gw = await gateway();
  const url = gw.url;
  await gw.close(); // nothing listens there any more
  const instance = await prometheus.create(context(registryWithCounter()), config(url));
  try {
    await new Promise<void>((resolve) => {
      const poll = (): void => {
        if (instance.status().state === 'degraded') resolve();
        else setTimeout(poll, 10);
      };
      poll();
    });
    assert.match((instance.status() as { reason: string }).reason, /^push to http:\/\/127\.0\.0\.1:\d+\/metrics\/job\/.* failed: /);
  } finally {
    await instance.stop();
  }
});

test('hot update restarts the timer towards the new target; stop ends pushing', async () => {
  const a = await gateway();
  const b = await gateway();
  const instance = await prometheus.create(context(registryWithCounter()), config(a.url));
  try {
    await a.next();
    await instance.update!(config(b.url, { job_name: 'custom' }));
    const countA = a.requests.length;
    const req = await b.next();
    assert.equal(req.url, '/metrics/job/custom');
    await b.next();
    assert.equal(a.requests.length, countA, 'the old target gets nothing after the update');
  } finally {
    await instance.stop();
    await a.close();
    await b.close();
  }
});

test('an update with a bad interval rejects and keeps pushing with the old config', async () => {
  const gw = await gateway();
  const instance = await prometheus.create(context(registryWithCounter()), config(gw.url));
  try {
    await assert.rejects(instance.update!(config(gw.url, { interval: '0ms' })));
    await gw.next();
    await gw.next();
  } finally {
    await instance.stop();
    await gw.close();
  }
});

test('disabled push: the instance runs and holds nothing', async () => {
  const instance = await prometheus.create(context(new Registry()), config('http://127.0.0.1:1', { enable: false }));
  assert.deepEqual(instance.status(), { state: 'running' });
  await instance.stop();
});

test('check(): interval and url', () => {
  assert.deepEqual(prometheus.check!(config('http://127.0.0.1:9091')), []);
  const problems = prometheus.check!(config('ftp://x', { interval: '0s' }));
  assert.deepEqual(problems.map((p) => [p.pointer, p.keyword]), [
    ['/push_gateway/interval', 'minimum'],
    ['/push_gateway/url', 'format'],
  ]);
});
