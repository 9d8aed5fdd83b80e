import assert from 'node:assert/strict';
import { createStubCatalog } from '../helpers/stub-catalog.js';
import { runModuleContract } from './module-contract.js';
import { freePort, readBanner, testDeny, testListener, testPrefix, testStubTypes } from './test-modules.js';

const catalog = createStubCatalog(testStubTypes);

// update() in place
runModuleContract({
  type: testPrefix,
  catalog,
  validConfig: { prefix: 'a' },
  updatedConfig: { prefix: 'b' },
  invalidConfig: { prefix: 'bad#' }, // check() refuses it
  failingConfig: { prefix: 'c', failUpdate: true },
  probe: (h, _id, config) => {
    assert.equal(h.fake.rewrite(null, 'publish', 't'), `${String(config.prefix)}/t`);
  },
});

// no update(): create-first replace
runModuleContract({
  type: testDeny,
  catalog,
  validConfig: { deny: 'secret/' },
  updatedConfig: { deny: 'private/' },
  invalidConfig: { deny: 42 }, // schema refuses it
  failingConfig: { deny: 'other/', failCreate: true },
  probe: async (h, _id, config) => {
    const client = h.fake.connect({ clientId: 'probe' });
    const denied = await h.fake.authorize(client, 'publish', `${String(config.deny)}x`);
    assert.equal(denied.result, 'deny');
    assert.equal((await h.fake.authorize(client, 'publish', 'public/x')).result, 'ignore');
    h.fake.disconnect('probe');
  },
});

// stop-first replace of an exclusive port; a failed create brings the old listener back
let port = 0;
runModuleContract({
  type: testListener,
  catalog,
  makeContext: async () => {
    port = await freePort();
  },
  validConfig: () => ({ port, banner: 'one' }),
  updatedConfig: () => ({ port, banner: 'two' }),
  invalidConfig: { port: -1 },
  failingConfig: () => ({ port, banner: 'three', failCreate: true }),
  probe: async (_h, _id, config) => {
    assert.equal(await readBanner(config.port as number), config.banner);
  },
});
