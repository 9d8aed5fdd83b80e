import { test } from 'node:test';
import assert from 'node:assert/strict';
import { moduleContext } from '../helpers/module-context.js';
import { createFakeBroker, type FakeBroker } from '../helpers/fake-broker.js';
import type { ClientInfo } from '../../src/broker/hooks.js';
import { topicRewrite } from '../../src/modules/topic-rewrite/index.js';
import { Rewriter } from '../../src/modules/topic-rewrite/rewriter.js';
import type { RewriteRuleConfig } from '../../src/modules/topic-rewrite/rule.js';

const context = (fake: FakeBroker, id = 'topic-rewrite') => moduleContext(fake, id);

const rule = (action: RewriteRuleConfig['action'], source_topic: string, re: string, dest_topic: string): RewriteRuleConfig => ({
  action, source_topic, re, dest_topic,
});

const client = { clientId: 'c1', username: 'alice' } as ClientInfo;

test('publish rule rewrites with captures (EMQX docs example)', () => {
  const r = new Rewriter([
    rule('publish', 'x/#', '^x/y/(.+)$', 'z/y/$1'),
    rule('subscribe', 'y/+/z/#', '^y/(.+)/z/(.+)$', 'y/z/$2'),
  ]);
  assert.equal(r.rewrite(client, 'publish', 'x/y/2'), 'z/y/2');
  assert.equal(r.rewrite(client, 'subscribe', 'x/y/2'), 'x/y/2', 'publish rules do not apply to subscribe');
  assert.equal(r.rewrite(client, 'subscribe', 'y/def/z/ghi'), 'y/z/ghi');
  assert.equal(r.rewrite(client, 'publish', 'y/def/z/ghi'), 'y/def/z/ghi');
});

test('the first rule whose filter matches is the only one tried (array order)', () => {
  const r = new Rewriter([
    rule('all', 'a/#', '^a/only/(.*)$', 'first/$1'),
    rule('all', 'a/b', '^(.*)$', 'second'),
  ]);
  // Rule 1 selects a/b; its regex does not match, so a/b stays as is although rule 2 would match.
  assert.equal(r.rewrite(client, 'publish', 'a/b'), 'a/b');
  assert.equal(r.rewrite(client, 'publish', 'a/only/x'), 'first/x');
  // Reordered: now the a/b rule wins.
  const r2 = new Rewriter([rule('all', 'a/b', '^(.*)$', 'second'), rule('all', 'a/#', '^a/(.*)$', 'first/$1')]);
  assert.equal(r2.rewrite(client, 'publish', 'a/b'), 'second');
  assert.equal(r2.rewrite(client, 'publish', 'a/c'), 'first/c');
});

test('action all applies to both; subscribe applies to filters', () => {
  const r = new Rewriter([rule('all', 'in/+', '^in/(.*)$', 'out/$1'), rule('subscribe', 's/#', '^s/(.*)$', 's2/$1/#')]);
  assert.equal(r.rewrite(client, 'publish', 'in/1'), 'out/1');
  assert.equal(r.rewrite(client, 'subscribe', 'in/1'), 'out/1');
  assert.equal(r.rewrite(client, 'subscribe', 's/+'), 's2/+/#');
});

test('%c and %u in dest; kept as written when unknown', () => {
  const r = new Rewriter([rule('publish', 'p/#', '^p/(.*)$', 'u/%u/c/%c/$1')]);
  assert.equal(r.rewrite(client, 'publish', 'p/x'), 'u/alice/c/c1/x');
  assert.equal(r.rewrite({ ...client, username: undefined }, 'publish', 'p/x'), 'u/%u/c/c1/x');
  assert.equal(r.rewrite(null, 'publish', 'p/x'), 'u/%u/c/%c/x');
});

test('$10 is group 10 when there are 10 groups, group 1 then 0 otherwise; $N beyond the groups stays', () => {
  const ten = new Rewriter([rule('publish', '#', '^(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)$', '$10-$1-$1x')]);
  assert.equal(ten.rewrite(client, 'publish', 'abcdefghij'), 'j-a-ax');
  const two = new Rewriter([rule('publish', '#', '^(a)(b)$', '$10/$2/$3/$0')]);
  assert.equal(two.rewrite(client, 'publish', 'ab'), 'a0/b/$3/$0');
});

