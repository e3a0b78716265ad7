/**
 * Hub side of the master patient index: takes pages of token records from nodes, links them incrementally
 * into stable global patient ids (linkage.ts does the deciding), keeps a review queue for borderline pairs
 * and records merges, splits and decisions as events. Everything it stores or reads is a token, a block key
 * made of tokens, a node-local record key or an id it made itself.
 *
 * One batch is one transaction under an advisory lock, so two hubs on one Postgres (or two batches at once)
 * never allocate the same global id or link against a half-written batch. A batch id seen before returns its
 * stored summary (a node may resend a page).
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import { z } from 'zod';
import { MeridianError } from '../errors/registry.ts';
import { estimateModel, matchProbability, PATTERNS, unpackPattern, weightTable } from './fellegi-sunter.ts';
import {
  BLOCK_SIZE_MAX,
  blockKeys,
  compareCandidates,
  DEFAULT_THRESHOLDS,
  type LinkThresholds,
  type PlayRecord,
  pairKey,
  resolveLinkage,
} from './linkage.ts';
import type { IdentityDatabase } from './schema.ts';
import { TOKEN_LENGTH, type TokenRecord, TokenRecordSchema, type Tokens } from './tokens.ts';

/** Default most token records one batch may carry. */
export const BATCH_RECORDS_MAX = 50_000;
/** Rows per INSERT statement (keeps the bind parameters well under Postgres' 65,535). */
const INSERT_ROWS = 1_000;
/** Values per `IN (…)` lookup. */
const LOOKUP_CHUNK = 1_000;
/** Most rows a listing returns. */
export const LIST_LIMIT_MAX = 1_000;
/** Advisory lock key for linkage (any constant; one per hub database). */
const LOCK_KEY = 604_811_001;

const BATCH_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** A page of token records as a node answers `identity.tokens`. */
export const TokenPageSchema = z.strictObject({
  hospital: z.string().max(63),
  keyId: z.string().length(TOKEN_LENGTH),
  records: z.array(z.unknown()),
  next: z.string().max(128).nullable(),
});

/** Options of {@link LinkageService}. */
export interface LinkageServiceOptions {
  db: Kysely<IdentityDatabase>;
  now: () => Date;
  thresholds?: LinkThresholds;
  blockSizeMax?: number;
  batchRecordsMax?: number;
}

/** What one linked batch did. */
export interface LinkBatchSummary {
  batchId: string;
  hospital: string;
  records: number;
  added: number;
  changed: number;
  unchanged: number;
  candidatePairs: number;
  links: { id: number; fs: number; review: number };
  reviewsQueued: number;
  newGlobals: number;
  attached: number;
  merges: number;
  refused: number;
  skippedBlocks: number;
  model: { prior: number; lambdaCandidates: number; iterations: number };
}

/** Aggregate figures of the index, from {@link LinkageService.stats}. */
export interface IndexStats {
  recordsByHospital: Record<string, number>;
  persons: number;
  sharedPersons: number;
  reviews: Record<'pending' | 'accepted' | 'rejected', number>;
  events: Record<string, number>;
}

/** A review-queue item (record ids and comparison levels only). */
export interface ReviewItem {
  reviewId: string;
  recordA: string;
  recordB: string;
  weight: number;
  probability: number;
  comparison: Record<string, number | null>;
  status: 'pending' | 'accepted' | 'rejected';
  decidedBy: string | null;
}

interface ModelCounts {
  candidate: number[];
  random: number[];
}

type Trx = Transaction<IdentityDatabase>;

/** The hub's master patient index. */
export class LinkageService {
  readonly #db: Kysely<IdentityDatabase>;
  readonly #now: () => Date;
  readonly #thresholds: LinkThresholds;
  readonly #blockSizeMax: number;
  readonly #batchRecordsMax: number;

  constructor(opts: LinkageServiceOptions) {
    this.#db = opts.db;
    this.#now = opts.now;
    this.#thresholds = opts.thresholds ?? DEFAULT_THRESHOLDS;
    this.#blockSizeMax = opts.blockSizeMax ?? BLOCK_SIZE_MAX;
    this.#batchRecordsMax = opts.batchRecordsMax ?? BATCH_RECORDS_MAX;
  }

