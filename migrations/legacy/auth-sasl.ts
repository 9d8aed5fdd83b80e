/**
 * emqx_sasl (4.1–4.4, empty conf) and the EE `auth_sasl` module -> auth-scram. Neither has
 * settings: the SCRAM-SHA-1 credentials live in Mnesia (export / API), not in files.
 */
import { defineMapping } from './define-mapping.js';
import { enterpriseMapper } from './auth-enterprise.js';

export const authSasl = defineMapping({
  source: 'emqx_sasl',
  moduleType: 'auth-scram',
  loadedAs: ['emqx_sasl'],
  fields: [],
  enterpriseTypes: ['auth_sasl'],
  fromEnterprise: enterpriseMapper('auth-scram', {}),
});
