/**
 * Concept search for researchers building a cohort (/api/federation/concepts): keyword search over codes and
 * names in Chinese and English, and batch lookup of a list of codes, over the consortium's vocabularies
 * (src/federation/cohort/search.ts). Pure lookups in memory: no clinical data is read, so nothing is audited.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  COHORT_VOCABULARIES,
  LOOKUP_CODES_MAX,
  lookupCodes,
  SEARCH_LIMIT_MAX,
  SEARCH_QUERY_CHARS_MAX,
  searchConcepts,
} from '../../federation/cohort/index.ts';
import { FEDERATION_ROLES } from './routes.ts';

/** Longest code a lookup accepts, in characters. */
export const LOOKUP_CODE_CHARS_MAX = 64;

/** Query of a concept search: the words, optionally one vocabulary, and how many results. */
export const ConceptSearchQuerySchema = z.strictObject({
  q: z.string().min(1).max(SEARCH_QUERY_CHARS_MAX),
  vocabulary: z.enum(COHORT_VOCABULARIES).optional(),
  limit: z.coerce.number().int().min(1).max(SEARCH_LIMIT_MAX).optional(),
});

/** Body of a batch code lookup: the codes (order kept, repeats reported once), optionally one vocabulary. */
export const ConceptLookupBodySchema = z.strictObject({
  codes: z.array(z.string().min(1).max(LOOKUP_CODE_CHARS_MAX)).min(1).max(LOOKUP_CODES_MAX),
  vocabulary: z.enum(COHORT_VOCABULARIES).optional(),
});

const ConceptSchema = z.object({
  vocabulary: z.enum(COHORT_VOCABULARIES),
  code: z.string(),
  zh: z.string(),
  en: z.string(),
  synonyms: z.array(z.string()).optional(),
  unit: z.string().optional(),
});

/** Answer of a concept search: the hits, best first, with their match score (100 exact code … 30). */
export const ConceptSearchAnswerSchema = z.strictObject({
  hits: z.array(ConceptSchema.extend({ score: z.number() })),
});

/** Answer of a batch lookup: the known codes with their names (and the input they matched), the unknown as given. */
export const ConceptLookupAnswerSchema = z.strictObject({
  known: z.array(ConceptSchema.extend({ input: z.string() })),
  unknown: z.array(z.string()),
});

const security = [{ bearer: [] }];

/** Registers the concept search routes on the hub's user app. */
export function registerConceptRoutes(app: FastifyInstance): void {
  app.get(
    '/api/federation/concepts',
    {
      config: { roles: FEDERATION_ROLES },
      schema: {
        tags: ['federation'],
        summary:
          'Search ICD-10, ICD-9-CM-3, LOINC and ATC concepts by code or by Chinese or English name (case, width and code dots ignored)',
        security,
        querystring: ConceptSearchQuerySchema,
        response: { 200: ConceptSearchAnswerSchema },
      },
    },
    async (request) => {
      const q = request.query as z.infer<typeof ConceptSearchQuerySchema>;
      const hits = searchConcepts(q.q, {
        ...(q.vocabulary === undefined ? {} : { vocabularies: [q.vocabulary] }),
        ...(q.limit === undefined ? {} : { limit: q.limit }),
      });
      return { hits };
    },
  );
  app.post(
    '/api/federation/concepts/lookup',
    {
      config: { roles: FEDERATION_ROLES },
      schema: {
        tags: ['federation'],
        summary: `Look up to ${LOOKUP_CODES_MAX} codes at once: which are known (with their names) and which are not`,
        security,
        body: ConceptLookupBodySchema,
        response: { 200: ConceptLookupAnswerSchema },
      },
    },
    async (request) => {
      const body = request.body as z.infer<typeof ConceptLookupBodySchema>;
      return lookupCodes(body.codes, body.vocabulary === undefined ? {} : { vocabularies: [body.vocabulary] });
    },
  );
}
