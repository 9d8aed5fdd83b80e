/**
 * A fake broker for unit tests: the broker's real hook registry (ordered chains, scopes) and a
 * {@link BrokerApi} that records what modules publish and subscribe instead of routing.
 * Chains run in module order (setOrder), then registration order; unknown ids run last.
 */
import type { BrokerApi, InternalMessage, SubscriptionRequest } from '../../src/broker/broker-api.js';
import type {
  AclAction,
  AclDecision,
  AuthDecision,
  ClientInfo,
  ConnectRequest,
  HookRegistry,
  MessagePublishResult,
  PublishedMessage,
  RetainedStore,
} from '../../src/broker/hooks.js';
import { BrokerHookRegistry, type HookKind } from '../../src/broker/hook-registry.js';
import { DEFAULT_SETTINGS, type ClusterSettings } from '../../src/store/cluster-document.js';

export interface FakeBroker {
  /** api.publish appends to `published`; subscribeClient appends to `subscribed` and resolves with each request's qos. */
  api: BrokerApi;
  hooks: HookRegistry;
  published: InternalMessage[];
  subscribed: Array<{ clientId: string; subscriptions: SubscriptionRequest[] }>;
  /** Fills defaults, adds to clients(), runs clientConnected hooks in order. */
  connect(client: Partial<ClientInfo> & { clientId: string }): ClientInfo;
  /** Runs clientDisconnected hooks, removes the client. */
  disconnect(clientId: string, reason?: string): void;
  /** Chain: first allow/deny wins, else {result:'ignore'}. */
  authenticate(request: ConnectRequest): Promise<AuthDecision>;
  authorize(client: ClientInfo, action: AclAction, topic: string): Promise<AclDecision>;
  /** Each hook gets the previous hook's output. */
  rewrite(client: ClientInfo | null, action: AclAction, topic: string): string;
  /**
   * Runs the messagePublish chain in order; the first stop wins (later hooks do not run). Any stop,
   * plain or with a reason code, reads 'stop' here: see messagePublishResult for the code.
   */
  messagePublish(client: ClientInfo | null, message: PublishedMessage): 'continue' | 'stop';
  /**
   * Same chain, but returns the first stop as the hook answered it ('stop' or `{ stop, reasonCode, reason }`).
   * Both throw when a hook answers a Promise: use messagePublishSettled then.
   */
  messagePublishResult(client: ClientInfo | null, message: PublishedMessage): MessagePublishResult;
  /** Same chain, awaiting hooks that answer a Promise (as the broker does before the ack). */
  messagePublishSettled(client: ClientInfo | null, message: PublishedMessage): Promise<MessagePublishResult>;
  /** The retained store the broker would use (first in module order), if any. */
  retainedStore(): RetainedStore | undefined;
  /** Total registered hooks (to assert cleanup). */
  hookCount(): number;
  /** How many times a module asked the broker to forget cached ACL decisions. */
  aclFlushes: number;
  /** Last value given to setSettings. */
  settings: ClusterSettings;
  setSettings(s: ClusterSettings): void;
}

/**
 * The broker's own registry (same ordering, scopes and checks), plus what runtime tests inspect:
 * every setOrder call and a chain by kind.
 */
export class FakeHookRegistry extends BrokerHookRegistry {
  /** Every setOrder call, for assertions. */
  readonly orderCalls: string[][] = [];

  override setOrder(moduleIds: readonly string[]): void {
    super.setOrder(moduleIds);
    this.orderCalls.push([...moduleIds]);
  }

  /** The chain of one kind, in module order then registration order. */
  chain<K extends HookKind>(kind: K): BrokerHookRegistry['chains'][K] {
    return this.chains[kind];
  }
}

export function createFakeBroker(nodeName = 'test@127.0.0.1'): FakeBroker {
  const registry = new FakeHookRegistry();
  const clients = new Map<string, ClientInfo>();
  const published: InternalMessage[] = [];
  const subscribed: FakeBroker['subscribed'] = [];

  const api: BrokerApi = {
    nodeName,
    async publish(message) {
      published.push(message);
    },
    async subscribeClient(clientId, subscriptions) {
      subscribed.push({ clientId, subscriptions });
      return subscriptions.map((s) => s.qos);
    },
    clients: () => [...clients.values()],
    client: (clientId) => clients.get(clientId),
    flushAclCache: () => {
      fake.aclFlushes++;
    },
  };

  const fake: FakeBroker = {
    aclFlushes: 0,
    api,
    hooks: registry,
    published,
    subscribed,
    settings: structuredClone(DEFAULT_SETTINGS),
    setSettings(s) {
      fake.settings = s;
    },
    connect(partial) {
      const client: ClientInfo = {
        username: undefined,
        peerHost: '127.0.0.1',
        peerPort: 50000,
        sockPort: 1883,
        listener: 'tcp',
        protoName: 'MQTT',
        protoVer: 4,
        keepalive: 60,
        cleanStart: true,
        expiryInterval: 0,
        connectedAt: Date.now(),
        superuser: false,
        ...partial,
      };
      clients.set(client.clientId, client);
      for (const hook of registry.chain('clientConnected')) hook(client);
      return client;
    },
    disconnect(clientId, reason = 'normal') {
      const client = clients.get(clientId);
      if (!client) return;
      for (const hook of registry.chain('clientDisconnected')) hook(client, reason);
      clients.delete(clientId);
    },
    async authenticate(request) {
      for (const hook of registry.chain('authenticate')) {
        const decision = await hook(request);
        if (decision.result !== 'ignore') return decision;
      }
      return { result: 'ignore' };
    },
    async authorize(client, action, topic) {
      for (const hook of registry.chain('authorize')) {
        const decision = await hook(client, action, topic);
        if (decision.result !== 'ignore') return decision;
      }
      return { result: 'ignore' };
    },
    rewrite(client, action, topic) {
      let current = topic;
      for (const hook of registry.chain('rewriteTopic')) current = hook(client, action, current);
      return current;
    },
    messagePublish(client, message) {
      return fake.messagePublishResult(client, message) === 'continue' ? 'continue' : 'stop';
    },
    messagePublishResult(client, message) {
      for (const hook of registry.chain('messagePublish')) {
        const result = hook(client, message);
        if (result instanceof Promise) throw new TypeError('a messagePublish hook answered a Promise: use messagePublishSettled');
        if (result === 'stop' || (typeof result === 'object' && result.stop === true)) return result;
      }
      return 'continue';
    },
    async messagePublishSettled(client, message) {
      for (const hook of registry.chain('messagePublish')) {
        const result = await hook(client, message);
        if (result === 'stop' || (typeof result === 'object' && result.stop === true)) return result;
      }
      return 'continue';
    },
    retainedStore: () => registry.chain('retainedStore')[0],
    hookCount: () => registry.size(),
  };
  return fake;
}
