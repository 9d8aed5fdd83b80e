import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { emqxModulePresence } from '../../migrations/legacy/emqx-module-presence.js';
import { emqxModuleRewrite, parseRewriteValue } from '../../migrations/legacy/emqx-module-rewrite.js';
import { emqxModuleSubscription } from '../../migrations/legacy/emqx-module-subscription.js';
import { slowSubs, topicMetrics } from '../../migrations/legacy/slow-subs.js';
import type { ForwardResult, KeyOutcome, LegacyMapping } from '../../migrations/legacy/mapping.js';
import type { LegacyNode } from '../../src/migrator/legacy-node.js';
import { parseConf } from '../../src/migrator/readers/cuttlefish.js';
import { createSchemaCatalog, type LoadedSchemaCatalog } from '../../src/schema/index.js';

const node: LegacyNode = { name: 'n1', dir: '/tmp/n1', plugins: new Map(), problems: [] };
let catalog: LoadedSchemaCatalog;
before(async () => {
  catalog = await createSchemaCatalog();
});

function run(mapping: LegacyMapping, lines: string[], version?: string): ForwardResult {
  const doc = parseConf(lines.join('\n') + '\n', 'etc/emqx.conf');
  assert.deepEqual(doc.problems, []);
  const mine = doc.settings.filter((s) => mapping.keyPrefixes!.some((p) => s.key.startsWith(p)));
  return mapping.forward(mine, version === undefined ? { node } : { node, version });
}

const key = (r: ForwardResult, k: string): KeyOutcome => {
  const found = r.keys.find((o) => o.key === k);
  assert.ok(found, `no outcome for ${k}`);
  return found;
};

function assertValid(type: string, config: unknown) {
  const v = catalog.validateModuleConfig(type, 1, config);
  assert.ok(v.ok, JSON.stringify(v));
}

