/**
 * emqx_web_hook (etc/plugins/emqx_web_hook.conf) -> webhook. Scalar keys go through defineMapping
 * (4.0–4.2 and 4.3+ spellings, see legacy-plugins.md); the rules
 * `web.hook.rule.<event>.<N> = {"action": "on_<event>", "topic": "<filter>"}` become `rules` entries
 * {event, topic} in file order (order does not matter to 4.x: every matching rule sends).
 */
import type { ConfSetting } from '../../src/migrator/legacy-node.js';
import { isValidFilter } from '../../src/broker/topic.js';
import { bool, enumOf, int, str } from './codecs.js';
import { defineMapping } from './define-mapping.js';
import type { ConfLine, ForwardContext, ForwardResult, LegacyMapping } from './mapping.js';

export const WEBHOOK_EVENTS = [
  'client.connect', 'client.connack', 'client.connected', 'client.disconnected',
  'client.subscribe', 'client.unsubscribe', 'session.subscribed', 'session.unsubscribed',
  'session.terminated', 'message.publish', 'message.delivered', 'message.acked',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

const actionOf = (event: string) => `on_${event.replace('.', '_')}`;
const RULE_RE = /^web\.hook\.rule\.([a-z]+\.[a-z]+)\.([^.]+)$/;

const base = defineMapping({
  source: 'emqx_web_hook',
  moduleType: 'webhook',
  loadedAs: ['emqx_web_hook'],
  fields: [
    { key: 'web.hook.url', pointer: '/url', codec: str },
    { key: 'web.hook.api.url', pointer: '/url', codec: str },
    { key: 'web.hook.headers.$name', pointer: '/headers/$name', codec: str, secret: true },
    { key: 'web.hook.body.encoding_of_payload_field', pointer: '/encode_payload', codec: enumOf('plain', 'base62', 'base64'), legacyDefault: 'plain' },
    { key: 'web.hook.encode_payload', pointer: '/encode_payload', codec: enumOf('base62', 'base64') },
    { key: 'web.hook.pool_size', pointer: '/pool_size', codec: int, legacyDefault: '32' },
    { key: 'web.hook.ssl.cacertfile', pointer: '/tls/cacertfile', codec: str },
    { key: 'web.hook.ssl.cafile', pointer: '/tls/cacertfile', codec: str },
    { key: 'web.hook.ssl.certfile', pointer: '/tls/certfile', codec: str },
    { key: 'web.hook.ssl.keyfile', pointer: '/tls/keyfile', codec: str },
    { key: 'web.hook.ssl.verify', pointer: '/tls/verify', codec: bool, legacyDefault: 'false' },
    { key: 'web.hook.ssl.server_name_indication', pointer: '/tls/server_name_indication', codec: str },
  ],
  notMapped: [
    { key: 'web.hook.enable_pipelining', reason: 'HTTP pipelining: modmq keeps connections alive but sends one request at a time per connection' },
    { key: 'web.hook.rule.*', reason: 'web hook rule' }, // replaced below
  ],
});

interface RuleConfig {
  event: WebhookEvent;
  topic?: string;
}

function forward(settings: readonly ConfSetting[], ctx: ForwardContext): ForwardResult {
  const result = base.forward(settings, ctx);
  const rules: RuleConfig[] = [];
  for (const s of settings) {
    const outcome = result.keys.find((k) => k.key === s.key && k.location === s.location);
    if (!outcome || !s.key.startsWith('web.hook.rule.')) continue;
    const fail = (reason: string) => {
      outcome.reason = reason;
      result.warnings.push({ code: 'webhook-rule-dropped', message: `${s.key}: ${reason}`, location: s.location });
    };
    const m = RULE_RE.exec(s.key);
    if (!m || !(WEBHOOK_EVENTS as readonly string[]).includes(m[1]!)) {
      fail('unknown web hook event');
      continue;
    }
    const event = m[1] as WebhookEvent;
    let spec: unknown;
    try {
      spec = JSON.parse(s.value);
    } catch {
      fail(`${JSON.stringify(s.value)} is not JSON like {"action": "${actionOf(event)}"}`);
      continue;
    }
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
      fail('the rule must be a JSON object');
      continue;
    }
    const { action, topic } = spec as Record<string, unknown>;
    if (topic !== undefined && (typeof topic !== 'string' || !isValidFilter(topic))) {
      fail(`topic ${JSON.stringify(topic)} is not a valid topic filter`);
      continue;
    }
    if (action !== actionOf(event)) {
      result.warnings.push({
        code: 'webhook-action',
        message: `${s.key}: action ${JSON.stringify(action)} differs from ${actionOf(event)}; the event named by the key is used`,
        location: s.location,
      });
    }
    outcome.class = 'mapped';
    outcome.target = `webhook#/rules/${rules.length}`;
    delete outcome.reason;
    rules.push(typeof topic === 'string' && topic !== '#' ? { event, topic } : { event, topic: '#' });
  }
  if (result.config) result.config['rules'] = rules;
  return result;
}

function reverse(config: Record<string, unknown>): ConfLine[] {
  const lines = base.reverse(config);
  const counters = new Map<string, number>();
  const rules = (Array.isArray(config['rules']) ? config['rules'] : []) as RuleConfig[];
  for (const rule of rules) {
    const n = (counters.get(rule.event) ?? 0) + 1;
    counters.set(rule.event, n);
    const spec: Record<string, string> = { action: actionOf(rule.event) };
    if (rule.topic !== undefined && rule.topic !== '#') spec['topic'] = rule.topic;
    lines.push({ key: `web.hook.rule.${rule.event}.${n}`, value: JSON.stringify(spec) });
  }
  return lines;
}

export const webHook: LegacyMapping = { ...base, forward, reverse };
