/**
 * No PUBLISH before CONNACK. aedes restores a persistent session's subscriptions before it writes
 * the CONNACK, so a message routed in between (likely in a cluster: restoring takes Redis round
 * trips while other nodes keep publishing) would reach the client first, which MQTT forbids and
 * which makes clients such as MQTT.js drop the connection attempt. In cluster mode each client's
 * delivery functions hold such messages and hand them over, in order, once aedes has written the
 * CONNACK. A connection that ends before that drops them (a persistent session still has its QoS
 * 1/2 messages in the Redis offline queue).
 */
import type { Aedes, Client } from 'aedes';

type Deliver = (packet: unknown, cb: () => void) => void;
interface Deliverer {
  connackSent?: boolean;
  deliver0: Deliver;
  deliverQoS: Deliver;
}
type Held = Array<[Deliver, unknown, () => void]>;

const HELD = Symbol('modmq.heldUntilConnack');
/** Set when the CONNACK is out (aedes sets `connackSent` only after its event). */
const RELEASED = Symbol('modmq.connackOut');
type Holding = Deliverer & { [HELD]?: Held; [RELEASED]?: true };

/** Wraps a new client's delivery functions (call right after aedes created it, before CONNECT). */
export function holdUntilConnack(client: Client): void {
  const c = client as unknown as Holding;
  const wrap = (deliver: Deliver): Deliver =>
    function deliverAfterConnack(this: unknown, packet, cb) {
      if (c[RELEASED] === true || c.connackSent === true) return deliver.call(this, packet, cb);
      (c[HELD] ??= []).push([deliver, packet, cb]);
    };
  c.deliver0 = wrap(c.deliver0);
  c.deliverQoS = wrap(c.deliverQoS);
}

/** Hands held messages over once the CONNACK is out. */
export function releaseOnConnack(aedes: Aedes): void {
  (aedes as unknown as NodeJS.EventEmitter).on('connackSent', (_connack: unknown, client: Holding) => {
    client[RELEASED] = true;
    const held = client[HELD];
    if (held === undefined) return;
    delete client[HELD];
    for (const [deliver, packet, cb] of held) deliver.call(client, packet, cb);
  });
}
