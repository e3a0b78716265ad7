/**
 * Shapes of the hub's ingest API: route parameters, queries and bodies, and the answers the nodes' `ingest.*`
 * tasks give (counts, codes and file positions only, never record values). The hub parses every node answer
 * with these before passing it on, so a portal never sees a shape it does not expect; the portal imports the
 * inferred types.
 */
import { z } from 'zod';

const count = z.number().int().nonnegative();
const countsByKey = z.record(z.string().max(200), count);
const name = z.string().max(200);

/** A hospital node name in a route (the same rule as certificate names). */
export const NodeParamsSchema = z.strictObject({ node: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'a node name') });

/** Params of one load's route. */
export const LoadParamsSchema = NodeParamsSchema.extend({
  loadId: z.string().regex(/^[\w-]{1,64}$/, 'a load id'),
});

/** Query of the load history. */
export const LoadsQuerySchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).optional() });

/** Query of the quarantine list. */
export const QuarantineQuerySchema = z.strictObject({
  loadId: z.string().max(64).optional(),
  code: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

/** Query of the unmapped-code list. */
export const UnmappedQuerySchema = z.strictObject({ source: z.string().max(64).optional() });

/** Most code-map entries one request may change. */
export const CODE_ENTRIES_MAX = 1000;

/** Body of a code-map edit: `to: null` removes an entry; the editor is the signed-in user, never the body. */
export const CodesBodySchema = z.strictObject({
  spec: z.string().min(1).max(64),
  codeMap: z.string().min(1).max(64),
  entries: z
    .array(z.strictObject({ code: z.string().min(1).max(100), to: z.string().trim().min(1).max(100).nullable() }))
    .min(1)
    .max(CODE_ENTRIES_MAX),
});

/** Body of a re-run: one source, or the node's only source when absent. */
export const RerunBodySchema = z.strictObject({ source: z.string().max(64).optional() });

/** Progress of the load running on a node. */
export const LoadProgressSchema = z.object({
  phase: z.enum(['landing', 'mapping', 'done']),
  file: name,
  filesDone: count,
  filesTotal: count,
  bytesDone: count,
  bytesTotal: count,
  recordsRead: count,
  rowsLoaded: count,
  rejected: count,
});

/** One row of a node's load history. */
export const LoadRowSchema = z.object({
  loadId: z.string().max(64),
  source: z.string().max(64),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  status: z.string().max(32),
  files: count,
  recordsRead: count,
  rowsLoaded: count,
  rejected: count,
});

/** Answer of the load history: newest first, and the load running now, if any. */
export const LoadsResponseSchema = z.object({
  loads: z.array(LoadRowSchema).max(500),
  running: z.object({ loadId: z.string().max(64), progress: LoadProgressSchema.nullable() }).nullable(),
});

/** A local code no spec maps, as counted in one file or over a source. */
export const UnmappedCountSchema = z.object({
  spec: z.string().max(64),
  codeMap: z.string().max(64),
  code: z.string().max(200),
  name: z.string().max(500).optional(),
  count,
});

/** What loading one file did. */
export const FileSummarySchema = z.object({
  name: z.string().max(1000),
  sha256: z.string().max(64),
  version: count,
  format: z.string().max(32).nullable(),
  status: z.enum(['loaded', 'unchanged', 'failed']),
  recordsRead: count,
  rowsLoaded: count,
  rejected: count,
  skipped: countsByKey,
  rejectsByReason: countsByKey,
  rowsByTable: countsByKey,
  unmapped: z.array(UnmappedCountSchema).max(5000),
  mappingVersions: z.array(z.string().max(100)).max(100),
  error: z.object({ code: z.string().max(64), message: z.string().max(2000) }).optional(),
});

/** Totals of one load. */
export const LoadTotalsSchema = z.object({
  files: count,
  loaded: count,
  unchanged: count,
  failed: count,
  recordsRead: count,
  rowsLoaded: count,
  rejected: count,
  skipped: count,
});

/** One load in full: per file, rejects by reason, rows by table. */
export const LoadSummarySchema = z.object({
  loadId: z.string().max(64),
  source: z.string().max(64),
  startedAt: z.string(),
  finishedAt: z.string(),
  files: z.array(FileSummarySchema).max(100_000),
  totals: LoadTotalsSchema,
  rejectsByReason: countsByKey,
  rowsByTable: countsByKey,
  notarized: z.object({ batchRoot: z.string().max(128), entries: count }).nullable(),
});

/** One quarantined record: where it is and why, never its values. */
export const QuarantineRowSchema = z.object({
  loadId: z.string().max(64),
  source: z.string().max(64),
  file: z.string().max(1000),
  sha256: z.string().max(64),
  position: z.string().max(200),
  code: z.string().max(64),
  message: z.string().max(2000),
  field: z.string().max(200).nullable(),
  mappingVersion: z.string().max(100).nullable(),
});

/** Answer of the quarantine list. */
export const QuarantineResponseSchema = z.object({ rejects: z.array(QuarantineRowSchema).max(1000) });

/** A standard code suggested for a local one. */
export const SuggestionSchema = z.object({
  vocabulary: z.string().max(32),
  code: z.string().max(100),
  name: z.string().max(500),
  score: z.number().min(0).max(1),
});

/** An unmapped local code over a source's current files, with suggestions. */
export const UnmappedRowSchema = UnmappedCountSchema.extend({
  source: z.string().max(64),
  files: count,
  suggestions: z.array(SuggestionSchema).max(20),
});

/** Answer of the unmapped-code list, most frequent first. */
export const UnmappedResponseSchema = z.object({ unmapped: z.array(UnmappedRowSchema).max(100_000) });

/** A mapping spec as the portal lists it (its full rules are kept as the node sent them). */
export const SpecViewSchema = z.looseObject({
  id: z.string().max(64),
  version: z.number().int().min(1),
  description: z.string().max(500).optional(),
  target: z.string().max(64),
  codeMaps: z.record(
    z.string().max(64),
    z.looseObject({ entries: z.record(z.string().max(100), z.string().max(100)), otherwise: z.string().max(16) }),
  ),
});

/** A source profile as the portal lists it. */
export const ProfileViewSchema = z.looseObject({
  source: z.string().max(64),
  description: z.string().max(500).optional(),
  rules: z.array(z.looseObject({ match: z.string().max(200), specs: z.array(z.string().max(64)).max(64) })).max(200),
});

/** Answer of the spec list: the newest version of every spec, and every source profile. */
export const SpecsResponseSchema = z.object({
  specs: z.array(SpecViewSchema).max(1000),
  profiles: z.array(ProfileViewSchema).max(200),
});

/** Answer of a code-map edit: the spec version now in force (`id@version`). */
export const CodesResponseSchema = z.object({ spec: z.string().max(100) });

/** Answer of a re-run: the new load and its totals. */
export const RerunResponseSchema = z.object({ loadId: z.string().max(64), totals: LoadTotalsSchema });

/** A node's load history. */
export type LoadsResponse = z.infer<typeof LoadsResponseSchema>;
/** One row of the load history. */
export type LoadRow = z.infer<typeof LoadRowSchema>;
/** One load in full. */
export type LoadSummaryView = z.infer<typeof LoadSummarySchema>;
/** What loading one file did. */
export type FileSummaryView = z.infer<typeof FileSummarySchema>;
/** Totals of one load. */
export type LoadTotals = z.infer<typeof LoadTotalsSchema>;
/** A quarantined record. */
export type QuarantineRow = z.infer<typeof QuarantineRowSchema>;
/** The quarantine list. */
export type QuarantineResponse = z.infer<typeof QuarantineResponseSchema>;
/** An unmapped code with suggestions. */
export type UnmappedRow = z.infer<typeof UnmappedRowSchema>;
/** A suggested standard code. */
export type Suggestion = z.infer<typeof SuggestionSchema>;
/** The unmapped-code list. */
export type UnmappedResponse = z.infer<typeof UnmappedResponseSchema>;
/** The spec and profile lists. */
export type SpecsResponse = z.infer<typeof SpecsResponseSchema>;
/** A code-map edit. */
export type CodesBody = z.infer<typeof CodesBodySchema>;
/** The answer of a code-map edit. */
export type CodesResponse = z.infer<typeof CodesResponseSchema>;
/** The answer of a re-run. */
export type RerunResponse = z.infer<typeof RerunResponseSchema>;

/** Query of a row's lineage: its lineage columns (source_sha256, source_position, mapping_version). */
export const LineageQuerySchema = z.strictObject({
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex'),
  position: z.string().min(1).max(1000),
  mappingVersion: z.string().max(200).optional(),
});

/** A row's lineage as the node resolves it (src/pipeline/lineage.ts). */
export const LineageSchema = z.object({
  file: z.object({
    sha256: z.string(),
    sizeBytes: z.number(),
    receivedAt: z.string(),
    source: z.string(),
    name: z.string(),
    version: z.number(),
    format: z.string().nullable(),
    loadId: z.string().nullable(),
    loadedAt: z.string().nullable(),
    current: z.boolean(),
  }),
  notarized: z
    .object({
      seq: z.number(),
      batchRoot: z.string(),
      batchSize: z.number(),
      index: z.number(),
      proof: z.array(z.string()),
    })
    .nullable(),
  mapping: z
    .object({ id: z.string(), version: z.number(), createdAt: z.string(), createdBy: z.string(), spec: z.unknown() })
    .nullable(),
  record: z.object({
    position: z.string(),
    found: z.boolean(),
    text: z.string().nullable(),
    truncated: z.boolean(),
  }),
});
/** A lineage answer. */
export type LineageView = z.infer<typeof LineageSchema>;