describe('emqx.conf module.rewrite -> topic-rewrite', () => {
  const conf = [
    'module.rewrite.pub.rule.1 = a/# ^a/(.+)$ one/$1', // 1
    'module.rewrite.pub.rule.2 = a/# ^a/(.+)$ two/$1', // 2
    'module.rewrite.pub.rule.10 = a/# ^a/(.+)$ ten/$1', // 3
    'module.rewrite.rule.3 = b/# ^b/(.+)$ legacy/$1', // 4
    'module.rewrite.sub.rule.1 = x/+    ^x/(.+)$   y/$1', // 5
    'module.rewrite.sub.rule.2 = x/# (?i)x y', // 6
    'module.rewrite.pub.rule.4 = c/# ^c$ d/#', // 7
    'module.rewrite.pub.rule.5 = c/# only-two', // 8
  ];

  it('4.4: legacy rules first, then numbered rules in cuttlefish 3.3 order (2, 10, 1)', () => {
    const r = run(emqxModuleRewrite, conf, '4.4');
    const rules = r.config!['rules'] as { action: string; dest_topic: string }[];
    assert.deepEqual(
      rules.map((x) => `${x.action}:${x.dest_topic}`),
      ['all:legacy/$1', 'publish:two/$1', 'publish:ten/$1', 'publish:one/$1', 'subscribe:y/$1'],
    );
    assert.deepEqual(rules[4], { action: 'subscribe', source_topic: 'x/+', re: '^x/(.+)$', dest_topic: 'y/$1' });
    assert.deepEqual(key(r, 'module.rewrite.pub.rule.1'), { key: 'module.rewrite.pub.rule.1', location: { file: 'etc/emqx.conf', line: 1 }, class: 'mapped', target: 'topic-rewrite#/rules/3' });
    assert.equal(key(r, 'module.rewrite.rule.3').target, 'topic-rewrite#/rules/0');
    assert.equal(key(r, 'module.rewrite.pub.rule.10').location.line, 3);
    // PCRE-only regex, wildcard destination of a publish rule, wrong arity: dropped, reported
    for (const [k, line] of [['module.rewrite.sub.rule.2', 6], ['module.rewrite.pub.rule.4', 7], ['module.rewrite.pub.rule.5', 8]] as const) {
      assert.equal(key(r, k).class, 'not-mapped');
      assert.equal(key(r, k).location.line, line);
      assert.ok(r.warnings.some((w) => w.location?.line === line), `warning for line ${line}`);
    }
    assertValid('topic-rewrite', r.config);
  });

  it('4.2: reverse file order (10, 2, 1)', () => {
    const r = run(emqxModuleRewrite, conf.slice(0, 3), '4.2');
    assert.deepEqual((r.config!['rules'] as { dest_topic: string }[]).map((x) => x.dest_topic), ['ten/$1', 'two/$1', 'one/$1']);
  });

  it('unknown version: assumes 4.3/4.4 and warns when the order depends on it', () => {
    const r = run(emqxModuleRewrite, conf.slice(0, 3));
    assert.deepEqual((r.config!['rules'] as { dest_topic: string }[]).map((x) => x.dest_topic), ['two/$1', 'ten/$1', 'one/$1']);
    assert.ok(r.warnings.some((w) => w.code === 'rewrite-order-version'));
  });

  it('4.0: module.rewrite = on enables, module.rewrite.rule.N applies to both', () => {
    const r = run(emqxModuleRewrite, ['module.rewrite = on', 'module.rewrite.rule.1 = x/# ^x/y/(.+)$ z/y/$1'], '4.0');
    assert.equal(r.enabled, true);
    assert.equal(key(r, 'module.rewrite').class, 'mapped');
    assert.deepEqual(r.config, { rules: [{ action: 'all', source_topic: 'x/#', re: '^x/y/(.+)$', dest_topic: 'z/y/$1' }] });
    assert.equal(run(emqxModuleRewrite, ['module.rewrite = off'], '4.0').enabled, false);
  });

  it('reverse writes 4.2+ keys whose effective order is the array order', () => {
    const rules = [
      { action: 'all', source_topic: 'a/#', re: 'a', dest_topic: 'b' },
      { action: 'publish', source_topic: 'p/#', re: 'p', dest_topic: 'q' },
      { action: 'subscribe', source_topic: 's/#', re: 's', dest_topic: 't' },
      { action: 'publish', source_topic: 'p2/#', re: 'p', dest_topic: 'q2' },
    ];
    const lines = emqxModuleRewrite.reverse({ rules });
    assert.deepEqual(lines.map((l) => l.key), ['module.rewrite.rule.1', 'module.rewrite.pub.rule.1', 'module.rewrite.pub.rule.2', 'module.rewrite.sub.rule.1']);
    assert.deepEqual(lines[1], { key: 'module.rewrite.pub.rule.1', value: 'p2/# p q2' });
    assert.throws(() => emqxModuleRewrite.reverse({ rules: [{ action: 'all', source_topic: 'a b', re: 'x', dest_topic: 'y' }] }), /spaces/);
  });

  it('parses like string:tokens (runs of spaces, tabs are not separators)', () => {
    assert.deepEqual(parseRewriteValue('a/#  ^a\t$  b'), { source_topic: 'a/#', re: '^a\t$', dest_topic: 'b' });
  });

  it('EE topic_rewrite keeps array order and maps type/topic/dest', () => {
    const loc = { file: 'export.json', line: 1 };
    const r = emqxModuleRewrite.fromEnterprise!({ rules: [{ type: 'publish', topic: 'x/#', re: '^x/(.+)$', dest: 'y/$1' }, { topic: 'a/+', re: 'a', dest: 'b' }] }, loc);
    assert.deepEqual(r.config, {
      rules: [
        { action: 'publish', source_topic: 'x/#', re: '^x/(.+)$', dest_topic: 'y/$1' },
        { action: 'subscribe', source_topic: 'a/+', re: 'a', dest_topic: 'b' },
      ],
    });
    assert.equal(r.keys[0]!.class, 'mapped');
  });
});

