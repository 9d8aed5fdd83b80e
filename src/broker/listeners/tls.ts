import type { Socket } from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import type { TlsListenerConfig } from '../../node/node-config.js';
import type { PskLookupHook } from '../hooks.js';
import { type ConnectionHandler, type RunningListener, type SocketTracker, metaOf } from './listener-types.js';
import { closeServer, keepSocket, listenServer } from './server-lifecycle.js';
import { type PskKeyLookup, serverTlsOptions } from './tls-options.js';

export async function startTlsListener(
  name: string,
  config: TlsListenerConfig,
  handle: ConnectionHandler,
  tracker: SocketTracker,
  log: Logger,
  /** Keys for TLS-PSK identities; used when the listener config has `psk` on. */
  pskLookup?: PskKeyLookup,
): Promise<RunningListener> {
  const sockets = new Set<Socket>();
  const server = tls.createServer(serverTlsOptions(name, config, pskLookup), (socket) => {
    socket.setNoDelay(true);
    socket.on('error', (error) => log.debug({ err: error, listener: name }, 'socket error'));
    handle(socket, metaOf(name, socket));
  });
  // Track raw TCP sockets: handshakes that never complete must be closed at shutdown too.
  server.on('connection', (socket: Socket) => {
    socket.setNoDelay(true);
    keepSocket(sockets, socket);
    tracker.add(socket);
    socket.on('error', () => undefined);
  });
  server.on('tlsClientError', (error) => log.debug({ err: error, listener: name }, 'tls handshake failed'));
  server.on('error', (error) => log.error({ err: error, listener: name }, 'listener error'));
  const port = await listenServer(server, config.bind, config.port);
  log.info({ listener: name, bind: config.bind, port }, 'listening (tls)');
  return {
    bound: { name, kind: 'tls', host: config.bind, port },
    close: () => closeServer(server, sockets),
  };
}

/** PSK keys from the pskLookup hook chain (module order; first key wins; a throwing hook is skipped). */
export function pskFromHooks(chains: { readonly pskLookup: readonly PskLookupHook[] }, listener: string): PskKeyLookup {
  return (identity) => {
    for (const hook of chains.pskLookup) {
      try {
        const key = hook(identity, listener);
        if (key !== undefined) return key;
      } catch {
        // A broken provider must not fail the handshake of identities another one knows.
      }
    }
    return undefined;
  };
}
