/**
 * A throw-away OpenLDAP slapd for tests: Debian binary, a slapd.conf in a temp dir, the mdb
 * backend, loopback on a free port. The directory holds the suffix entry and `ou=device` below it;
 * the EMQX-style `mqttUser` auxiliary object class (ACL topic attributes, isSuperuser) is loaded
 * next to core/cosine/inetorgperson/nis.
 *
 *   const ldap = await startSlapd();
 *   try { await ldap.add([{ dn: `uid=u1,${ldap.deviceDn}`, attributes: {...} }]) } finally { await ldap.stop(); }
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change, Client } from 'ldapts';
import { freePort } from '../free-port.js';
import { killProcess } from './process.js';

// SIGTERM lets mdb close cleanly so a restart reopens the same database.
const kill = (proc: ChildProcess): Promise<void> => killProcess(proc, 'SIGTERM');

export interface LdapEntry {
  dn: string;
  attributes: Record<string, string | string[]>;
}

export interface SlapdServer {
  readonly host: string;
  readonly port: number;
  /** `ldap://127.0.0.1:<port>` */
  readonly url: string;
  /** `dc=modmq,dc=test` */
  readonly suffix: string;
  /** `ou=device,dc=modmq,dc=test` */
  readonly deviceDn: string;
  readonly rootDn: string;
  readonly rootPassword: string;
  /** Adds entries as the root DN. */
  add(entries: LdapEntry[]): Promise<void>;
  /** Replaces attribute values of an entry as the root DN. */
  replace(dn: string, attributes: Record<string, string | string[]>): Promise<void>;
  /** Kills slapd, keeping its database (idempotent). */
  halt(): Promise<void>;
  /** Starts slapd again on the same port and database. */
  restart(): Promise<void>;
  /** Kills slapd and removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

const SLAPD = '/usr/sbin/slapd';
const HOST = '127.0.0.1';
const SUFFIX = 'dc=modmq,dc=test';
const ROOT_DN = `cn=admin,${SUFFIX}`;
const ROOT_PW = 'admin-secret';
const START_ATTEMPTS = 5;

/**
 * The mqttUser object class as EMQX 4.x deployments define it (attribute names are what
 * emqx_auth_ldap reads); OIDs are under the documentation arc, not EMQX's.
 */
const MQTT_SCHEMA = `
attributetype ( 1.3.6.1.4.1.32473.1.1.1 NAME 'isSuperuser'
  EQUALITY booleanMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.7 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.32473.1.1.2 NAME ( 'mqttPublishTopic' 'mpt' )
  EQUALITY caseExactMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
attributetype ( 1.3.6.1.4.1.32473.1.1.3 NAME ( 'mqttSubscriptionTopic' 'mst' )
  EQUALITY caseExactMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
attributetype ( 1.3.6.1.4.1.32473.1.1.4 NAME ( 'mqttPubSubTopic' 'mpst' )
  EQUALITY caseExactMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
objectclass ( 1.3.6.1.4.1.32473.1.2.1 NAME 'mqttUser'
  SUP top AUXILIARY
  MAY ( isSuperuser $ mqttPublishTopic $ mqttSubscriptionTopic $ mqttPubSubTopic ) )
`;

function slapdConf(dir: string): string {
  return [
    'include /etc/ldap/schema/core.schema',
    'include /etc/ldap/schema/cosine.schema',
    'include /etc/ldap/schema/inetorgperson.schema',
    'include /etc/ldap/schema/nis.schema',
    `include ${join(dir, 'mqtt.schema')}`,
    `pidfile ${join(dir, 'slapd.pid')}`,
    `argsfile ${join(dir, 'slapd.args')}`,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    'database mdb',
    'maxsize 16777216',
    `suffix "${SUFFIX}"`,
    `rootdn "${ROOT_DN}"`,
    `rootpw ${ROOT_PW}`,
    `directory ${join(dir, 'db')}`,
    'index objectClass eq',
    'index uid eq',
    '',
  ].join('\n');
}

export async function startSlapd(): Promise<SlapdServer> {
  const dir = await mkdtemp(join(tmpdir(), 'modmq-slapd-'));
  const confPath = join(dir, 'slapd.conf');
  let child: ChildProcess | undefined;
  let port = 0;

  const launch = async (wanted?: number): Promise<void> => {
    let lastError: unknown;
    for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      const p = wanted ?? (await freePort(HOST));
      // -d 0: stay in the foreground (we own the process) without debug output.
      const proc = spawn(SLAPD, ['-h', `ldap://${HOST}:${p}/`, '-f', confPath, '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
      try {
        await waitListening(proc, p);
        child = proc;
        port = p;
        return;
      } catch (error) {
        lastError = error;
        await kill(proc);
        if (wanted !== undefined && attempt >= 2) break;
      }
    }
    throw new Error(`slapd did not start: ${(lastError as Error)?.message ?? lastError}`);
  };

  const asRoot = async <T>(body: (client: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ url: `ldap://${HOST}:${port}`, timeout: 10_000, connectTimeout: 10_000 });
    try {
      await client.bind(ROOT_DN, ROOT_PW);
      return await body(client);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  };

  try {
    await mkdir(join(dir, 'db'));
    await writeFile(join(dir, 'mqtt.schema'), MQTT_SCHEMA);
    await writeFile(confPath, slapdConf(dir));
    await launch();
    await asRoot(async (c) => {
      await c.add(SUFFIX, { objectClass: ['dcObject', 'organization'], dc: 'modmq', o: 'modmq test' });
      await c.add(`ou=device,${SUFFIX}`, { objectClass: ['organizationalUnit'], ou: 'device' });
    });
  } catch (error) {
    if (child) await kill(child);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  let stopped = false;
  const server: SlapdServer = {
    host: HOST,
    get port() {
      return port;
    },
    get url() {
      return `ldap://${HOST}:${port}`;
    },
    suffix: SUFFIX,
    deviceDn: `ou=device,${SUFFIX}`,
    rootDn: ROOT_DN,
    rootPassword: ROOT_PW,
    async add(entries) {
      await asRoot(async (c) => {
        for (const e of entries) await c.add(e.dn, e.attributes);
      });
    },
    async replace(dn, attributes) {
      await asRoot((c) =>
        c.modify(
          dn,
          Object.entries(attributes).map(
            ([type, v]) => new Change({ operation: 'replace', modification: new Attribute({ type, values: Array.isArray(v) ? v : [v] }) }),
          ),
        ),
      );
    },
    async halt() {
      const c = child;
      child = undefined;
      if (c) await kill(c);
    },
    async restart() {
      if (stopped) throw new Error('slapd stopped');
      await server.halt();
      await launch(port);
    },
    async stop() {
      stopped = true;
      await server.halt();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/** Resolves once the port accepts connections; rejects when slapd exits first. */
function waitListening(proc: ChildProcess, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const onExit = (code: number | null): void => finish(new Error(`exited with ${code}: ${stderr.trim().slice(-500)}`));
    const finish = (error?: Error): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      proc.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    };
    proc.once('exit', onExit);
    proc.once('error', (e) => finish(e));
    let tries = 0;
    const probe = (): void => {
      if (done) return;
      if (++tries > 500) return finish(new Error(`no answer on port ${port}`));
      const socket = net.connect(port, HOST);
      socket.on('connect', () => {
        socket.destroy();
        finish();
      });
      socket.on('error', () => {
        socket.destroy();
        timer = setTimeout(probe, 10);
      });
    };
    probe();
  });
}

