/**
 * A small HTTP(S) client with a keep-alive pool (node:http agents: `pool_size` sockets per
 * origin), a connect timeout, TLS options for https, an abort signal for the request timeout and a
 * capped response body. No retries: 4.3+ had none, and a connect must never wait long.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { isAbsolute, resolve } from 'node:path';
import type { HttpTlsConfig } from './config.js';
import type { HttpAnswer } from './decisions.js';
import type { BuiltRequest } from './request-builder.js';

const MAX_BODY_BYTES = 64 * 1024;

export interface HttpClientOptions {
  connectTimeoutMs: number;
  poolSize: number;
  tls: HttpTlsConfig;
  /** Relative certificate paths are resolved against it (the node's data dir). */
  baseDir: string;
}

export class HttpClient {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private inFlight = 0;
  private closing: (() => void) | undefined;

  /** Reads the TLS files: throws when one is missing, so a bad config fails create/update. */
  constructor(private readonly options: HttpClientOptions) {
    const agentOptions = { keepAlive: true, maxSockets: options.poolSize, maxFreeSockets: options.poolSize };
    this.httpAgent = new http.Agent(agentOptions);
    const tls = options.tls;
    const file = (path: string | undefined): Buffer | undefined =>
      path === undefined ? undefined : readFileSync(isAbsolute(path) ? path : resolve(options.baseDir, path));
    const sni = tls.server_name_indication;
    this.httpsAgent = new https.Agent({
      ...agentOptions,
      ...(tls.cafile !== undefined ? { ca: file(tls.cafile) } : {}),
      ...(tls.certfile !== undefined ? { cert: file(tls.certfile) } : {}),
      ...(tls.keyfile !== undefined ? { key: file(tls.keyfile) } : {}),
      rejectUnauthorized: tls.verify,
      ...(sni === 'disable' ? { checkServerIdentity: () => undefined } : sni !== undefined ? { servername: sni } : {}),
    });
  }

  send(request: BuiltRequest, signal: AbortSignal): Promise<HttpAnswer> {
    const secure = request.url.protocol === 'https:';
    const sni = this.options.tls.server_name_indication;
    return new Promise<HttpAnswer>((resolvePromise, reject) => {
      this.inFlight++;
      let connectTimer: NodeJS.Timeout | undefined;
      let finished = false;
      const finish = (error: Error | undefined, answer?: HttpAnswer): void => {
        if (finished) return;
        finished = true;
        if (connectTimer) clearTimeout(connectTimer);
        if (--this.inFlight === 0) this.closing?.();
        if (error) reject(error);
        else resolvePromise(answer!);
      };
      const headers: Record<string, string | number> = { ...request.headers };
      if (request.body !== undefined) headers['content-length'] = Buffer.byteLength(request.body);
      const req = (secure ? https : http).request(
        request.url,
        {
          method: request.method,
          headers,
          agent: secure ? this.httpsAgent : this.httpAgent,
          signal,
          ...(secure && sni !== undefined && sni !== 'disable' ? { servername: sni } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size <= MAX_BODY_BYTES) chunks.push(chunk);
          });
          res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (error) => finish(error));
        },
      );
      req.on('error', (error) => finish(error));
      req.on('socket', (socket) => {
        // A reused keep-alive socket is already connected; only a new one gets the connect timer.
        if (!socket.connecting) return;
        connectTimer = setTimeout(() => req.destroy(new Error(`connect timeout after ${this.options.connectTimeoutMs} ms`)), this.options.connectTimeoutMs);
        socket.once(secure ? 'secureConnect' : 'connect', () => {
          if (connectTimer) clearTimeout(connectTimer);
          connectTimer = undefined;
        });
      });
      req.end(request.body);
    });
  }

  /** Closes the pool: at once, or (`drain`) after the requests in flight have finished. */
  close(drain = false): Promise<void> {
    const destroy = (): void => {
      this.httpAgent.destroy();
      this.httpsAgent.destroy();
    };
    if (!drain || this.inFlight === 0) {
      destroy();
      return Promise.resolve();
    }
    return new Promise((done) => {
      this.closing = () => {
        destroy();
        done();
      };
    });
  }
}
