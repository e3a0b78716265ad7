/**
 * Mapping specs and source profiles of the three demo hospitals (src/demo/generator): every generated file and
 * record kind mapped to the canonical DWD tables, so `meridian demo` can load the synthetic consortium as is.
 */
import type { MappingSpecInput } from '../../pipeline/mapping.ts';
import type { DemoHospital } from './codes.ts';
import { HOSPITAL_A_PROFILE, HOSPITAL_A_SPECS } from './hospital-a.ts';
import { HOSPITAL_B_PROFILE, HOSPITAL_B_SPECS } from './hospital-b.ts';
import { HOSPITAL_C_PROFILE, HOSPITAL_C_SPECS } from './hospital-c.ts';
import type { SourceProfileInput } from './types.ts';

export { DEMO_HOSPITALS, type DemoHospital } from './codes.ts';
export type { SourceProfileInput } from './types.ts';

/** Each demo hospital's source profile and the mapping specs its rules name. */
export const DEMO_MAPPINGS: Record<DemoHospital, { profile: SourceProfileInput; specs: MappingSpecInput[] }> = {
  'hospital-a': { profile: HOSPITAL_A_PROFILE, specs: HOSPITAL_A_SPECS },
  'hospital-b': { profile: HOSPITAL_B_PROFILE, specs: HOSPITAL_B_SPECS },
  'hospital-c': { profile: HOSPITAL_C_PROFILE, specs: HOSPITAL_C_SPECS },
};
