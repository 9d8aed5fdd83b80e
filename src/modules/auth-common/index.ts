/** Shared primitives of the auth module family (see each file). Import from here. */
export { checkPassword, constantTimeEqual, hashPassword, type PasswordHashConfig } from './password-hash.js';
export {
  compileSqlTemplate,
  normalizeIp,
  placeholderValues,
  sqlParams,
  substitute,
  type PlaceholderValues,
} from './placeholders.js';
export { evaluateAclRows, skipsAclBackend, toAclRow, type AclRow, type AclRowOrder } from './acl-rows.js';
export {
  BackendGuard,
  BackendTimeoutError,
  SERVER_UNAVAILABLE,
  type BackendGuardOptions,
  type GuardResult,
} from './backend-guard.js';
export { compileAclTopic, matchAclTopic, type AclTopic, type TopicMatcher } from './topic.js';
export { registerAuthorize, type AuthorizeRegistration } from './acl-hook.js';
export { compileCidrs, parseCidr, type IpMatcher } from './ip-match.js';
