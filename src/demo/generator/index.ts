/**
 * The synthetic consortium data generator: deterministic, streaming, three vendor styles (HIS CSV/Excel in
 * GBK, HL7 v2.5, FHIR R4 + DICOM), realistic Chinese identifiers and codes, planted dirt and planted effects,
 * and a ground-truth manifest. See docs/demo-data.md.
 */
export {
  BP_SPELLINGS,
  type BpSpellingId,
  CODE_SYSTEMS,
  DIAGNOSES,
  DRUGS,
  LAB_CANONICAL,
  LABS,
  PROCEDURES,
} from './catalog.ts';
export {
  GENERATOR_VERSION,
  type GenerateConsortiumOptions,
  type GenerateConsortiumResult,
  type GenerateProgress,
  generateConsortium,
} from './generate.ts';
export { hospitalPatientId, TRUTH_HEADER } from './hospital-run.ts';
export {
  fromOldIdNumber,
  idCheckChar,
  isValidIdNumber,
  makeIdNumber,
  parseIdNumber,
  toOldIdNumber,
} from './id-number.ts';
export type {
  ComplicationEffect,
  ConsortiumManifest,
  HospitalManifest,
  LinkGroup,
  SurvivalEffect,
} from './manifest.ts';
export { MANIFEST_SCHEMA } from './manifest.ts';
export { COMPLICATION_MODEL, SURVIVAL_MODEL } from './population.ts';
export { Rng, rootSeed } from './prng.ts';
export {
  type FileSummary,
  IDENTITY_VARIANTS,
  type IdentityVariant,
  IMPOSSIBLE_KINDS,
  type ImpossibleKind,
} from './stats.ts';
