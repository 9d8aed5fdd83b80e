import type {
  AuthenticateHook,
  AuthorizeHook,
  ClientConnectedHook,
  ClientDisconnectedHook,
  EnhancedAuthHook,
  HookRegistry,
  HookScope,
  MessagePublishHook,
  MessagePublishOptions,
  PskLookupHook,
  RetainedStore,
  RewriteTopicHook,
  Unhook,
} from './hooks.js';

export type HookKind =
  | 'authenticate'
  | 'authorize'
  | 'rewriteTopic'
  | 'clientConnected'
  | 'clientDisconnected'
  | 'messagePublish'
  | 'retainedStore'
  | 'pskLookup'
  | 'enhancedAuth';

interface HookTypes {
  authenticate: AuthenticateHook;
  authorize: AuthorizeHook;
  rewriteTopic: RewriteTopicHook;
  clientConnected: ClientConnectedHook;
  clientDisconnected: ClientDisconnectedHook;
  messagePublish: MessagePublishHook;
  /** Not a function: the first entry (module order) is the broker's retained store. */
  retainedStore: RetainedStore;
  pskLookup: PskLookupHook;
  enhancedAuth: EnhancedAuthHook;
}

interface Entry<K extends HookKind> {
  moduleId: string;
  hook: HookTypes[K];
  seq: number;
  /** messagePublish only: registered with `mayWait`. */
  mayWait: boolean;
}

type Entries = { [K in HookKind]: Entry<K>[] };
type Chains = { [K in HookKind]: readonly HookTypes[K][] };

const KINDS: readonly HookKind[] = [
  'authenticate',
  'authorize',
  'rewriteTopic',
  'clientConnected',
  'clientDisconnected',
  'messagePublish',
  'retainedStore',
  'pskLookup',
  'enhancedAuth',
];

/**
 * The broker's hook chains. Ordered arrays are rebuilt when hooks or the module order change, so
 * the message path only reads `chains.<kind>` (a frozen array, replaced on change, never mutated:
 * a chain that is running keeps its snapshot). An empty chain is an empty array: costs a length check.
 */
export class BrokerHookRegistry implements HookRegistry {
  readonly chains: Chains = {
    authenticate: [],
    authorize: [],
    rewriteTopic: [],
    clientConnected: [],
    clientDisconnected: [],
    messagePublish: [],
    retainedStore: [],
    pskLookup: [],
    enhancedAuth: [],
  };
  /**
   * A messagePublish hook registered with `mayWait` is in the chain: MQTT 3 QoS 1/2 publishes then
   * run the chain before their ack too (publish-intercept.ts). False: their path stays as cheap as before.
   */
  messagePublishMayWait = false;
  /** Called after a chain changed (the broker flushes ACL caches on `authorize`). */
  onChange: ((kind: HookKind) => void) | undefined;

  private readonly entries: Entries = {
    authenticate: [],
    authorize: [],
    rewriteTopic: [],
    clientConnected: [],
    clientDisconnected: [],
    messagePublish: [],
    retainedStore: [],
    pskLookup: [],
    enhancedAuth: [],
  };
  private order = new Map<string, number>();
  private seq = 0;

  setOrder(moduleIds: readonly string[]): void {
    const order = new Map<string, number>();
    moduleIds.forEach((id, index) => {
      if (!order.has(id)) order.set(id, index);
    });
    this.order = order;
    for (const kind of KINDS) this.rebuild(kind);
  }

  scope(moduleId: string): HookScope {
    const unhooks = new Set<Unhook>();
    let disposed = false;
    const add = <K extends HookKind>(kind: K, hook: HookTypes[K], mayWait = false): Unhook => {
      if (disposed) throw new Error(`hook scope of module ${moduleId} is disposed`);
      if (kind === 'retainedStore') {
        if (!isRetainedStore(hook)) throw new TypeError('retainedStore needs an object with store, remove and match');
      } else if (typeof hook !== 'function') throw new TypeError(`${kind} hook must be a function`);
      const unhook = this.add(kind, moduleId, hook, mayWait);
      const wrapped: Unhook = () => {
        unhooks.delete(wrapped);
        unhook();
      };
      unhooks.add(wrapped);
      return wrapped;
    };
    return {
      authenticate: (hook) => add('authenticate', hook),
      authorize: (hook) => add('authorize', hook),
      rewriteTopic: (hook) => add('rewriteTopic', hook),
      clientConnected: (hook) => add('clientConnected', hook),
      clientDisconnected: (hook) => add('clientDisconnected', hook),
      messagePublish: (hook, options?: MessagePublishOptions) => add('messagePublish', hook, options?.mayWait === true),
      retainedStore: (store) => add('retainedStore', store),
      pskLookup: (hook) => add('pskLookup', hook),
      enhancedAuth: (hook) => add('enhancedAuth', hook),
      dispose: () => {
        disposed = true;
        for (const unhook of [...unhooks]) unhook();
      },
    };
  }

  /** Total registered hooks (tests, diagnostics). */
  size(): number {
    let n = 0;
    for (const kind of KINDS) n += this.entries[kind].length;
    return n;
  }

  private add<K extends HookKind>(kind: K, moduleId: string, hook: HookTypes[K], mayWait: boolean): Unhook {
    const entry: Entry<K> = { moduleId, hook, seq: this.seq++, mayWait };
    (this.entries[kind] as Entry<K>[]).push(entry);
    this.rebuild(kind);
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      const list = this.entries[kind] as Entry<K>[];
      const i = list.indexOf(entry);
      if (i >= 0) list.splice(i, 1);
      this.rebuild(kind);
    };
  }

  private rebuild<K extends HookKind>(kind: K): void {
    const rank = (id: string): number => this.order.get(id) ?? Number.MAX_SAFE_INTEGER;
    const sorted = [...(this.entries[kind] as Entry<K>[])].sort(
      (a, b) => rank(a.moduleId) - rank(b.moduleId) || a.seq - b.seq,
    );
    (this.chains as { [P in HookKind]: readonly HookTypes[P][] })[kind] = Object.freeze(sorted.map((e) => e.hook)) as Chains[K];
    if (kind === 'messagePublish') this.messagePublishMayWait = sorted.some((e) => e.mayWait);
    this.onChange?.(kind);
  }
}

function isRetainedStore(value: unknown): value is RetainedStore {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.store === 'function' && typeof v.remove === 'function' && typeof v.match === 'function';
}
