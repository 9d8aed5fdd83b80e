import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { WsListenerConfig, WssListenerConfig } from '../../node/node-config.js';
import { type ConnectionHandler, type RunningListener, type SocketTracker, metaOf } from './listener-types.js';
import { closeServer, keepSocket, listenServer } from './server-lifecycle.js';
import { serverTlsOptions } from './tls-options.js';

const MQTT_SUBPROTOCOLS = ['mqtt', 'mqttv3.1'];

/**
 * ws's stream sends every chunk written to it as its own WebSocket frame, and mqtt-packet writes a
 * packet in several chunks (header, topic, payload...), so one PUBLISH became about five frames and
 * as many socket writes. With `_writev`, the chunks buffered while the stream is corked (a packet,
 * or a whole event-loop turn of packets: write-coalescing.ts) leave as one binary frame. MQTT over
 * WebSocket lets a frame hold several packets or parts of one [MQTT-6.0.0-2].
 */
export function oneFramePerFlush(stream: Duplex): Duplex {
  const writeOne = stream._write.bind(stream);
  stream._writev = (chunks, callback) => {
    const data = chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk as Buffer));
    // 'buffer' is what Writable passes for Buffer chunks; BufferEncoding does not name it.
    writeOne(data, 'buffer' as BufferEncoding, callback);
  };
  return stream;
}

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
    const stream = oneFramePerFlush(createWebSocketStream(ws));
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
