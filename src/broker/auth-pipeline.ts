import type { AuthenticateError, Client, ConnectPacket } from 'aedes';
import { runChain } from './chain-runner.js';
import { ClientState, attachState, connectOf, metaOfConn, rememberConnect } from './client-state.js';
import type { AuthDecision, ClientInfo } from './hooks.js';
import type { PipelineContext } from './pipeline-context.js';
import { takeEnhancedAuthGrant } from './enhanced-auth.js';
import { resolveMountpoint } from './mountpoint.js';

/** MQTT 5 CONNACK reason -> the MQTT 3.1.1 return code aedes takes (it maps back for v5 clients). */
export function connackReturnCode(reasonCode: number | undefined): number {
  switch (reasonCode) {
    case 0x85: // client identifier not valid
      return 2;
    case 0x88: // server unavailable
    case 0x89: // server busy
      return 3;
    case 0x86: // bad user name or password
    case 0x8c: // bad authentication method
      return 4;
    default: // 0x87 not authorized, 0x8a banned, anything else
      return 5;
  }
}

export interface AuthHandlers {
  preConnect(client: Client, packet: ConnectPacket, callback: (error: Error | null, success: boolean) => void): void;
  authenticate(
    client: Client,
    username: Readonly<string | undefined>,
    password: Readonly<Buffer | undefined>,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void;
}

/** aedes preConnect/authenticate: builds ClientInfo and runs the authenticate chain. */
export function createAuthHandlers(ctx: PipelineContext): AuthHandlers {
  return {
    preConnect(client, packet, callback) {
      rememberConnect(client, packet);
      callback(null, true);
    },
    authenticate(client, username, password, done) {
      const packet = connectOf(client);
      rememberConnect(client, undefined);
      const info = buildClientInfo(client, packet, username);
      const finish = (decision: AuthDecision | undefined): void => {
        const mount = decision?.result === 'allow' ? resolveMountpoint(decision.mountpoint, info) : undefined;
        // A mountpoint that would break tenant isolation (e.g. username `+` in `t/%u/`) refuses the client.
        if (mount?.problem !== undefined) decision = { result: 'deny', reasonCode: 0x87, reason: mount.problem };
        const allowed = decision === undefined ? ctx.settings.allow_anonymous : decision.result === 'allow';
        if (allowed) {
          info.superuser = decision?.result === 'allow' && decision.superuser === true;
          if (mount?.mountpoint !== undefined) info.mountpoint = mount.mountpoint;
          attachState(client, new ClientState(info, client));
          // A live session with this id is about to be closed by aedes: say why.
          const previous = ctx.clients.get(info.clientId);
          if (previous !== undefined && previous.client !== client) previous.reason = 'takenover';
          done(null, true);
          return;
        }
        const reasonCode = decision?.result === 'deny' ? decision.reasonCode : undefined;
        const reason = decision?.result === 'deny' ? decision.reason : 'anonymous access not allowed';
        ctx.log.info({ clientId: info.clientId, username: info.username, peer: info.peerHost, reason }, 'connection refused');
        const error = new Error(reason ?? 'not authorized') as AuthenticateError;
        error.returnCode = connackReturnCode(reasonCode) as AuthenticateError['returnCode'];
        done(error, false);
      };
      // MQTT 5 enhanced authentication already decided (enhanced-auth.ts): the chain does not run again.
      const grant = takeEnhancedAuthGrant(client);
      if (grant !== undefined) {
        finish({ result: 'allow', superuser: grant.superuser });
        return;
      }
      runChain<(typeof ctx.hooks.chains.authenticate)[number], AuthDecision>(
        ctx.hooks.chains.authenticate,
        (hook) => hook({ client: info, password: password ?? undefined }),
        (error) => ctx.log.error({ err: error, clientId: info.clientId }, 'authenticate hook failed; counted as ignore'),
        finish,
      );
    },
  };
}

function buildClientInfo(client: Client, packet: ConnectPacket | undefined, username: string | undefined): ClientInfo {
  const meta = metaOfConn(client.conn);
  const internal = client as unknown as { _serverKeepAlive?: number };
  return {
    clientId: client.id,
    username: username ?? undefined,
    peerHost: meta?.peerHost ?? '',
    peerPort: meta?.peerPort ?? 0,
    sockPort: meta?.sockPort ?? 0,
    listener: meta?.listener ?? 'internal',
    protoName: packet?.protocolId ?? 'MQTT',
    protoVer: packet?.protocolVersion ?? client.version,
    keepalive: internal._serverKeepAlive ?? packet?.keepalive ?? 0,
    cleanStart: packet?.clean ?? true,
    expiryInterval: client.sessionExpiryInterval,
    connectedAt: Date.now(),
    superuser: false,
  };
}
