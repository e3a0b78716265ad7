/** Types shared by the demo hospitals' mapping configuration. */
import type { z } from 'zod';
import type { SourceProfileSchema } from '../../pipeline/profile.ts';

/** A source profile as written (before validation). */
export type SourceProfileInput = z.input<typeof SourceProfileSchema>;