  /**
   * Links one page of token records that node `from` sent (its `identity.tokens` answer). Records new to the
   * index get a global id (an existing one when they link to it); changed records are re-linked; existing
   * ids are never renumbered, and two existing ids joined by a new record are merged (the older survives).
   */
  async linkPage(input: { from: string; batchId: string; page: unknown }): Promise<LinkBatchSummary> {
    if (!BATCH_ID.test(input.batchId)) throw invalid('the batch id is not allowed (letters, digits, _ . : -)');
    const page = TokenPageSchema.safeParse(input.page);
    if (!page.success) throw invalid(`the token page is malformed: ${page.error.issues[0]?.message ?? ''}`);
    if (page.data.hospital !== input.from)
      throw invalid(`node ${input.from} sent tokens labelled as another hospital`, { from: input.from });
    if (page.data.records.length > this.#batchRecordsMax)
      throw invalid(`a batch may carry at most ${this.#batchRecordsMax} records`, {
        records: page.data.records.length,
      });
    const byKey = new Map<string, TokenRecord>();
    for (const [i, raw] of page.data.records.entries()) {
      const r = TokenRecordSchema.safeParse(raw);
      if (!r.success)
        throw invalid(`token record ${i} is malformed: ${r.error.issues[0]?.message ?? ''}`, { index: i });
      if (r.data.hospital !== input.from)
        throw invalid(`token record ${i} names another hospital than its sender`, { index: i });
      byKey.set(r.data.recordKey, r.data);
    }
    return this.#db
      .transaction()
      .execute((trx) => this.#link(trx, input.from, input.batchId, page.data.keyId, [...byKey.values()]));
  }

  async #link(trx: Trx, hospital: string, batchId: string, keyId: string, batch: TokenRecord[]) {
    await lock(trx);
    const done = await trx
      .selectFrom('identity_batches')
      .select('summary')
      .where('batch_id', '=', batchId)
      .executeTakeFirst();
    if (done) return JSON.parse(done.summary) as LinkBatchSummary;
    const storedKey = await getState(trx, 'key_id');
    if (storedKey === null) await setState(trx, 'key_id', keyId);
    else if (storedKey !== keyId)
      throw new MeridianError(
        'MER_IDENTITY_KEY_MISMATCH',
        `node ${hospital} tokenized under another linkage key than the consortium's; nothing was linked`,
        { hospital },
      );
    const now = this.#now();
    const ids = batch.map((r) => `${hospital}:${r.recordKey}`);
    const existing = new Map<string, { tokens: string; global_id: string }>();
    for (const chunk of chunks(ids, LOOKUP_CHUNK))
      for (const row of await trx
        .selectFrom('identity_records')
        .select(['record_id', 'tokens', 'global_id'])
        .where('record_id', 'in', chunk)
        .execute())
        existing.set(row.record_id, row);
    const play: PlayRecord[] = [];
    let unchanged = 0;
    let changed = 0;
    batch.forEach((r, i) => {
      const id = ids[i] as string;
      const tokens = canonicalTokens(r.tokens);
      const before = existing.get(id);
      if (before && before.tokens === JSON.stringify(tokens)) {
        unchanged++;
        return;
      }
      if (before) changed++;
      play.push({ recordId: id, tokens, globalId: before?.global_id ?? null, active: true });
    });
    const activeIds = new Set(play.map((p) => p.recordId));
    const changedIds = play.filter((p) => p.globalId !== null).map((p) => p.recordId);
    for (const chunk of chunks(changedIds, LOOKUP_CHUNK))
      await trx.deleteFrom('identity_blocks').where('record_id', 'in', chunk).execute();

    // Existing records that share a block with an active one, then every record of their globals.
    const blockMembers = new Map<string, string[]>();
    const activeKeys = new Map<string, number>();
    for (const p of play) for (const k of blockKeys(p.tokens)) activeKeys.set(k, (activeKeys.get(k) ?? 0) + 1);
    for (const chunk of chunks([...activeKeys.keys()], LOOKUP_CHUNK))
      for (const row of await trx
        .selectFrom('identity_blocks')
        .select(['block_key', 'record_id'])
        .where('block_key', 'in', chunk)
        .execute())
        blockMembers.set(row.block_key, [...(blockMembers.get(row.block_key) ?? []), row.record_id]);
    const neighbours = new Set<string>();
    for (const [k, members] of blockMembers)
      if (members.length + (activeKeys.get(k) ?? 0) <= this.#blockSizeMax)
        for (const m of members) if (!activeIds.has(m)) neighbours.add(m);
    const globals = new Set<string>(play.flatMap((p) => (p.globalId === null ? [] : [p.globalId])));
    for (const chunk of chunks([...neighbours], LOOKUP_CHUNK))
      for (const row of await trx
        .selectFrom('identity_records')
        .select('global_id')
        .where('record_id', 'in', chunk)
        .execute())
        globals.add(row.global_id);
    for (const chunk of chunks([...globals], LOOKUP_CHUNK))
      for (const row of await trx
        .selectFrom('identity_records')
        .select(['record_id', 'tokens', 'global_id'])
        .where('global_id', 'in', chunk)
        .execute())
        if (!activeIds.has(row.record_id))
          play.push({
            recordId: row.record_id,
            tokens: JSON.parse(row.tokens) as Tokens,
            globalId: row.global_id,
            active: false,
          });
    const decisions = await loadDecisions(
      trx,
      play.map((p) => p.recordId),
    );

    const compared = compareCandidates(play, { blockSizeMax: this.#blockSizeMax });
    const counts = (JSON.parse((await getState(trx, 'model_counts')) ?? 'null') as ModelCounts | null) ?? {
      candidate: new Array<number>(PATTERNS).fill(0),
      random: new Array<number>(PATTERNS).fill(0),
    };
    counts.candidate = counts.candidate.map((c, p) => c + (compared.candidateCounts[p] ?? 0));
    counts.random = counts.random.map((c, p) => c + (compared.randomCounts[p] ?? 0));
    await setState(trx, 'model_counts', JSON.stringify(counts));
    const total = await trx
      .selectFrom('identity_records')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    const added = play.filter((p) => p.active && p.globalId === null).length;
    const model = estimateModel({
      candidateCounts: counts.candidate,
      randomCounts: counts.random,
      records: Number(total.n) + added,
    });
    const weights = weightTable(model);
    const plan = resolveLinkage({
      records: play,
      pairs: compared.pairs,
      weights,
      thresholds: this.#thresholds,
      decisions,
    });

    // Global ids: new clusters, attachments, merges.
    const assigned = new Map<number, string>();
    let seq = Number((await getState(trx, 'global_seq')) ?? '0');
    const newGlobalRows: { global_id: string; created_batch: string; created_at: Date; merged_into: null }[] = [];
    for (const cluster of plan.newClusters) {
      const g = `G${String(++seq).padStart(9, '0')}`;
      newGlobalRows.push({ global_id: g, created_batch: batchId, created_at: now, merged_into: null });
      for (const i of cluster) assigned.set(i, g);
    }
    await setState(trx, 'global_seq', String(seq));
    for (const a of plan.attachments) assigned.set(a.record, a.globalId);
    for (const rows of chunks(newGlobalRows, INSERT_ROWS))
      await trx.insertInto('identity_globals').values(rows).execute();

    const recordRows = play
      .map((p, i) => ({ p, i }))
      .filter(({ p }) => p.active)
      .map(({ p, i }) => ({
        record_id: p.recordId,
        hospital,
        record_key: p.recordId.slice(hospital.length + 1),
        tokens: JSON.stringify(p.tokens),
        global_id: assigned.get(i) ?? (p.globalId as string),
        batch_id: batchId,
        updated_at: now,
      }));
    for (const rows of chunks(recordRows, INSERT_ROWS))
      await trx
        .insertInto('identity_records')
        .values(rows)
        .onConflict((oc) =>
          oc.column('record_id').doUpdateSet((eb) => ({
            tokens: eb.ref('excluded.tokens'),
            batch_id: eb.ref('excluded.batch_id'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    for (const m of plan.merges)
      await mergeGlobals(trx, m.survivor, m.merged, { actor: `node:${hospital}`, batchId, at: now });

    const blockRows = play
      .filter((p) => p.active)
      .flatMap((p) => blockKeys(p.tokens).map((k) => ({ block_key: k, record_id: p.recordId })));
    for (const rows of chunks(blockRows, INSERT_ROWS * 2))
      await trx
        .insertInto('identity_blocks')
        .values(rows)
        .onConflict((oc) => oc.doNothing())
        .execute();

    const linkRows = plan.links.map((l) => {
      const [a, b] = sortedIds(play, l.a, l.b);
      return {
        record_a: a,
        record_b: b,
        kind: l.kind,
        weight: Number.isFinite(l.weight) ? l.weight : null,
        batch_id: batchId,
      };
    });
    for (const rows of chunks(linkRows, INSERT_ROWS))
      await trx
        .insertInto('identity_links')
        .values(rows)
        .onConflict((oc) => oc.doNothing())
        .execute();

    let reviewSeq = Number((await getState(trx, 'review_seq')) ?? '0');
    const reviewRows = plan.reviews.map((r) => {
      const [a, b] = sortedIds(play, r.a, r.b);
      return {
        review_id: `R${String(++reviewSeq).padStart(9, '0')}`,
        record_a: a,
        record_b: b,
        weight: r.weight,
        probability: matchProbability(r.weight),
        comparison: JSON.stringify(unpackPattern(r.pattern)),
        status: 'pending' as const,
        created_batch: batchId,
        created_at: now,
        decided_by: null,
        decided_at: null,
      };
    });
    for (const rows of chunks(reviewRows, INSERT_ROWS))
      await trx
        .insertInto('identity_reviews')
        .values(rows)
        .onConflict((oc) => oc.doNothing())
        .execute();
    await setState(trx, 'review_seq', String(reviewSeq));

    const count = (kind: string) => plan.links.filter((l) => l.kind === kind).length;
    const summary: LinkBatchSummary = {
      batchId,
      hospital,
      records: batch.length,
      added,
      changed,
      unchanged,
      candidatePairs: compared.pairs.length,
      links: { id: count('id'), fs: count('fs'), review: count('review') },
      reviewsQueued: reviewRows.length,
      newGlobals: newGlobalRows.length,
      attached: plan.attachments.length,
      merges: plan.merges.reduce((n, m) => n + m.merged.length, 0),
      refused: plan.refused,
      skippedBlocks: compared.skippedBlocks,
      model: { prior: model.prior, lambdaCandidates: model.lambdaCandidates, iterations: model.iterations },
    };
    await trx
      .insertInto('identity_batches')
      .values({
        batch_id: batchId,
        hospital,
        received_at: now,
        records: batch.length,
        summary: JSON.stringify(summary),
      })
      .execute();
    return summary;
  }

  /** The current global id of a record (`<hospital>:<recordKey>`), or null when the index does not hold it. */
  async globalIdOf(recordId: string): Promise<string | null> {
    const row = await this.#db
      .selectFrom('identity_records')
      .select('global_id')
      .where('record_id', '=', recordId)
      .executeTakeFirst();
    return row?.global_id ?? null;
  }

  /** The records of one global id (hospital, node-local key, tokens), by record id; at most {@link LIST_LIMIT_MAX}. */
  async recordsOfGlobal(globalId: string): Promise<{ hospital: string; recordKey: string; tokens: Tokens }[]> {
    const rows = await this.#db
      .selectFrom('identity_records')
      .select(['hospital', 'record_key', 'tokens'])
      .where('global_id', '=', globalId)
      .orderBy('record_id')
      .limit(LIST_LIMIT_MAX)
      .execute();
    return rows.map((r) => ({ hospital: r.hospital, recordKey: r.record_key, tokens: JSON.parse(r.tokens) as Tokens }));
  }

  /** Where a (possibly merged) global id lives now: follows merged_into to the surviving id. */
  async resolveGlobalId(globalId: string): Promise<string | null> {
    let current = globalId;
    for (let hops = 0; hops < 64; hops++) {
      const row = await this.#db
        .selectFrom('identity_globals')
        .select('merged_into')
        .where('global_id', '=', current)
        .executeTakeFirst();
      if (!row) return null;
      if (row.merged_into === null) return current;
      current = row.merged_into;
    }
    return null;
  }

  /** Every record id with its global id, sorted by record id (`after` pages through). */
  async assignments(opts: { after?: string; limit?: number } = {}): Promise<{ recordId: string; globalId: string }[]> {
    const rows = await this.#db
      .selectFrom('identity_records')
      .select(['record_id', 'global_id'])
      .where('record_id', '>', opts.after ?? '')
      .orderBy('record_id')
      .limit(Math.min(opts.limit ?? LIST_LIMIT_MAX, LIST_LIMIT_MAX))
      .execute();
    return rows.map((r) => ({ recordId: r.record_id, globalId: r.global_id }));
  }

  /** Review-queue items, oldest first. */
  async reviews(opts: { status?: 'pending' | 'accepted' | 'rejected'; limit?: number } = {}): Promise<ReviewItem[]> {
    let q = this.#db.selectFrom('identity_reviews').selectAll();
    if (opts.status) q = q.where('status', '=', opts.status);
    const rows = await q
      .orderBy('review_id')
      .limit(Math.min(opts.limit ?? LIST_LIMIT_MAX, LIST_LIMIT_MAX))
      .execute();
    return rows.map((r) => ({
      reviewId: r.review_id,
      recordA: r.record_a,
      recordB: r.record_b,
      weight: r.weight,
      probability: r.probability,
      comparison: JSON.parse(r.comparison) as Record<string, number | null>,
      status: r.status,
      decidedBy: r.decided_by,
    }));
  }

  /**
   * Records a reviewer's decision. Accepting links the pair (merging their global ids unless that would join
   * two different ID numbers or a rejected pair); rejecting keeps them apart in every later run.
   */
  async decide(input: { reviewId: string; decision: 'accept' | 'reject'; by: string }): Promise<{ merged: boolean }> {
    return this.#db.transaction().execute(async (trx) => {
      await lock(trx);
      const review = await trx
        .selectFrom('identity_reviews')
        .selectAll()
        .where('review_id', '=', input.reviewId)
        .executeTakeFirst();
      if (!review) throw new MeridianError('MER_IDENTITY_NOT_FOUND', `no review item ${input.reviewId}`);
      if (review.status !== 'pending')
        throw new MeridianError(
          'MER_IDENTITY_REVIEW_DECIDED',
          `review item ${input.reviewId} is already ${review.status}`,
        );
      const now = this.#now();
      const accepted = input.decision === 'accept';
      await trx
        .updateTable('identity_reviews')
        .set({ status: accepted ? 'accepted' : 'rejected', decided_by: input.by, decided_at: now })
        .where('review_id', '=', input.reviewId)
        .execute();
      const globals = await trx
        .selectFrom('identity_records')
        .select(['record_id', 'global_id'])
        .where('record_id', 'in', [review.record_a, review.record_b])
        .execute();
      const ga = globals.find((g) => g.record_id === review.record_a)?.global_id ?? '';
      const gb = globals.find((g) => g.record_id === review.record_b)?.global_id ?? '';
      let merged = false;
      if (accepted) {
        await trx
          .insertInto('identity_links')
          .values({
            record_a: review.record_a,
            record_b: review.record_b,
            kind: 'review',
            weight: null,
            batch_id: input.reviewId,
          })
          .onConflict((oc) => oc.doNothing())
          .execute();
        if (ga !== gb) {
          const rows = await trx
            .selectFrom('identity_records')
            .select(['record_id', 'tokens', 'global_id'])
            .where('global_id', 'in', [ga, gb])
            .execute();
          const play: PlayRecord[] = rows.map((r) => ({
            recordId: r.record_id,
            tokens: JSON.parse(r.tokens) as Tokens,
            globalId: r.global_id,
            active: false,
          }));
          const decisions = await loadDecisions(
            trx,
            play.map((p) => p.recordId),
          );
          const plan = resolveLinkage({ records: play, pairs: [], weights: new Float64Array(PATTERNS), decisions });
          for (const m of plan.merges) {
            await mergeGlobals(trx, m.survivor, m.merged, { actor: input.by, batchId: null, at: now });
            merged = true;
          }
        }
      }
      await trx
        .insertInto('identity_events')
        .values({
          at: now,
          kind: accepted ? 'review-accepted' : 'review-rejected',
          global_id: ga,
          other_global_id: gb === ga ? null : gb,
          record_id: null,
          actor: input.by,
          batch_id: null,
          detail: JSON.stringify({
            reviewId: input.reviewId,
            recordA: review.record_a,
            recordB: review.record_b,
            merged,
          }),
        })
        .execute();
      return { merged };
    });
  }

  /**
   * Splits a record out of its global patient into a new global id (a wrong link found later). The record's
   * links are removed and rejections against the other members recorded, so no later run joins them again.
   */
  async split(input: { recordId: string; by: string; reason: string }): Promise<{ globalId: string; from: string }> {
    return this.#db.transaction().execute(async (trx) => {
      await lock(trx);
      const record = await trx
        .selectFrom('identity_records')
        .select(['record_id', 'global_id'])
        .where('record_id', '=', input.recordId)
        .executeTakeFirst();
      if (!record) throw new MeridianError('MER_IDENTITY_NOT_FOUND', `no record ${input.recordId} in the index`);
      const others = await trx
        .selectFrom('identity_records')
        .select('record_id')
        .where('global_id', '=', record.global_id)
        .where('record_id', '!=', input.recordId)
        .execute();
      if (others.length === 0) return { globalId: record.global_id, from: record.global_id };
      const now = this.#now();
      const seq = Number((await getState(trx, 'global_seq')) ?? '0') + 1;
      await setState(trx, 'global_seq', String(seq));
      const g = `G${String(seq).padStart(9, '0')}`;
      await trx
        .insertInto('identity_globals')
        .values({ global_id: g, created_batch: `split:${input.recordId}`, created_at: now, merged_into: null })
        .execute();
      await trx
        .updateTable('identity_records')
        .set({ global_id: g, updated_at: now })
        .where('record_id', '=', input.recordId)
        .execute();
      await trx
        .deleteFrom('identity_links')
        .where((eb) => eb.or([eb('record_a', '=', input.recordId), eb('record_b', '=', input.recordId)]))
        .execute();
      let reviewSeq = Number((await getState(trx, 'review_seq')) ?? '0');
      for (const rows of chunks(others, INSERT_ROWS))
        await trx
          .insertInto('identity_reviews')
          .values(
            rows.map((o) => {
              const [a, b] = pairKey(input.recordId, o.record_id).split('|') as [string, string];
              return {
                review_id: `R${String(++reviewSeq).padStart(9, '0')}`,
                record_a: a,
                record_b: b,
                weight: 0,
                probability: 0,
                comparison: '{}',
                status: 'rejected' as const,
                created_batch: `split:${input.recordId}`,
                created_at: now,
                decided_by: input.by,
                decided_at: now,
              };
            }),
          )
          .onConflict((oc) =>
            oc
              .columns(['record_a', 'record_b'])
              .doUpdateSet({ status: 'rejected', decided_by: input.by, decided_at: now }),
          )
          .execute();
      await setState(trx, 'review_seq', String(reviewSeq));
      await trx
        .insertInto('identity_events')
        .values({
          at: now,
          kind: 'split',
          global_id: g,
          other_global_id: record.global_id,
          record_id: input.recordId,
          actor: input.by,
          batch_id: null,
          detail: JSON.stringify({ reason: input.reason }),
        })
        .execute();
      return { globalId: g, from: record.global_id };
    });
  }

  /**
   * Aggregate figures of the index (no record ids): records per hospital, global ids, global ids seen at two or
   * more hospitals, and reviews by status — what the portal's dashboard and linkage page show.
   */
  async stats(): Promise<IndexStats> {
    const byHospital = await this.#db
      .selectFrom('identity_records')
      .select(['hospital', sql<number>`count(*)::integer`.as('n')])
      .groupBy('hospital')
      .orderBy('hospital')
      .execute();
    const [globals] = await sql<{ persons: number; shared: number }>`
      select count(*)::integer as persons, count(*) filter (where hospitals > 1)::integer as shared
      from (select global_id, count(distinct hospital) as hospitals from identity_records group by global_id) g`
      .execute(this.#db)
      .then((r) => r.rows);
    const reviews = await this.#db
      .selectFrom('identity_reviews')
      .select(['status', sql<number>`count(*)::integer`.as('n')])
      .groupBy('status')
      .execute();
    const events = await this.#db
      .selectFrom('identity_events')
      .select(['kind', sql<number>`count(*)::integer`.as('n')])
      .groupBy('kind')
      .execute();
    return {
      recordsByHospital: Object.fromEntries(byHospital.map((r) => [r.hospital, Number(r.n)])),
      persons: Number(globals?.persons ?? 0),
      sharedPersons: Number(globals?.shared ?? 0),
      reviews: {
        pending: 0,
        accepted: 0,
        rejected: 0,
        ...Object.fromEntries(reviews.map((r) => [r.status, Number(r.n)])),
      },
      events: Object.fromEntries(events.map((r) => [r.kind, Number(r.n)])),
    };
  }

  /** Merge, split and decision events in order (`afterSeq` pages through). */
  async events(opts: { afterSeq?: number; limit?: number } = {}) {
    const rows = await this.#db
      .selectFrom('identity_events')
      .selectAll()
      .where('seq', '>', opts.afterSeq ?? 0)
      .orderBy('seq')
      .limit(Math.min(opts.limit ?? LIST_LIMIT_MAX, LIST_LIMIT_MAX))
      .execute();
    return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }));
  }
}

/** Folds `merged` global ids into `survivor`: records move, the merged ids point at the survivor, events recorded. */
async function mergeGlobals(
  trx: Trx,
  survivor: string,
  merged: readonly string[],
  ctx: { actor: string; batchId: string | null; at: Date },
): Promise<void> {
  await trx.updateTable('identity_records').set({ global_id: survivor }).where('global_id', 'in', merged).execute();
  await trx
    .updateTable('identity_globals')
    .set({ merged_into: survivor })
    .where((eb) => eb.or([eb('global_id', 'in', merged), eb('merged_into', 'in', merged)]))
    .execute();
  await trx
    .insertInto('identity_events')
    .values(
      merged.map((g) => ({
        at: ctx.at,
        kind: 'merge' as const,
        global_id: survivor,
        other_global_id: g,
        record_id: null,
        actor: ctx.actor,
        batch_id: ctx.batchId,
        detail: '{}',
      })),
    )
    .execute();
}

/** Reviewers' verdicts on pairs among the given records. */
async function loadDecisions(trx: Trx, recordIds: readonly string[]): Promise<Map<string, 'accepted' | 'rejected'>> {
  const out = new Map<string, 'accepted' | 'rejected'>();
  const set = new Set(recordIds);
  for (const chunk of chunks([...set], LOOKUP_CHUNK))
    for (const r of await trx
      .selectFrom('identity_reviews')
      .select(['record_a', 'record_b', 'status'])
      .where('status', '!=', 'pending')
      .where((eb) => eb.or([eb('record_a', 'in', chunk), eb('record_b', 'in', chunk)]))
      .execute())
      if (set.has(r.record_a) && set.has(r.record_b) && r.status !== 'pending')
        out.set(pairKey(r.record_a, r.record_b), r.status);
  return out;
}

async function lock(trx: Trx): Promise<void> {
  await sql`select pg_advisory_xact_lock(${LOCK_KEY})`.execute(trx);
}

async function getState(trx: Trx, name: string): Promise<string | null> {
  const row = await trx.selectFrom('identity_state').select('value').where('name', '=', name).executeTakeFirst();
  return row?.value ?? null;
}

async function setState(trx: Trx, name: string, value: string): Promise<void> {
  await trx
    .insertInto('identity_state')
    .values({ name, value })
    .onConflict((oc) => oc.column('name').doUpdateSet({ value }))
    .execute();
}

/** Tokens with keys in a fixed order (and folds sorted), so an unchanged record compares equal as JSON. */
function canonicalTokens(t: Tokens): Tokens {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(t).sort()) {
    const v = t[k as keyof Tokens];
    if (v !== undefined) out[k] = Array.isArray(v) ? [...v].sort() : v;
  }
  return out as Tokens;
}

function sortedIds(play: readonly PlayRecord[], a: number, b: number): [string, string] {
  return pairKey((play[a] as PlayRecord).recordId, (play[b] as PlayRecord).recordId).split('|') as [string, string];
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

function invalid(message: string, details?: Record<string, unknown>): MeridianError {
  return new MeridianError('MER_IDENTITY_INVALID_TOKENS', message, details);
}
