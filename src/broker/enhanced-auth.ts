import type { Client, ConnectPacket } from 'aedes';
import mqtt from 'mqtt-packet';
import type { Duplex } from 'node:stream';
import { stateOf, metaOfConn } from './client-state.js';
import { extendNextConnack } from './enhanced-auth-connack.js';
import type { ClientInfo, EnhancedAuthSession, EnhancedAuthStep } from './hooks.js';
import type { PipelineContext } from './pipeline-context.js';

/** MQTT 5 reason codes used here. */
export const RC = {
  SUCCESS: 0x00,
  CONTINUE: 0x18,
  REAUTHENTICATE: 0x19,
  PROTOCOL_ERROR: 0x82,
  BAD_CREDENTIALS: 0x86,
  NOT_AUTHORIZED: 0x87,
  BAD_AUTH_METHOD: 0x8c,
} as const;

/** Reason codes a DISCONNECT may carry that fit an authentication failure (0x86 may not: MQTT 5 §3.14.2.1). */
const DISCONNECT_CODES: ReadonlySet<number> = new Set([0x80, 0x82, 0x87, 0x89, 0x8c, 0x8d]);

/** How long one step of a handler may take before the client is refused (never a hung connect). */
export const STEP_TIMEOUT_MS = 10_000;

type Packet = { cmd: string; reasonCode?: number; properties?: Record<string, unknown> };
type Listener = (this: unknown, packet: Packet) => void;
type Parser = { listeners(event: 'packet'): Listener[]; removeListener(event: 'packet', l: Listener): void; on(event: 'packet', l: Listener): void };

const GRANT = Symbol('modmq.enhancedAuthGrant');

/** What a finished CONNECT-time exchange decided; the auth pipeline takes it instead of running its chain. */
export interface EnhancedAuthGrant {
  method: string;
  superuser: boolean;
}

/** Takes (and clears) the grant left on a client by a successful enhanced authentication. */
export function takeEnhancedAuthGrant(client: Client): EnhancedAuthGrant | undefined {
  const tagged = client as unknown as { [GRANT]?: EnhancedAuthGrant };
  const grant = tagged[GRANT];
  if (grant !== undefined) delete tagged[GRANT];
  return grant;
}

/**
 * MQTT 5 enhanced authentication in front of aedes (which refuses a CONNECT with an
 * Authentication Method). Wraps the client's parser listener: a CONNECT without a method goes
 * straight to aedes and the wrapper removes itself (no cost for ordinary clients). With a method,
 * the exchange runs here with AUTH packets; on success aedes gets the CONNECT without the auth
 * properties (and a grant, so the authenticate chain is skipped) and its CONNACK is extended with
 * the method and the handler's final data. The wrapper then stays to serve re-authentication.
 */
export function attachEnhancedAuth(client: Client, ctx: PipelineContext): void {
  const parser = (client as unknown as { _parser?: Parser })._parser;
  const listeners = parser?.listeners('packet');
  if (parser === undefined || listeners === undefined || listeners.length !== 1) {
    ctx.log.warn('aedes parser layout changed: MQTT 5 enhanced authentication is off for this client');
    return;
  }
  const inner = listeners[0]!;
  parser.removeListener('packet', inner);
  const exchange = new Exchange(client, ctx, inner);
  const wrapper: Listener = function enhancedAuthTap(this: unknown, packet: Packet) {
    if (exchange.phase === 'connected' && packet.cmd !== 'auth') {
      inner.call(this, packet);
      return;
    }
    if (exchange.phase === 'initial' && (packet.cmd !== 'connect' || !hasMethod(packet))) {
      // Ordinary client: hand back to aedes for good (it refuses a stray AUTH itself).
      parser.removeListener('packet', wrapper);
      parser.on('packet', inner);
      inner.call(this, packet);
      return;
    }
    exchange.onPacket(this, packet);
  };
  parser.on('packet', wrapper);
}

function hasMethod(packet: Packet): boolean {
  const p = packet as unknown as ConnectPacket;
  return p.protocolVersion === 5 && typeof p.properties?.authenticationMethod === 'string';
}

type Phase = 'initial' | 'authenticating' | 'connected' | 'reauthenticating' | 'closed';

