/**
 * For every MG2 mapping: forward(parse(render(reverse(c)))) = c for arbitrary valid configs (compared
 * after schema defaults), under both cuttlefish generations (4.2 and 4.4 read numbered keys in
 * different orders; reverse must be read back the same by both).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { formatDurationMs } from '../../migrations/legacy/codecs.js';
import { emqxModulePresence } from '../../migrations/legacy/emqx-module-presence.js';
import { emqxModuleRewrite } from '../../migrations/legacy/emqx-module-rewrite.js';
import { emqxModuleSubscription } from '../../migrations/legacy/emqx-module-subscription.js';
import type { LegacyMapping } from '../../migrations/legacy/mapping.js';
import { prometheus } from '../../migrations/legacy/prometheus.js';
import { retainer } from '../../migrations/legacy/retainer.js';
import { WEBHOOK_EVENTS, webHook } from '../../migrations/legacy/web-hook.js';
import { checkRules } from '../../src/modules/topic-rewrite/check.js';
import type { RewriteRuleConfig } from '../../src/modules/topic-rewrite/rule.js';
import type { LegacyNode } from '../../src/migrator/legacy-node.js';
import { parseConf, renderConf } from '../../src/migrator/readers/cuttlefish.js';
import { createSchemaCatalog, type LoadedSchemaCatalog } from '../../src/schema/index.js';

const node: LegacyNode = { name: 'n1', dir: '/tmp/n1', plugins: new Map(), problems: [] };
let catalog: LoadedSchemaCatalog;
before(async () => {
  catalog = await createSchemaCatalog();
});

function normalised(type: string, config: unknown): unknown {
  const v = catalog.validateModuleConfig(type, 1, config);
  assert.ok(v.ok, `${type} config invalid: ${JSON.stringify(v)} for ${JSON.stringify(config)}`);
  return v.value;
}

function roundTrip(mapping: LegacyMapping, config: Record<string, unknown>, version: string): void {
  const type = mapping.moduleType!;
  const expected = normalised(type, config);
  const text = renderConf(mapping.reverse(config));
  const doc = parseConf(text, 'etc/x.conf');
  assert.deepEqual(doc.problems, [], text);
  const result = mapping.forward(doc.settings, { node, version });
  // the only expected warning: 4.0–4.2 kept %c/%u literally in rewrite destinations
  assert.deepEqual(result.warnings.filter((w) => w.code !== 'rewrite-placeholder'), [], text);
  assert.ok(result.keys.every((k) => k.class !== 'not-mapped'), JSON.stringify(result.keys));
  assert.deepEqual(normalised(type, result.config ?? {}), expected, text);
}

const nat = (max: number) => fc.integer({ min: 0, max });
const durationArb = fc.oneof(fc.constant('0s'), fc.tuple(fc.integer({ min: 1, max: 5000 }), fc.constantFrom('ms', 's', 'm', 'h', 'd')).map(([n, u]) => `${n}${u}`));
const bytesArb = fc.tuple(nat(4096), fc.constantFrom('B', 'KB', 'MB', 'GB')).map(([n, u]) => `${n}${u}`);
const word = fc.stringMatching(/^[a-z0-9_-]{1,6}$/);
const level = fc.oneof(word, fc.constantFrom('%c', '%u', '+'));
const filterArb = fc.tuple(fc.array(level, { minLength: 1, maxLength: 4 }), fc.boolean()).map(([ls, hash]) => (hash ? [...ls, '#'] : ls).join('/'));
const nameArb = fc.array(fc.oneof(word, fc.constantFrom('$1', '$2', '%c', '%u')), { minLength: 1, maxLength: 4 }).map((ls) => ls.join('/'));
const versions = ['4.2', '4.4'];

function check<T extends Record<string, unknown>>(mapping: LegacyMapping, arb: fc.Arbitrary<T>) {
  fc.assert(fc.property(arb, (config) => {
    for (const v of versions) roundTrip(mapping, config, v);
  }), { numRuns: 150 });
}

describe('MG2 mappings: forward(parse(render(reverse(c)))) = c', () => {
  it('retainer', () => {
    check(retainer, fc.record({
      storage_type: fc.constantFrom('ram', 'disc'),
      max_retained_messages: nat(1_000_000),
      max_payload_size: bytesArb,
      expiry_interval: durationArb,
      stop_publish_clear_msg: fc.boolean(),
    }, { requiredKeys: [] }));
  });

  it('presence', () => {
    check(emqxModulePresence, fc.record({ qos: fc.constantFrom(0, 1, 2) }, { requiredKeys: [] }));
  });

  it('proxy-subscription (order survives both cuttlefish generations)', () => {
    const topic = fc.record({ topic: filterArb, qos: fc.constantFrom(0, 1, 2), nl: fc.boolean(), rap: fc.boolean(), rh: fc.constantFrom(0, 1, 2) }, { requiredKeys: ['topic'] });
    check(emqxModuleSubscription, fc.record({ topics: fc.array(topic, { maxLength: 14 }) }));
  });

  it('topic-rewrite (canonical order: all, then publish, then subscribe)', () => {
    const rule = (action: RewriteRuleConfig['action']) =>
      fc.record({ action: fc.constant(action), source_topic: filterArb, re: fc.constantFrom('^a/(.+)$', 'x', '(\\w+)/(\\d+)', '.*', '^%c$'), dest_topic: nameArb })
        .filter((r) => checkRules([r]).length === 0);
    const arb = fc.tuple(fc.array(rule('all'), { maxLength: 4 }), fc.array(rule('publish'), { maxLength: 12 }), fc.array(rule('subscribe'), { maxLength: 4 }))
      .map(([a, p, s]) => ({ rules: [...a, ...p, ...s] }));
    check(emqxModuleRewrite, arb);
  });

  it('topic-rewrite: any array keeps each action\'s own order', () => {
    const rule = fc.record({ action: fc.constantFrom<RewriteRuleConfig['action']>('all', 'publish', 'subscribe'), source_topic: filterArb, re: fc.constant('x'), dest_topic: nameArb });
    fc.assert(fc.property(fc.array(rule, { maxLength: 10 }), fc.constantFrom(...versions), (rules, version) => {
      const doc = parseConf(renderConf(emqxModuleRewrite.reverse({ rules })), 'etc/emqx.conf');
      const back = (emqxModuleRewrite.forward(doc.settings, { node, version }).config?.['rules'] ?? []) as RewriteRuleConfig[];
      for (const action of ['publish', 'subscribe'] as const) {
        const view = (list: RewriteRuleConfig[]) => list.filter((r) => r.action === action || r.action === 'all').map((r) => [r.source_topic, r.re, r.dest_topic].join(' '));
        assert.deepEqual(view(back), view(rules));
      }
    }), { numRuns: 150 });
  });

  it('webhook', () => {
    const headerName = fc.stringMatching(/^[a-z][a-z-]{0,10}$/);
    const headerValue = fc.stringMatching(/^[A-Za-z0-9/+=_-][A-Za-z0-9 /+=_-]{0,20}[A-Za-z0-9/+=_-]$/);
    const arb = fc.record({
      url: fc.tuple(fc.constantFrom('http', 'https'), word, fc.integer({ min: 1, max: 65535 }), word).map(([s, h, p, path]) => `${s}://${h}:${p}/${path}`),
      headers: fc.dictionary(headerName, headerValue, { maxKeys: 3 }),
      encode_payload: fc.constantFrom('plain', 'base64', 'base62'),
      rules: fc.array(fc.record({ event: fc.constantFrom(...WEBHOOK_EVENTS), topic: filterArb }, { requiredKeys: ['event'] }), { maxLength: 8 }),
      pool_size: fc.integer({ min: 1, max: 256 }),
      tls: fc.record({ cacertfile: fc.constant('etc/certs/ca.pem'), certfile: fc.constant('etc/certs/c.pem'), keyfile: fc.constant('etc/certs/k.pem'), verify: fc.boolean(), server_name_indication: fc.oneof(fc.constant('disable'), word) }, { requiredKeys: [] }),
    }, { requiredKeys: ['url'] });
    check(webHook, arb);
  });

  it('prometheus (the part 4.x can express: url when enabled, interval)', () => {
    const interval = fc.integer({ min: 1, max: 10_000_000 }).map((ms) => formatDurationMs(ms));
    const arb = fc.oneof(
      fc.record({ push_gateway: fc.record({ enable: fc.constant(true), url: fc.tuple(word, fc.integer({ min: 1, max: 65535 })).map(([h, p]) => `http://${h}:${p}`), interval }, { requiredKeys: ['enable'] }) }),
      fc.record({ push_gateway: fc.record({ enable: fc.constant(false), interval }, { requiredKeys: [] }) }),
    );
    check(prometheus, arb);
  });
});
