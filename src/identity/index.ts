/** The master patient index: normalization and keyed tokens at the node, linkage into global ids at the hub. */
export {
  checkIdNumber,
  type IdNumberCheck,
  type IdNumberProblem,
  normalizeIdNumber,
  normalizeIdNumberStrict,
} from './id-number.ts';
export { DEFAULT_THRESHOLDS, type LinkThresholds } from './linkage.ts';
export {
  type DecryptField,
  identityTaskHandlers,
  type NodeTokenizerDeps,
  readTokenPage,
  type TokenPage,
} from './node.ts';
export {
  type NormalizedIdentity,
  normalizeBirthDate,
  normalizeIdentity,
  normalizeName,
  normalizePhone,
  normalizeSex,
} from './normalize.ts';
export { pinyinKey } from './pinyin.ts';
export { IDENTITY_MIGRATIONS, type IdentityDatabase } from './schema.ts';
export { type IndexStats, LinkageService, type LinkBatchSummary, type ReviewItem, TokenPageSchema } from './service.ts';
export { LinkageKey, type TokenRecord, type Tokens, tokenize } from './tokens.ts';
