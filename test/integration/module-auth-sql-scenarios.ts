/**
 * The integration scenarios auth-mysql and auth-postgresql share: a real broker with the module,
 * MQTT.js clients, a real database server (started once per test file by the caller). Only
 * portable SQL is used in the module's queries; the dialect lives in `spec.setup`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IClientOptions } from 'mqtt';
import type { ClusterSettings } from '../../src/store/cluster-document.js';
import { hashPassword } from '../../src/modules/auth-common/index.js';
import type { SqlAuthConfig } from '../../src/modules/auth-sql/sql-config.js';
import type { ModuleInstance, ModuleType } from '../../src/modules/runtime/module-type.js';
import { freePort } from '../helpers/free-port.js';
import { moduleContext } from '../helpers/module-context.js';
import { connectError, type Harness, nextMessages, startHarness, subscribeGranted, waitFor } from '../helpers/mqtt-harness.js';

export interface SqlTestServer {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  pause(): void;
  resume(): void;
  halt(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface UserRow {
  username: string;
  password: string;
  salt: string | null;
  is_superuser: boolean;
}
export type AclRowInput = [allow: 0 | 1, ipaddr: string | null, username: string | null, clientid: string | null, access: 1 | 2 | 3, topic: string];

export interface SqlScenarioSpec<S extends SqlTestServer> {
  name: string;
  type: ModuleType<SqlAuthConfig>;
  start(): Promise<S>;
  /** Creates mqtt_user(username, password, salt, is_superuser), mqtt_user2 (same) and mqtt_acl(id, allow, ipaddr, username, clientid, access, topic) with rows. */
  setup(server: S, data: { users: UserRow[]; users2: UserRow[]; acl: AclRowInput[] }): Promise<void>;
}

const SALTED = { name: 'sha256', salt_position: 'suffix' } as const;
const AUTH_QUERY = "select password, salt from mqtt_user where username = '%u' limit 1";
const SUPER_QUERY = "select is_superuser from mqtt_user where username = '%u' limit 1";
const ACL_QUERY =
  "select allow, ipaddr, username, clientid, access, topic from mqtt_acl where ipaddr = '%a' or username = '%u' or username = '$all' or clientid = '%c' order by id";

