import { Counter, Gauge, type Registry } from 'prom-client';

/** What the metrics read at scrape time (nothing is counted per byte on the hot path). */
export interface MetricsSource {
  connections(): number;
  subscriptions(): number;
  bytesRead(): number;
  bytesWritten(): number;
}

/**
 * Per-QoS message counts kept as plain numbers: the publish path only adds 1, and prom-client reads
 * them when /metrics is scraped (its per-call label handling cost ~1% of a busy broker's CPU).
 */
export class QosCounts {
  private readonly values = [0, 0, 0];

  add(qos: number): void {
    if (qos === 0 || qos === 1 || qos === 2) this.values[qos]! += 1;
  }

  get(qos: 0 | 1 | 2): number {
    return this.values[qos]!;
  }
}

/** Broker metrics, prefixed `modmq_`. Nothing on the hot path allocates or calls into prom-client. */
export class BrokerMetrics {
  readonly received = new QosCounts();
  readonly sent = new QosCounts();
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
    // Every QoS series exists from the first scrape (no gaps in rate()).
    const qosCounter = (name: string, help: string, counts: QosCounts): void => {
      new Counter({
        name,
        help,
        labelNames: ['qos'],
        registers,
        collect() {
          this.reset();
          for (const qos of [0, 1, 2] as const) this.inc({ qos: String(qos) }, counts.get(qos));
        },
      });
    };
    qosCounter('modmq_messages_received_total', 'PUBLISH packets received from clients', this.received);
    qosCounter('modmq_messages_sent_total', 'PUBLISH packets sent to clients', this.sent);
    this.dropped = new Counter({ name: 'modmq_messages_dropped_total', help: 'Messages dropped (ACL deny; in a cluster, not sent to the other nodes while Redis is down)', registers });
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
