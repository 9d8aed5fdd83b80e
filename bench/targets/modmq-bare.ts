/** Target: the modmq broker layer (hook chains, pipelines, metrics) with no module loaded. */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createBroker } from '../../src/broker/broker.js';
import { DEFAULT_SETTINGS } from '../../src/store/cluster-document.js';
import { serveTarget } from './target-child.js';

await serveTarget(async () => {
  const broker = await createBroker({
    nodeName: 'bench',
    log: pino({ level: 'silent' }),
    metrics: new Registry(),
    settings: structuredClone(DEFAULT_SETTINGS),
  });
  const off = { enable: false, bind: '127.0.0.1', port: 0 };
  const bound = await broker.listen({
    tcp: { enable: true, bind: '127.0.0.1', port: 0 },
    tls: off,
    ws: { ...off, path: '/mqtt' },
    wss: { ...off, path: '/mqtt' },
  });
  const tcp = bound.find((l) => l.kind === 'tcp');
  if (tcp === undefined) throw new Error('no tcp listener bound');
  return { port: tcp.port, close: () => broker.close() };
});
