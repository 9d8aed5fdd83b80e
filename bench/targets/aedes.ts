/** Target: bare aedes 2.0.0-beta.1 on a net server, nothing else (the baseline). */
import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { serveTarget } from './target-child.js';

await serveTarget(async () => {
  const aedes = await Aedes.createBroker();
  const server = createServer((socket) => {
    // modmq's listeners set TCP_NODELAY too; without it the comparison would measure Nagle.
    socket.setNoDelay(true);
    aedes.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
});
