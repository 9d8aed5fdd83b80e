import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { WsListenerConfig, WssListenerConfig } from '../../node/node-config.js';
import { type ConnectionHandler, type RunningListener, type SocketTracker, metaOf } from './listener-types.js';
import { closeServer, keepSocket, listenServer } from './server-lifecycle.js';
import { serverTlsOptions } from './tls-options.js';

const MQTT_SUBPROTOCOLS = ['mqtt', 'mqttv3.1'];

/** MQTT over WebSocket (`ws`) or secure WebSocket (`wss`, when `secure`). */
export async function startWsListener(
  name: string,
  config: WsListenerConfig | WssListenerConfig,
  secure: boolean,
  handle: ConnectionHandler,
  tracker: SocketTracker,
  log: Logger,
): Promise<RunningListener> {
  const sockets = new Set<Socket>();
  const server = secure ? https.createServer(serverTlsOptions(name, config as WssListenerConfig)) : http.createServer();
  server.on('connection', (socket: Socket) => {
    socket.setNoDelay(true);
    keepSocket(sockets, socket);
    tracker.add(socket);
    socket.on('error', () => undefined);
  });
  server.on('clientError', (error, socket) => {
    log.debug({ err: error, listener: name }, 'http client error');
    socket.destroy();
  });
  if (secure) server.on('tlsClientError', (error) => log.debug({ err: error, listener: name }, 'tls handshake failed'));
  server.on('error', (error) => log.error({ err: error, listener: name }, 'listener error'));

  const wss = new WebSocketServer({
    server,
    path: config.path || '/mqtt',
    // Answer with `mqtt` when offered; clients that offer nothing are still accepted.
    handleProtocols: (protocols) => MQTT_SUBPROTOCOLS.find((p) => protocols.has(p)) ?? false,
  });
  wss.on('error', (error) => log.error({ err: error, listener: name }, 'websocket server error'));
  wss.on('connection', (ws, req) => {
    const stream = createWebSocketStream(ws);
    stream.on('error', (error) => log.debug({ err: error, listener: name }, 'websocket stream error'));
    handle(stream, metaOf(name, req.socket), req);
  });

  const port = await listenServer(server, config.bind, config.port);
  log.info({ listener: name, bind: config.bind, port, path: config.path }, `listening (${secure ? 'wss' : 'ws'})`);
  return {
    bound: { name, kind: secure ? 'wss' : 'ws', host: config.bind, port },
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await closeServer(server, sockets);
    },
  };
}
