/**
 * The shape of a node's catalog aggregates (`catalog.aggregates`): what the node sends and the hub parses.
 * Counts are disclosure-controlled at the node (disclosure.ts): a null count is one under the minimum cell.
 */
import { z } from 'zod';
import { CATALOG_TABLE_NAMES } from './definitions.ts';

const count = z.number().int().nonnegative();
/** A count the node withheld (null) because it is under the minimum cell. */
const released = count.nullable();

/** One value distribution as released (categories, years or a histogram). */
export const DistributionSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.enum(['categories', 'years']),
    categories: z.array(z.object({ value: z.string(), count })),
    other: released,
  }),
  z.object({
    kind: z.literal('histogram'),
    bins: z.array(z.object({ from: z.number().nullable(), to: z.number().nullable(), count: released })),
  }),
]);

/** One field at one node: non-null rows, their share of the table's rows, and its distribution (if any). */
export const FieldAggregateSchema = z.object({
  nonNull: released,
  /** Share of the table's rows with a value (0–1); null when a count it derives from is withheld. */
  share: z.number().min(0).max(1).nullable(),
  distribution: DistributionSchema.nullable(),
});

/** One day of loads at a node. */
export const LoadDaySchema = z.object({
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  loads: count,
  failed: count,
  records: count,
  rows: count,
});

/** The answer of `catalog.aggregates`. */
export const NodeAggregatesSchema = z.object({
  takenAt: z.string(),
  minCell: z.number().int().positive(),
  persons: released,
  visits: released,
  ods: z.object({ files: count, bytes: count, records: count }),
  dwd: z.object({
    rows: count,
    bytes: count,
    tables: z.partialRecord(z.enum(CATALOG_TABLE_NAMES), z.object({ rows: released, bytes: count })),
  }),
  loads: z.array(LoadDaySchema),
  fields: z.record(z.string(), z.record(z.string(), FieldAggregateSchema)),
});

/** One value distribution as released. */
export type Distribution = z.infer<typeof DistributionSchema>;
/** One field's aggregates at one node. */
export type FieldAggregate = z.infer<typeof FieldAggregateSchema>;
/** One day of loads at a node. */
export type LoadDay = z.infer<typeof LoadDaySchema>;
/** A node's catalog aggregates. */
export type NodeAggregates = z.infer<typeof NodeAggregatesSchema>;
