/** The privacy module's public API: de-identification, k-anonymity, classification-based access, field encryption. */
export {
  canSee,
  icd10SpecialCategory,
  type L5Grants,
  projectRow,
  projectRows,
  ROLE_LEVEL_CEILING,
  rowSpecialCategory,
  type SpecialCategory,
} from './access.ts';
export { dateShiftDays, SHIFT_DAYS_MAX, shiftIsoDate, shiftTimestamp } from './date-shift.ts';
export {
  type DeidContext,
  deidentifyExtract,
  type ExtractColumn,
  type ExtractPlan,
  planExtract,
  tableExtract,
} from './deidentify.ts';
export {
  CIPHERTEXT_VERSION,
  ENCRYPTED_FIELDS,
  FieldCrypto,
  KEYRING_FILE,
  parseCiphertext,
} from './field-crypto.ts';
export { ageBand, ageYears, codePrefix, generalizeRare, RARE_VALUE_LABEL, regionPrefix, yearOf } from './generalize.ts';
export {
  checkKAnonymity,
  describeClass,
  type EquivalenceClass,
  type KAnonymityReport,
  suppressToK,
} from './k-anonymity.ts';
export { KEY_BYTES, type KeyProvider, LocalKeyFileProvider } from './key-provider.ts';
export { PROJECT_KEY_BYTES_MIN, pseudonym } from './keyed-hash.ts';
export { SCRUB_TAGS, type ScrubKind, type ScrubResult, scrubText } from './scrub.ts';
export { type DeidSpec, DeidSpecSchema, defaultDeidSpec, type FieldRule, parseDeidSpec, withRules } from './spec.ts';
export {
  PREVIEW_K_DEFAULT,
  PREVIEW_K_MAX,
  PREVIEW_QI_MAX,
  PREVIEW_ROWS_MAX,
  PREVIEW_SAMPLE_DEFAULT,
  PREVIEW_SAMPLE_MAX,
  type PrivacyPreview,
  type PrivacyPreviewPayload,
  PrivacyPreviewPayloadSchema,
  PrivacyPreviewSchema,
  previewDeidentification,
  privacyTaskHandlers,
} from './tasks.ts';
