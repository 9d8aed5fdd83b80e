import assert from 'node:assert/strict';
import { authPsk } from '../../src/modules/auth-psk/index.js';
import type { FakeHookRegistry } from '../helpers/fake-broker.js';
import { runModuleContract } from './module-contract.js';

const config = (identity: string, secret: string): Record<string, unknown> => ({ entries: [{ identity, secret }] });

runModuleContract({
  type: authPsk,
  validConfig: config('dev1', 'key-one'),
  updatedConfig: config('dev2', 'key-two'),
  invalidConfig: config('dev1', 'k'.repeat(300)), // check(): longer than a TLS-PSK key can be
  failingConfig: { ...config('dev3', 'x'), file: '/nonexistent/psk.txt', on_backend_error: 'deny' },
  probe: (h, _id, cfg) => {
    const entry = (cfg.entries as Array<{ identity: string; secret: string }>)[0]!;
    const lookups = (h.fake.hooks as FakeHookRegistry).chain('pskLookup');
    assert.equal(lookups.length, 1);
    assert.equal(lookups[0]!(entry.identity, 'tls')?.toString(), entry.secret);
    assert.equal(lookups[0]!('nobody', 'tls'), undefined);
  },
});
