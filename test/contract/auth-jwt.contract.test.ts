import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { authJwt } from '../../src/modules/auth-jwt/index.js';
import { runModuleContract } from './module-contract.js';

const token = (secret: string): Promise<string> => new SignJWT({ sub: 's' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));

runModuleContract({
  type: authJwt,
  validConfig: { secret: 'first-secret' },
  updatedConfig: { secret: 'second-secret' },
  invalidConfig: { secret: 'x', jwks_url: 'ftp://127.0.0.1/jwks' }, // check() refuses non-http URLs
  failingConfig: { secret: 'x', pubkey: '/nonexistent/modmq-jwt.pem' }, // create cannot read it
  probe: async (h, _id, config) => {
    const secret = String(config.secret);
    const other = secret === 'first-secret' ? 'second-secret' : 'first-secret';
    const ask = async (s: string) =>
      h.fake.authenticate({ client: h.fake.connect({ clientId: 'c', username: 'u' }), password: Buffer.from(await token(s)) });
    assert.equal((await ask(secret)).result, 'allow');
    assert.equal((await ask(other)).result, 'deny');
  },
});
