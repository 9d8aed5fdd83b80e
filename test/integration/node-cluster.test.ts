/**
 * Revisions through the real binary and CLI: compare-and-set, history, rollback, and the cluster
 * document's export/import round trip with a redacted secret.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { nextMessage, startNodeProcess, type NodeProcess } from '../helpers/node-process.js';

let node: NodeProcess;
before(async () => {
  node = await startNodeProcess();
});
after(async () => {
  await node.close();
});

const rewriteTo = (dest: string): string =>
  JSON.stringify({ rules: [{ action: 'publish', source_topic: 'cas/#', re: '^cas/(.+)$', dest_topic: `${dest}/$1` }] });

function revisionOf(stdout: string): number {
  const m = /\(revision (\d+)\)/.exec(stdout);
  assert.ok(m, `no revision in: ${stdout}`);
  return Number(m[1]);
}

/** Publishes on cas/x and returns the topic a `#` subscriber sees it on. */
async function whereDoesCasGo(tag: string): Promise<string> {
  const sub = await node.connect({ clientId: `cas-sub-${tag}` });
  await sub.subscribeAsync('+/x', { qos: 1 });
  const got = nextMessage(sub);
  const pub = await node.connect({ clientId: `cas-pub-${tag}` });
  await pub.publishAsync('cas/x', tag, { qos: 1 });
  const m = await got;
  await Promise.all([sub.endAsync(), pub.endAsync()]);
  return m.topic;
}

describe('revisions through the CLI', () => {
  test('two writes based on the same revision: the second gets the conflict code and changes nothing', async () => {
    const base = revisionOf((await node.cliOk(['modules', 'add', 'topic-rewrite', '--config', rewriteTo('first')])).stdout);
    const ok = await node.cli(['modules', 'update', 'topic-rewrite', '--config', rewriteTo('second'), '--if-match', String(base)]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(revisionOf(ok.stdout), base + 1);
    const stale = await node.cli(['modules', 'update', 'topic-rewrite', '--config', rewriteTo('third'), '--if-match', String(base)]);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /^MODMQ_REVISION_CONFLICT: /m);
    const current = await node.json<{ revision: number; module: { config: { rules: Array<{ dest_topic: string }> } } }>(
      'GET',
      '/modules/topic-rewrite',
    );
    assert.equal(current.revision, base + 1);
    assert.equal(current.module.config.rules[0]!.dest_topic, 'second/$1');
    await node.waitApplied(base + 1);
    assert.equal(await whereDoesCasGo('cas'), 'second/x');
  });

  test('history lists who, when and what; a write with an API key names the key', async () => {
    const created = await node.cliOk(['api-keys', 'create', 'ci-bot', '--role', 'admin']);
    const id = /created API key (\S+)/.exec(created.stdout)?.[1];
    const secret = /^secret: (\S+)$/m.exec(created.stdout)?.[1];
    assert.ok(id && secret, created.stdout);
    const byKey = await node.cli(['modules', 'add', 'presence', '--config', '{"qos":0}'], { MODMQ_API_AUTH: `${id}:${secret}` });
    assert.equal(byKey.code, 0, byKey.stderr);

    const history = await node.cliOk(['modules', 'history']);
    const lines = history.stdout.trim().split('\n');
    assert.match(lines[0]!, /^REVISION\s+AT\s+AUTHOR\s+SUMMARY$/);
    const row = (rev: number): string | undefined => lines.find((l) => l.startsWith(`${rev} `));
    const latest = revisionOf(byKey.stdout);
    assert.match(row(latest) ?? '', new RegExp(`^${latest}\\s+\\d{4}-\\d\\d-\\d\\dT\\S+\\s+${id}\\s+add module presence$`));
    assert.match(row(latest - 1) ?? '', /\s+admin\s+update module topic-rewrite$/);
    assert.match(row(latest - 2) ?? '', /\s+admin\s+add module topic-rewrite$/);
    // newest first
    assert.ok(lines.indexOf(row(latest)!) < lines.indexOf(row(latest - 1)!));
  });

  test('rollback --to N restores that document as a new revision and the behaviour follows', async () => {
    const revisions = await node.json<Array<{ revision: number; summary: string }>>('GET', '/revisions');
    const firstRewrite = revisions.find((r) => r.summary === 'add module topic-rewrite')!.revision;
    const r = await node.cliOk(['modules', 'rollback', '--to', String(firstRewrite)]);
    const restored = revisionOf(r.stdout);
    assert.ok(restored > firstRewrite);
    await node.waitApplied(restored);
    const doc = await node.json<{ revision: number; document: { modules: Array<{ id: string }> } }>('GET', '/cluster');
    assert.equal(doc.revision, restored);
    assert.deepEqual(doc.document.modules.map((m) => m.id), ['retainer', 'topic-rewrite'], 'presence (added later) is gone');
    assert.equal(await whereDoesCasGo('rolled-back'), 'first/x');
    const history = await node.cliOk(['modules', 'history', '--limit', '1']);
    assert.match(history.stdout, new RegExp(`^${restored}\\s+\\S+\\s+admin\\s+restore revision ${firstRewrite}$`, 'm'));
  });
});