describe('emqx.conf module.subscription -> proxy-subscription', () => {
  it('4.4: absent qos is 1, ids reversed (2 before 1), nl/rap become booleans', () => {
    const r = run(emqxModuleSubscription, [
      'module.subscription.1.topic = t/%c', // 1
      'module.subscription.2.topic = u/%u', // 2
      'module.subscription.2.qos = 2', // 3
      'module.subscription.2.nl = 1', // 4
      'module.subscription.2.rh = 0', // 5
      'module.subscription.3.qos = 1', // 6
    ], '4.4');
    assert.deepEqual(r.config, {
      topics: [
        { topic: 'u/%u', qos: 2, nl: true, rap: false, rh: 0 },
        { topic: 't/%c', qos: 1, nl: false, rap: false, rh: 0 },
      ],
    });
    assert.deepEqual(key(r, 'module.subscription.1.topic'), { key: 'module.subscription.1.topic', location: { file: 'etc/emqx.conf', line: 1 }, class: 'mapped', target: 'proxy-subscription#/topics/1/topic' });
    assert.equal(key(r, 'module.subscription.2.nl').target, 'proxy-subscription#/topics/0/nl');
    assert.equal(key(r, 'module.subscription.2.rh').class, 'defaulted');
    assert.equal(key(r, 'module.subscription.3.qos').class, 'not-mapped');
    assert.equal(key(r, 'module.subscription.3.qos').location.line, 6);
    assertValid('proxy-subscription', r.config);
  });

  it('4.0: the translation sorts ids; module.subscription = on enables', () => {
    const r = run(emqxModuleSubscription, ['module.subscription = on', 'module.subscription.2.topic = b', 'module.subscription.1.topic = a'], '4.0');
    assert.equal(r.enabled, true);
    assert.deepEqual((r.config!['topics'] as { topic: string }[]).map((t) => t.topic), ['a', 'b']);
  });

  it('reverse always writes qos and same-width ids', () => {
    const topics = Array.from({ length: 10 }, (_, i) => ({ topic: `t/${i}`, qos: 0, nl: false, rap: true, rh: 2 }));
    const lines = emqxModuleSubscription.reverse({ topics });
    assert.equal(lines[0]!.key, 'module.subscription.10.topic');
    assert.equal(lines[0]!.value, 't/9');
    assert.ok(lines.some((l) => l.key === 'module.subscription.19.qos' && l.value === '0'));
    assert.ok(lines.some((l) => l.key === 'module.subscription.19.rap' && l.value === '1'));
  });

  it('EE subscription: subscription_opts in array order', () => {
    const r = emqxModuleSubscription.fromEnterprise!({ subscription_opts: [{ topic: 'a/%c', qos: 1, nl: 1, rap: 0, rh: 2 }] }, { file: 'e.json', line: 3 });
    assert.deepEqual(r.config, { topics: [{ topic: 'a/%c', qos: 1, nl: true, rap: false, rh: 2 }] });
  });
});

describe('emqx.conf module.presence -> presence', () => {
  it('absent qos means the 4.x default 1', () => {
    const r = run(emqxModulePresence, [], '4.4');
    assert.deepEqual(r.config, { qos: 1 });
  });
  it('explicit qos 0 is defaulted; 4.0 flag enables', () => {
    const r = run(emqxModulePresence, ['module.presence = on', 'module.presence.qos = 0'], '4.0');
    assert.deepEqual(r.config, { qos: 0 });
    assert.equal(r.enabled, true);
    assert.deepEqual(key(r, 'module.presence.qos'), { key: 'module.presence.qos', location: { file: 'etc/emqx.conf', line: 2 }, class: 'defaulted', target: 'presence#/qos' });
    assert.equal(key(r, 'module.presence').class, 'mapped');
  });
  it('reverse writes qos even when it is ours default (4.x default differs)', () => {
    assert.deepEqual(emqxModulePresence.reverse({ qos: 0 }), [{ key: 'module.presence.qos', value: '0' }]);
  });
  it('EE presence', () => {
    assert.deepEqual(emqxModulePresence.fromEnterprise!({ qos: 2 }, { file: 'e.json', line: 1 }).config, { qos: 2 });
  });
});

describe('slow_subs and topic metrics', () => {
  it('every module.slow_subs key is not-mapped with a reason', () => {
    const r = run(slowSubs, ['module.slow_subs.threshold = 500ms', 'module.slow_subs.top_k_num = 10'], '4.4');
    assert.equal(r.config, undefined);
    assert.ok(r.keys.every((k) => k.class === 'not-mapped' && /slow subscriber/.test(k.reason!)));
    assert.equal(r.keys[1]!.location.line, 2);
    assert.equal(topicMetrics.fromEnterprise!({}, { file: 'e.json', line: 1 }).warnings[0]!.code, 'module-not-migrated');
  });
});
