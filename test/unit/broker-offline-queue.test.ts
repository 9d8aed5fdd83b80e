/**
 * attachOfflineQueue against a stub aedes whose persistence keeps subscriptions per client like a
 * shared store (what another node wrote is there) and records what it is asked: where the
 * Subscription Identifiers of a queued copy come from, and what each queued message costs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Aedes } from 'aedes';
import { attachOfflineQueue, type OfflineQueueOptions, type QueuedPacket, type TopicSubscription } from '../../src/broker/offline-queue.js';

interface Stored {
  topic: string;
  qos: number;
  subscriptionIdentifier?: number;
}

function rig(options?: OfflineQueueOptions) {
  const store = new Map<string, Stored[]>();
  const queued: Array<{ clients: string[]; packet: QueuedPacket }> = [];
  let reads = 0;
  const persistence = {
    async outgoingEnqueueCombi(subs: TopicSubscription[], packet: QueuedPacket): Promise<void> {
      queued.push({ clients: subs.map((s) => s.clientId), packet });
    },
    async addSubscriptions(client: { id: string }, subs: Stored[]): Promise<void> {
      const kept = (store.get(client.id) ?? []).filter((s) => !subs.some((n) => n.topic === s.topic));
      store.set(client.id, [...kept, ...subs]);
    },
    async removeSubscriptions(client: { id: string }, topics: string[]): Promise<void> {
      store.set(client.id, (store.get(client.id) ?? []).filter((s) => !topics.includes(s.topic)));
    },
    async cleanSubscriptions(client: { id: string }): Promise<void> {
      store.delete(client.id);
    },
    async subscriptionsByClient(client: { id: string }): Promise<Stored[]> {
      reads++;
      return store.get(client.id) ?? [];
    },
  };
  const clients: Record<string, unknown> = {};
  const aedes = { publish: () => undefined, persistence, clients };
  // The wrapped store, as aedes on this node uses it; `store` itself is what another node wrote.
  attachOfflineQueue(aedes as unknown as Aedes, options);
  const sub = (clientId: string, topic: string): TopicSubscription => ({ clientId, topic, qos: 1 });
  return {
    store,
    queued,
    clients,
    persistence,
    reads: () => reads,
    sub,
    enqueue: (subs: TopicSubscription[]) => persistence.outgoingEnqueueCombi(subs, { qos: 1, retain: false }),
  };
}

const ids = (packet: QueuedPacket): unknown => packet.properties?.subscriptionIdentifier;

describe('offline queue: where the identifiers of a queued copy come from', () => {
  test('one node: the identifiers given on this node, without reading the persistence', async () => {
    const r = rig();
    await r.persistence.addSubscriptions({ id: 'c' }, [{ topic: 'a/+', qos: 1, subscriptionIdentifier: 7 }, { topic: 'a/b', qos: 1, subscriptionIdentifier: 9 }]);
    await r.enqueue([r.sub('c', 'a/+'), r.sub('c', 'a/b')]);
    assert.deepEqual(r.queued.map((q) => [q.clients, ids(q.packet)]), [[['c'], [7, 9]]]);
    assert.equal(r.reads(), 0);
  });

  test('shared persistence, client not connected here: what is stored now, read once per client and message', async () => {
    const r = rig({ sharedPersistence: true });
    // This node saw identifier 7 once (a resumed session), then the client moved and re-subscribed elsewhere.
    await r.persistence.addSubscriptions({ id: 'c' }, [{ topic: 'a/+', qos: 1, subscriptionIdentifier: 7 }]);
    r.store.set('c', [{ topic: 'a/+', qos: 1, subscriptionIdentifier: 11 }, { topic: 'a/b', qos: 1, subscriptionIdentifier: 9 }]);
    r.store.set('d', [{ topic: 'a/b', qos: 1 }]);
    await r.enqueue([r.sub('c', 'a/+'), r.sub('d', 'a/b'), r.sub('c', 'a/b')]);
    assert.equal(r.reads(), 2);
    assert.deepEqual(
      r.queued.map((q) => [q.clients, ids(q.packet)]),
      [
        [['c'], [11, 9]],
        [['d'], undefined],
      ],
    );
  });

  test('shared persistence, client connected here: its cached identifiers, no read', async () => {
    const r = rig({ sharedPersistence: true });
    r.clients['c'] = {};
    await r.persistence.addSubscriptions({ id: 'c' }, [{ topic: 'a/b', qos: 1, subscriptionIdentifier: 9 }]);
    await r.enqueue([r.sub('c', 'a/b')]);
    assert.deepEqual(r.queued.map((q) => ids(q.packet)), [9]);
    assert.equal(r.reads(), 0);
  });

  test('a restored session replaces what this node had cached for it', async () => {
    const r = rig();
    await r.persistence.addSubscriptions({ id: 'c' }, [{ topic: 'a/+', qos: 1, subscriptionIdentifier: 7 }]);
    r.store.set('c', [{ topic: 'a/b', qos: 1, subscriptionIdentifier: 9 }]);
    await r.persistence.subscriptionsByClient({ id: 'c' });
    await r.enqueue([r.sub('c', 'a/+'), r.sub('c', 'a/b')]);
    assert.deepEqual(r.queued.map((q) => ids(q.packet)), [9]);
  });

  test('no matching persistent subscription: handed on as is, nothing read, on one node or shared', async () => {
    for (const options of [undefined, { sharedPersistence: true }]) {
      const r = rig(options);
      await r.enqueue([]);
      assert.deepEqual(r.queued, [{ clients: [], packet: { qos: 1, retain: false } }]);
      assert.equal(r.reads(), 0);
    }
  });
});
