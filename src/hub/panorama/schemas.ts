/**
 * Request and answer schemas of the panorama routes (/api/panorama/…); the portal imports the types. The search
 * body carries the ID number the clinician typed: it is validated and forwarded to the clinician's own node,
 * never stored or logged by the hub.
 */
import { z } from 'zod';
import { BREAK_GLASS_REASON_MAX, BREAK_GLASS_REASON_MIN, BREAK_GLASS_REASONS } from '../../panorama/reasons.ts';
import { ENTRY_KINDS } from '../../panorama/timeline.ts';

/** Body of POST /api/panorama/search. */
export const SearchBodySchema = z.strictObject({ idNumber: z.string().min(1).max(64) });

/** Body of POST /api/panorama/open: the search handle and, for an emergency view, the reason. */
export const OpenBodySchema = z.strictObject({
  handle: z.string().uuid(),
  breakGlass: z
    .strictObject({
      reasonCode: z.enum(BREAK_GLASS_REASONS),
      reason: z.string().trim().min(BREAK_GLASS_REASON_MIN).max(BREAK_GLASS_REASON_MAX),
    })
    .optional(),
});

/** Answer of a search. */
export const SearchAnswerSchema = z.object({
  handle: z.string(),
  globalId: z.string().nullable(),
  hospital: z.string(),
  localVisits: z.number(),
  breakGlassRequired: z.boolean(),
  hospitals: z.array(z.object({ hospital: z.string(), records: z.number() })),
  expiresAt: z.string(),
});

const TimelineEntrySchema = z.object({
  id: z.string(),
  hospital: z.string(),
  kind: z.enum(ENTRY_KINDS),
  date: z.string(),
  endDate: z.string().optional(),
  title: z.string(),
  display: z.string().optional(),
  code: z.string().optional(),
  detail: z.string().optional(),
  flag: z.string().optional(),
  text: z.string().optional(),
});

const LabSeriesSchema = z.object({
  code: z.string(),
  title: z.string(),
  display: z.string().optional(),
  unit: z.string().nullable(),
  points: z.array(z.object({ date: z.string(), value: z.number(), hospital: z.string(), flag: z.string().optional() })),
});

/** Answer of an open: merged timeline, FHIR resources by hospital and the access records written. */
export const OpenAnswerSchema = z.object({
  globalId: z.string().nullable(),
  breakGlass: z.boolean(),
  patient: z.object({ gender: z.string(), birthYear: z.string().nullable() }).nullable(),
  hospitals: z.array(
    z.object({
      hospital: z.string(),
      status: z.enum(['ok', 'failed']),
      resources: z.number(),
      error: z.object({ code: z.string(), message: z.string() }).optional(),
    }),
  ),
  timeline: z.object({
    entries: z.array(TimelineEntrySchema),
    labs: z.array(LabSeriesSchema),
    hospitals: z.record(z.string(), z.number()),
  }),
  resources: z.record(z.string(), z.array(z.record(z.string(), z.unknown()))),
  access: z.array(
    z.object({
      hospital: z.string(),
      patientToken: z.string(),
      txHash: z.string(),
      height: z.number(),
      contentHash: z.string(),
    }),
  ),
});

/** Answer of a search, as the portal reads it. */
export type SearchAnswerBody = z.infer<typeof SearchAnswerSchema>;
/** Answer of an open, as the portal reads it. */
export type OpenAnswerBody = z.infer<typeof OpenAnswerSchema>;