export function runSqlAuthScenarios<S extends SqlTestServer>(spec: SqlScenarioSpec<S>): void {
  let db: S;
  let h: Harness | undefined;
  let instance: ModuleInstance<SqlAuthConfig> | undefined;

  const config = (overrides: Partial<SqlAuthConfig> = {}): SqlAuthConfig => ({
    server: `${db.host}:${db.port}`,
    database: db.database,
    username: db.user,
    password: db.password,
    pool_size: 2,
    query_timeout: '2s',
    ssl: {},
    password_hash: SALTED,
    auth_query: AUTH_QUERY,
    super_query: SUPER_QUERY,
    acl_query: ACL_QUERY,
    on_backend_error: 'ignore',
    ...overrides,
  });

  /** A broker with the module as its only auth module. */
  const withBroker = async (settings: Partial<ClusterSettings>, cfg: SqlAuthConfig): Promise<Harness> => {
    h = await startHarness({ settings });
    instance = await spec.type.create(moduleContext(h.broker, spec.name), cfg);
    return h;
  };
  const cleanup = async (): Promise<void> => {
    await instance?.stop();
    instance = undefined;
    await h?.close();
    h = undefined;
  };
  const login = (username: string, password: string, extra: IClientOptions = {}): IClientOptions => ({
    clientId: `${username}-${Math.random().toString(16).slice(2, 8)}`,
    username,
    password,
    protocolVersion: 5,
    ...extra,
  });

  describe(`${spec.name} over MQTT with a real server`, () => {
    before(async () => {
      db = await spec.start();
      const user = async (username: string, password: string, is_superuser = false, salt: string | null = `salt-${username}`): Promise<UserRow> => ({
        username,
        password: await hashPassword(SALTED, password, salt ?? undefined),
        salt,
        is_superuser,
      });
      await spec.setup(db, {
        users: [await user('alice', 'alice-pw'), await user('root', 'root-pw', true), await user('carol', 'carol-pw')],
        users2: [{ username: 'alice', password: 'alice-new', salt: null, is_superuser: false }],
        acl: [
          [1, null, 'alice', null, 1, 'alice/in/#'],
          [1, null, 'alice', null, 2, 'alice/out/#'],
          [1, null, '$all', null, 1, 'news/%u'],
          [0, null, '$all', null, 3, 'secret/#'],
        ],
      });
    });
    after(async () => {
      await cleanup();
      await db?.stop();
    });

    it('right password: connects (MQTT 5 and 3.1.1)', async (t) => {
      t.after(cleanup);
      const b = await withBroker({ allow_anonymous: false }, config());
      const v5 = await b.connect(login('alice', 'alice-pw'));
      assert.ok(v5.connected);
      const v3 = await b.connect(login('alice', 'alice-pw', { protocolVersion: 4 }));
      assert.ok(v3.connected);
      assert.deepEqual(instance!.status(), { state: 'running' });
    });

    it('wrong password: refused with bad credentials (0x86 / 4)', async (t) => {
      t.after(cleanup);
      const b = await withBroker({ allow_anonymous: true }, config());
      assert.equal((await connectError(b.port(), login('alice', 'wrong'))).code, 0x86);
      assert.equal((await connectError(b.port(), login('alice', 'wrong', { protocolVersion: 4 }))).code, 4);
    });

    it('unknown user: ignored, so allow_anonymous decides', async (t) => {
      t.after(cleanup);
      const b = await withBroker({ allow_anonymous: false }, config());
      assert.equal((await connectError(b.port(), login('nobody', 'x'))).code, 0x87, 'not authorized, not bad credentials');
      b.broker.setSettings({ allow_anonymous: true, acl_nomatch: 'allow', acl_deny_action: 'ignore', acl_cache: { enable: true, max_size: 32, ttl: '1m' } });
      assert.ok((await b.connect(login('nobody', 'x'))).connected);
    });

    it('ACL rows: subscribe and publish allowed or denied as 4.x; superuser bypasses ACL', async (t) => {
      t.after(cleanup);
      const b = await withBroker({ allow_anonymous: false, acl_nomatch: 'deny' }, config());
      const alice = await b.connect(login('alice', 'alice-pw'));
      const root = await b.connect(login('root', 'root-pw'));
      assert.deepEqual(await subscribeGranted(alice, { 'alice/in/#': { qos: 1 }, 'news/alice': { qos: 1 }, 'news/bob': { qos: 1 }, 'secret/#': { qos: 1 } }), {
        'alice/in/#': 1,
        'news/alice': 1,
        'news/bob': 0x87,
        'secret/#': 0x87,
      });
      // Superuser: every topic, even the denied ones.
      assert.deepEqual(await subscribeGranted(root, { 'secret/#': { qos: 1 }, 'alice/out/#': { qos: 1 } }), { 'secret/#': 1, 'alice/out/#': 1 });
      const atRoot = nextMessages(root, 2);
      await alice.publishAsync('secret/x', 'denied', { qos: 1 }).catch(() => undefined); // not routed
      await alice.publishAsync('alice/out/1', 'allowed', { qos: 1 });
      await root.publishAsync('secret/y', 'super', { qos: 1 });
      const got = (await atRoot).map((m) => `${m.topic}=${m.payload}`).sort();
      assert.deepEqual(got, ['alice/out/1=allowed', 'secret/y=super']);
      const atAlice = nextMessages(alice, 1);
      await root.publishAsync('alice/in/z', 'to-alice', { qos: 1 });
      assert.equal((await atAlice)[0]!.payload, 'to-alice');
    });

    it('live change: a new auth query and ACL query apply to the next connect / subscribe', async (t) => {
      t.after(cleanup);
      const b = await withBroker({ allow_anonymous: false, acl_nomatch: 'deny' }, config());
      const before = await b.connect(login('alice', 'alice-pw'));
      assert.equal((await subscribeGranted(before, { 'other/x': { qos: 0 } }))['other/x'], 0x87);
      await instance!.update!(config({
        auth_query: "select password from mqtt_user2 where username = '%u' limit 1",
        password_hash: { name: 'plain' },
        acl_query: "select 1 as allow, null as ipaddr, '$all' as username, null as clientid, 3 as access, 'other/#' as topic",
      }));
      assert.equal((await connectError(b.port(), login('alice', 'alice-pw'))).code, 0x86, 'the old password no longer works');
      const after = await b.connect(login('alice', 'alice-new'));
      assert.ok(after.connected);
      // The ACL cache of the already connected client was flushed by the update.
      assert.equal((await subscribeGranted(before, { 'other/x': { qos: 0 } }))['other/x'], 0);
      assert.equal((await subscribeGranted(after, { 'other/y': { qos: 0 } }))['other/y'], 0);
    });

    it('server changed via update: from a dead address (degraded, on_backend_error deny) to the real one', async (t) => {
      t.after(cleanup);
      const dead = await freePort();
      const b = await withBroker({ allow_anonymous: true }, config({ server: `127.0.0.1:${dead}`, on_backend_error: 'deny' }));
      assert.equal((await connectError(b.port(), login('alice', 'alice-pw'))).code, 0x88, 'server unavailable');
      const status = instance!.status();
      assert.equal(status.state, 'degraded');
      assert.match(status.state === 'degraded' ? status.reason : '', new RegExp(String(dead)));
      await instance!.update!(config({ on_backend_error: 'deny' }));
      assert.ok((await b.connect(login('alice', 'alice-pw'))).connected);
      assert.equal(instance!.status().state, 'running');
    });

    it('TLS wired: ssl.enable against this plain server makes the driver ask for TLS, which fails (degraded)', async (t) => {
      t.after(cleanup);
      const b = await withBroker({ allow_anonymous: false }, config({ ssl: { enable: true }, on_backend_error: 'deny' }));
      assert.equal((await connectError(b.port(), login('alice', 'alice-pw'))).code, 0x88);
      const status = instance!.status();
      assert.equal(status.state, 'degraded');
      assert.match(status.state === 'degraded' ? status.reason : '', /ssl|secure|tls/i);
    });

    it('hung backend (server frozen): CONNECT answered at the query timeout, degraded, recovers', async (t) => {
      t.after(async () => {
        db.resume();
        await cleanup();
      });
      const b = await withBroker({ allow_anonymous: false }, config({ query_timeout: '300ms', pool_size: 1 }));
      assert.ok((await b.connect(login('alice', 'alice-pw'))).connected); // the pool holds a connection
      db.pause();
      // on_backend_error ignore -> allow_anonymous false decides: refused, not hung.
      assert.equal((await connectError(b.port(), login('alice', 'alice-pw'))).code, 0x87);
      assert.equal((await connectError(b.port(), login('carol', 'carol-pw'))).code, 0x87, 'a second connect is not stuck behind the first');
      const status = instance!.status();
      assert.equal(status.state, 'degraded');
      assert.match(status.state === 'degraded' ? status.reason : '', /timed out/);
      db.resume();
      // The frozen pooled connection was dropped; the next connect opens a fresh one.
      assert.ok((await b.connect(login('alice', 'alice-pw'))).connected);
      assert.equal(instance!.status().state, 'running');
    });

    it('backend down (server stopped mid-test): degraded and on_backend_error answers; back when the server is', async (t) => {
      t.after(async () => {
        await db.start();
        await cleanup();
      });
      const b = await withBroker({ allow_anonymous: false }, config({ on_backend_error: 'deny' }));
      assert.ok((await b.connect(login('alice', 'alice-pw'))).connected);
      await db.halt();
      assert.equal((await connectError(b.port(), login('alice', 'alice-pw'))).code, 0x88);
      assert.equal(instance!.status().state, 'degraded');
      await instance!.update!(config({ on_backend_error: 'ignore' }));
      assert.equal((await connectError(b.port(), login('alice', 'alice-pw'))).code, 0x87, 'ignore: allow_anonymous false decides');
      await db.start();
      await waitFor(() => true);
      assert.ok((await b.connect(login('alice', 'alice-pw'))).connected);
      assert.equal(instance!.status().state, 'running');
    });
  });
}
