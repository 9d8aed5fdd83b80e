import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ClientInfo } from '../../src/broker/hooks.js';
import { matchTopic } from '../../src/broker/topic.js';
import { Rewriter } from '../../src/modules/topic-rewrite/rewriter.js';
import type { RewriteRuleConfig } from '../../src/modules/topic-rewrite/rule.js';

/** A topic level: any text without `/`, wildcards or NUL (placeholders and `$N` included on purpose). */
const level = fc.string({ maxLength: 6 }).map((s) => s.replace(/[/+#\u0000]/g, '_'));
const levelFrom = (chars: string[]): fc.Arbitrary<string> => fc.array(fc.constantFrom(...chars), { maxLength: 4 }).map((a) => a.join(''));
const topicName = fc.array(level, { minLength: 1, maxLength: 5 }).map((ls) => ls.join('/')).filter((t) => t.length > 0);
const small = levelFrom(['a', 'b', 'c', '$', '%']);
const smallTopic = fc.array(small, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('/')).filter((t) => t.length > 0);
const filter = fc
  .tuple(fc.array(fc.oneof(small, fc.constant('+')), { maxLength: 3 }), fc.boolean())
  .map(([ls, hash]) => [...ls, ...(hash ? ['#'] : [])].join('/'))
  .filter((f) => f.length > 0);
const action = fc.constantFrom<RewriteRuleConfig['action']>('publish', 'subscribe', 'all');
const aclAction = fc.constantFrom<'publish' | 'subscribe'>('publish', 'subscribe');
const clientArb = fc.option(
  fc.record({ clientId: fc.string(), username: fc.option(fc.string(), { nil: undefined }) }).map((c) => c as ClientInfo),
  { nil: null },
);

test('a rule with re ^(.*)$ and dest $1 is the identity', () => {
  fc.assert(
    fc.property(topicName, action, aclAction, clientArb, (topic, ruleAction, act, client) => {
      const r = new Rewriter([{ action: ruleAction, source_topic: '#', re: '^(.*)$', dest_topic: '$1' }]);
      assert.equal(r.rewrite(client, act, topic), topic);
    }),
  );
});

test('a topic no source filter matches comes back as the same string', () => {
  const rule = fc.record({ action, source_topic: filter, re: fc.constant('^(.*)$'), dest_topic: fc.constant('changed/$1') });
  fc.assert(
    fc.property(fc.array(rule, { maxLength: 5 }), smallTopic, aclAction, clientArb, (rules, topic, act, client) => {
      fc.pre(rules.every((r) => !matchTopic(r.source_topic, topic)));
      assert.equal(new Rewriter(rules).rewrite(client, act, topic), topic);
    }),
  );
});

/** The reference: replace `$N` from the highest N down, then the client placeholders. */
function reference(dest: string, captures: string[], clientId: string, username: string): string {
  let out = dest;
  for (let n = captures.length; n >= 1; n--) out = out.split(`$${n}`).join(captures[n - 1]!);
  return out.split('%c').join(clientId).split('%u').join(username);
}

test('$N and %c/%u substitution agrees with the highest-N-first reference', () => {
  // Captures and client values are non-empty and hold no `$`, `%` or digits, so the reference's
  // later passes never see a `$N` made up from inserted text (where it and the single pass differ).
  const word = fc.array(fc.constantFrom('x', 'y', 'z'), { minLength: 1, maxLength: 4 }).map((a) => a.join(''));
  const token = fc.oneof(
    fc.integer({ min: 0, max: 130 }).map((n) => `$${n}`),
    fc.constantFrom('$', '%c', '%u', '%', '/', 'a', 'b', '0', '7'),
  );
  fc.assert(
    fc.property(
      fc.array(word, { minLength: 1, maxLength: 13 }),
      fc.array(token, { minLength: 1, maxLength: 12 }),
      word,
      word,
      (captures, tokens, clientId, username) => {
        const dest = tokens.join('');
        const topic = `t/${captures.join('/')}`;
        const re = `^t/${captures.map(() => '([^/]*)').join('/')}$`;
        const r = new Rewriter([{ action: 'publish', source_topic: 't/#', re, dest_topic: dest }]);
        const got = r.rewrite({ clientId, username } as ClientInfo, 'publish', topic);
        assert.equal(got, reference(dest, captures, clientId, username));
      },
    ),
    { numRuns: 500 },
  );
});