test('captured text is inserted literally, not re-scanned', () => {
  const r = new Rewriter([rule('publish', 'p/#', '^p/(.*)/(.*)$', '$2/$1')]);
  assert.equal(r.rewrite(client, 'publish', 'p/$1/%c'), '%c/$1');
});

test('unmatched optional groups are empty', () => {
  const r = new Rewriter([rule('publish', '#', '^a(x)?/(.*)$', 'b$1/$2')]);
  assert.equal(r.rewrite(client, 'publish', 'a/t'), 'b/t');
});

test('$share and $queue: only the inner topic is rewritten', () => {
  const r = new Rewriter([rule('subscribe', 'x/#', '^x/(.*)$', 'y/$1')]);
  assert.equal(r.rewrite(client, 'subscribe', '$share/g1/x/a'), '$share/g1/y/a');
  assert.equal(r.rewrite(client, 'subscribe', '$queue/x/a'), '$queue/y/a');
  assert.equal(r.rewrite(client, 'subscribe', '$share/g1/z/a'), '$share/g1/z/a');
});

test('$SYS topics are not matched by a leading wildcard', () => {
  const r = new Rewriter([rule('all', '#', '^(.*)$', 'all/$1')]);
  assert.equal(r.rewrite(client, 'publish', '$SYS/x'), '$SYS/x');
  assert.equal(r.rewrite(client, 'publish', 'x'), 'all/x');
});

test('the module registers one rewriteTopic hook; update swaps the rules; stop removes it', async () => {
  const fake = createFakeBroker();
  const instance = await topicRewrite.create(context(fake), { rules: [rule('publish', 'a', '^a$', 'b')] });
  assert.equal(fake.hookCount(), 1);
  assert.equal(fake.rewrite(client, 'publish', 'a'), 'b');
  await instance.update!({ rules: [rule('publish', 'a', '^a$', 'c')] });
  assert.equal(fake.rewrite(client, 'publish', 'a'), 'c');
  assert.deepEqual(instance.status(), { state: 'running' });
  await instance.stop();
  assert.equal(fake.hookCount(), 0);
  assert.equal(fake.rewrite(client, 'publish', 'a'), 'a');
});

test('an update with an uncompilable regex rejects and keeps the old rules', async () => {
  const fake = createFakeBroker();
  const instance = await topicRewrite.create(context(fake), { rules: [rule('publish', 'a', '^a$', 'b')] });
  await assert.rejects(instance.update!({ rules: [rule('publish', 'a', '(', 'c')] }));
  assert.equal(fake.rewrite(client, 'publish', 'a'), 'b');
  await instance.stop();
});

test('check(): regex, source filter and dest validity per action, with pointers', () => {
  const problems = topicRewrite.check!({
    rules: [
      rule('publish', 'ok/#', '^ok/(.*)$', 'fine/$1'),
      rule('publish', 'a/#/b', '(', 'x/+'),
      rule('subscribe', 's/#', '^s$', 'x/#/y'),
      rule('all', 'q', '\\Aq', 'x/#'),
      rule('subscribe', 's/#', '^s/(.*)$', 'x/+/$1/#'),
    ],
  });
  assert.deepEqual(
    problems.map((p) => [p.pointer, p.keyword]),
    [
      ['/rules/1/re', 'regex'],
      ['/rules/1/source_topic', 'topic-filter'],
      ['/rules/1/dest_topic', 'topic-name'],
      ['/rules/2/dest_topic', 'topic-filter'],
      ['/rules/3/re', 'regex'],
      ['/rules/3/dest_topic', 'topic-name'],
    ],
  );
  assert.match(problems[4]!.message, /\\A/);
  assert.deepEqual(topicRewrite.check!({ rules: [rule('publish', 'a', 'a\\\\A\\-b', 'b')] }), [], 'escaped backslash and \\- are fine');
});