class Exchange {
  phase: Phase = 'initial';
  private method = '';
  private session: EnhancedAuthSession | undefined;
  private connect: ConnectPacket | undefined;
  /** A step is running: the client must wait for our answer before sending another AUTH. */
  private busy = false;
  private readonly conn: Duplex;

  constructor(
    private readonly client: Client,
    private readonly ctx: PipelineContext,
    private readonly inner: Listener,
  ) {
    this.conn = client.conn as unknown as Duplex;
  }

  onPacket(parser: unknown, packet: Packet): void {
    switch (this.phase) {
      case 'initial':
        this.start(parser, packet as unknown as ConnectPacket);
        return;
      case 'authenticating':
        this.duringConnect(parser, packet);
        return;
      case 'connected':
      case 'reauthenticating':
        this.whileConnected(packet);
        return;
      case 'closed':
        return;
    }
  }

  private start(parser: unknown, connect: ConnectPacket): void {
    this.phase = 'authenticating';
    this.connect = connect;
    this.method = connect.properties!.authenticationMethod!;
    const session = this.open(this.connectInfo(connect), false);
    if (session === undefined) {
      this.refuse(RC.BAD_AUTH_METHOD, `authentication method ${this.method} not supported`);
      return;
    }
    this.session = session;
    this.runStep(parser, connect.properties?.authenticationData);
  }

  private duringConnect(parser: unknown, packet: Packet): void {
    if (packet.cmd === 'disconnect') {
      this.close();
      return;
    }
    if (packet.cmd !== 'auth' || this.busy) {
      this.refuse(RC.PROTOCOL_ERROR, `unexpected ${packet.cmd} during enhanced authentication`);
      return;
    }
    if (packet.properties?.authenticationMethod !== this.method) {
      this.refuse(RC.BAD_AUTH_METHOD, 'AUTH with a different authentication method');
      return;
    }
    if ((packet.reasonCode ?? 0) !== RC.CONTINUE) {
      this.refuse(RC.PROTOCOL_ERROR, 'only AUTH 0x18 may continue a CONNECT exchange');
      return;
    }
    this.runStep(parser, packet.properties?.authenticationData as Buffer | undefined);
  }

  private whileConnected(packet: Packet): void {
    const reason = packet.reasonCode ?? 0;
    if (this.busy) {
      this.disconnect(RC.PROTOCOL_ERROR, 'AUTH while the previous step is running');
      return;
    }
    if (packet.properties?.authenticationMethod !== this.method) {
      this.disconnect(RC.BAD_AUTH_METHOD, 'AUTH with a different authentication method');
      return;
    }
    if (this.phase === 'connected') {
      if (reason !== RC.REAUTHENTICATE) {
        this.disconnect(RC.PROTOCOL_ERROR, 'AUTH 0x18 without a re-authentication in progress');
        return;
      }
      const info = stateOf(this.client)?.info;
      const session = info === undefined ? undefined : this.open(info, true);
      if (session === undefined) {
        this.disconnect(RC.BAD_AUTH_METHOD, `authentication method ${this.method} no longer served`);
        return;
      }
      this.session = session;
      this.phase = 'reauthenticating';
    } else if (reason !== RC.CONTINUE) {
      this.disconnect(RC.PROTOCOL_ERROR, 'only AUTH 0x18 may continue a re-authentication');
      return;
    }
    this.runStep(undefined, packet.properties?.authenticationData as Buffer | undefined);
  }

  /** First hook that serves the method; a throwing hook counts as not serving it. */
  private open(client: ClientInfo, reauth: boolean): EnhancedAuthSession | undefined {
    for (const hook of this.ctx.hooks.chains.enhancedAuth) {
      try {
        const session = hook({ method: this.method, client, reauth });
        if (session !== undefined) return session;
      } catch (error) {
        this.ctx.log.error({ err: error, method: this.method }, 'enhancedAuth hook threw; skipped');
      }
    }
    return undefined;
  }

  private runStep(parser: unknown, data: Buffer | undefined): void {
    const session = this.session!;
    this.busy = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<EnhancedAuthStep>((resolve) => {
      timer = setTimeout(() => resolve({ result: 'deny', reasonCode: RC.NOT_AUTHORIZED, reason: 'authentication step timed out' }), STEP_TIMEOUT_MS);
      timer.unref();
    });
    Promise.race([Promise.resolve().then(() => session.step(data)), timeout])
      .catch((error: unknown): EnhancedAuthStep => {
        this.ctx.log.error({ err: error, method: this.method }, 'enhanced authentication step failed');
        return { result: 'deny', reasonCode: RC.NOT_AUTHORIZED, reason: 'authentication failed' };
      })
      .then((step) => {
        clearTimeout(timer);
        this.busy = false;
        if (this.phase === 'closed' || this.conn.destroyed) return;
        this.apply(parser, step);
      });
  }

