import net from 'node:net';
import type { Logger } from 'pino';
import type { TcpListenerConfig } from '../../node/node-config.js';
import { type ConnectionHandler, type RunningListener, type SocketTracker, metaOf } from './listener-types.js';
import { closeServer, keepSocket, listenServer } from './server-lifecycle.js';

export async function startTcpListener(
  name: string,
  config: TcpListenerConfig,
  handle: ConnectionHandler,
  tracker: SocketTracker,
  log: Logger,
): Promise<RunningListener> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    // Nagle adds ~8 ms to low-rate messages.
    socket.setNoDelay(true);
    keepSocket(sockets, socket);
    tracker.add(socket);
    socket.on('error', (error) => log.debug({ err: error, listener: name }, 'socket error'));
    handle(socket, metaOf(name, socket));
  });
  server.on('error', (error) => log.error({ err: error, listener: name }, 'listener error'));
  const port = await listenServer(server, config.bind, config.port);
  log.info({ listener: name, bind: config.bind, port }, 'listening (tcp)');
  return {
    bound: { name, kind: 'tcp', host: config.bind, port },
    close: () => closeServer(server, sockets),
  };
}