describe('cluster export / import', () => {
  const secret = 'Bearer real-secret-token';

  test('export redacts x-secret fields; import of the edited file keeps the real secret', async () => {
    await node.cliOk(['modules', 'add', 'prometheus', '--config', JSON.stringify({
      push_gateway: { enable: false, headers: { Authorization: secret } },
    })]);
    const file = join(node.dir, 'cluster.json');
    const exported = await node.cliOk(['cluster', 'export', 'cluster.json']);
    assert.match(exported.stdout, /^exported revision \d+ to cluster\.json$/m);
    const text = await readFile(file, 'utf8');
    assert.equal(text.includes('real-secret-token'), false, 'secret not in the export');
    const doc = JSON.parse(text) as { version: number; settings: Record<string, unknown>; modules: Array<Record<string, any>> };
    const prom = doc.modules.find((m) => m['id'] === 'prometheus')!;
    assert.equal(prom['config'].push_gateway.headers.Authorization, '******');

    // Edit: describe the prometheus module and append a proxy subscription.
    prom['description'] = 'edited offline';
    doc.modules.push({ id: 'proxy-subscription', type: 'proxy-subscription', schemaVersion: 1, enabled: true, config: { topics: [{ topic: 'imported/%c' }] } });
    await writeFile(file, JSON.stringify(doc, null, 2));
    const imported = await node.cliOk(['cluster', 'import', 'cluster.json']);
    const revision = revisionOf(imported.stdout);
    await node.waitApplied(revision);

    const shown = await node.json<{ revision: number; document: { modules: Array<Record<string, any>> } }>('GET', '/cluster');
    assert.equal(shown.revision, revision);
    assert.deepEqual(shown.document.modules.map((m) => m['id']), ['retainer', 'topic-rewrite', 'prometheus', 'proxy-subscription']);
    const shownProm = shown.document.modules.find((m) => m['id'] === 'prometheus')!;
    assert.equal(shownProm['description'], 'edited offline');
    assert.equal(shownProm['config'].push_gateway.headers.Authorization, '******');

    const revealed = await node.json<{ document: { modules: Array<Record<string, any>> } }>('GET', '/cluster?reveal_secrets=true');
    const real = revealed.document.modules.find((m) => m['id'] === 'prometheus')!;
    assert.equal(real['config'].push_gateway.headers.Authorization, secret);

    // The imported proxy subscription is live.
    const pub = await node.connect({ clientId: 'imp-pub' });
    await pub.publishAsync('imported/imp-client', 'hi', { qos: 1, retain: true });
    const client = node.open({ clientId: 'imp-client' });
    assert.equal((await nextMessage(client)).topic, 'imported/imp-client');
  });
});