  private apply(parser: unknown, step: EnhancedAuthStep): void {
    const connecting = this.phase === 'authenticating';
    if (step.result === 'continue') {
      this.send({ cmd: 'auth', reasonCode: RC.CONTINUE, properties: { authenticationMethod: this.method, authenticationData: step.data } });
      return;
    }
    if (step.result === 'deny') {
      const code = step.reasonCode ?? RC.NOT_AUTHORIZED;
      if (connecting) this.refuse(code, step.reason ?? 'not authorized');
      else this.disconnect(code, step.reason ?? 'not authorized');
      return;
    }
    this.session = undefined;
    const authProps: Record<string, unknown> = { authenticationMethod: this.method };
    if (step.data !== undefined) authProps.authenticationData = step.data;
    if (!connecting) {
      this.phase = 'connected';
      const state = stateOf(this.client);
      if (state !== undefined && step.superuser !== undefined) state.info.superuser = step.superuser;
      this.send({ cmd: 'auth', reasonCode: RC.SUCCESS, properties: authProps });
      return;
    }
    const connect = this.connect!;
    this.connect = undefined;
    this.phase = 'connected';
    const props = { ...connect.properties };
    delete props.authenticationMethod;
    delete props.authenticationData;
    connect.properties = props;
    if (connect.username === undefined && step.username !== undefined) connect.username = step.username;
    (this.client as unknown as { [GRANT]?: EnhancedAuthGrant })[GRANT] = { method: this.method, superuser: step.superuser === true };
    extendNextConnack(this.conn, authProps);
    this.inner.call(parser, connect as unknown as Packet);
  }

  /** CONNECT-time refusal: CONNACK with the reason code, then close. */
  private refuse(reasonCode: number, reason: string): void {
    this.ctx.log.info({ clientId: this.connect?.clientId, method: this.method, reasonCode, reason }, 'enhanced authentication refused');
    this.send({ cmd: 'connack', sessionPresent: false, reasonCode, properties: { reasonString: reason } });
    this.close();
  }

  /** After CONNACK: DISCONNECT with the reason code (0x87 if DISCONNECT cannot carry it), then close. */
  private disconnect(code: number, reason: string): void {
    const reasonCode = DISCONNECT_CODES.has(code) ? code : RC.NOT_AUTHORIZED;
    const state = stateOf(this.client);
    this.ctx.log.info({ clientId: state?.info.clientId, method: this.method, reasonCode, reason }, 're-authentication failed; disconnecting');
    if (state !== undefined) state.reason ??= 'not_authorized';
    this.send({ cmd: 'disconnect', reasonCode, properties: { reasonString: reason } });
    this.close();
  }

  private send(packet: Record<string, unknown>): void {
    if (this.conn.destroyed || this.phase === 'closed') return;
    this.conn.write(mqtt.generate(packet as unknown as mqtt.Packet, { protocolVersion: 5 }));
  }

  private close(): void {
    this.phase = 'closed';
    this.session = undefined;
    this.conn.end();
    // A peer that never closes its side must not keep the socket.
    setTimeout(() => this.conn.destroy(), 2_000).unref();
  }

  private connectInfo(connect: ConnectPacket): ClientInfo {
    const meta = metaOfConn(this.conn);
    return {
      clientId: connect.clientId,
      username: connect.username,
      peerHost: meta?.peerHost ?? '',
      peerPort: meta?.peerPort ?? 0,
      sockPort: meta?.sockPort ?? 0,
      listener: meta?.listener ?? 'internal',
      protoName: connect.protocolId ?? 'MQTT',
      protoVer: connect.protocolVersion ?? 5,
      keepalive: connect.keepalive ?? 0,
      cleanStart: connect.clean ?? true,
      expiryInterval: connect.properties?.sessionExpiryInterval ?? 0,
      connectedAt: Date.now(),
      superuser: false,
    };
  }
}
