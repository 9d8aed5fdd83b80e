import { Counter, Gauge, type Registry } from 'prom-client';

/** What the metrics read at scrape time (nothing is counted per byte on the hot path). */
export interface MetricsSource {
  connections(): number;
  subscriptions(): number;
  bytesRead(): number;
  bytesWritten(): number;
}

type QosCounters = readonly [Counter.Internal, Counter.Internal, Counter.Internal];

/** Broker metrics, prefixed `modmq_`. Label children are created once so counting allocates nothing. */
export class BrokerMetrics {
  readonly received: QosCounters;
  readonly sent: QosCounters;
  readonly connectionsTotal: Counter;
  readonly dropped: Counter;
  /** Most clients connected at once since start ($SYS stats/connections/max). */
  peakConnections = 0;

  constructor(registry: Registry, source: MetricsSource) {
    const registers = [registry];
    new Gauge({
      name: 'modmq_connections',
      help: 'Connected MQTT clients on this node',
      registers,
      collect() {
        this.set(source.connections());
      },
    });
    new Gauge({
      name: 'modmq_subscriptions',
      help: 'Subscriptions of connected clients on this node',
      registers,
      collect() {
        this.set(source.subscriptions());
      },
    });
    const peak = (): number => this.peakConnections;
    new Gauge({
      name: 'modmq_connections_max',
      help: 'Most MQTT clients connected at once on this node since start',
      registers,
      collect() {
        this.set(peak());
      },
    });
    this.connectionsTotal = new Counter({ name: 'modmq_connections_total', help: 'Accepted MQTT connections (CONNACK success)', registers });
    const received = new Counter({ name: 'modmq_messages_received_total', help: 'PUBLISH packets received from clients', labelNames: ['qos'], registers });
    const sent = new Counter({ name: 'modmq_messages_sent_total', help: 'PUBLISH packets sent to clients', labelNames: ['qos'], registers });
    this.received = [received.labels('0'), received.labels('1'), received.labels('2')];
    this.sent = [sent.labels('0'), sent.labels('1'), sent.labels('2')];
    // Zero-initialised so every QoS series exists from the first scrape (no gaps in rate()).
    for (const child of [...this.received, ...this.sent]) child.inc(0);
    this.dropped = new Counter({ name: 'modmq_messages_dropped_total', help: 'Messages dropped (ACL deny)', registers });
    new Counter({
      name: 'modmq_bytes_received_total',
      help: 'Bytes read from client sockets',
      registers,
      collect() {
        this.reset();
        this.inc(source.bytesRead());
      },
    });
    new Counter({
      name: 'modmq_bytes_sent_total',
      help: 'Bytes written to client sockets',
      registers,
      collect() {
        this.reset();
        this.inc(source.bytesWritten());
      },
    });
  }
}
