/**
 * Concept search for the cohort builder (条件树检索的编码检索): keyword search over codes and names in Chinese and
 * English, and batch lookup of a list of codes. Pure and in memory over concepts.ts; matching ignores case, width
 * (ＨｂＡ１ｃ = HbA1c) and the dots of codes (E11900 = E11.900). Results are bounded.
 */
import { MeridianError } from '../../errors/registry.ts';
import { analyteOfCode, STANDARD_UNIT } from '../../pipeline/units.ts';
import { COHORT_CONCEPTS, COHORT_VOCABULARIES, type CohortConcept, type CohortVocabulary } from './concepts.ts';
import { type CohortCode, type CohortDefinition, cohortCodes } from './schema.ts';

/** Results a search returns unless asked for fewer. */
export const SEARCH_LIMIT_DEFAULT = 20;
/** Most results one search returns. */
export const SEARCH_LIMIT_MAX = 100;
/** Longest query, in characters. */
export const SEARCH_QUERY_CHARS_MAX = 100;
/** Most codes one lookup takes. */
export const LOOKUP_CODES_MAX = 1_000;
/** Longest code a lookup considers (longer ones are unknown). */
const CODE_CHARS_MAX = 64;

/** A known concept as search and lookup return it: names, and the standard unit of a lab when there is one. */
export interface ConceptEntry extends CohortConcept {
  /** The unit DWD stores this lab's values in (labs with a conversion table only). */
  unit?: string;
}

/** One search result: the concept and how well it matched (100 exact code … 30 every word somewhere). */
export interface ConceptHit extends ConceptEntry {
  score: number;
}

/** Options of {@link searchConcepts}. */
export interface SearchConceptsOptions {
  /** Only these vocabularies (default: all). */
  vocabularies?: readonly CohortVocabulary[];
  /** Most results, 1 … {@link SEARCH_LIMIT_MAX} (default {@link SEARCH_LIMIT_DEFAULT}). */
  limit?: number;
  /** Search these concepts instead of the built-in ones (a consortium's extended list). */
  concepts?: readonly CohortConcept[];
}

/** What {@link lookupCodes} returns: the known codes with their names, and the unknown ones as given. */
export interface LookupResult {
  known: (ConceptEntry & { input: string })[];
  unknown: string[];
}

/** Options of {@link lookupCodes}. */
export interface LookupCodesOptions {
  /** Only these vocabularies (default: all). */
  vocabularies?: readonly CohortVocabulary[];
  /** Look up in these concepts instead of the built-in ones. */
  concepts?: readonly CohortConcept[];
}

interface Prepared {
  concept: ConceptEntry;
  /** Normalized code, and the same without dots. */
  code: string;
  codeCompact: string;
  /** Normalized names: zh, en, synonyms. */
  names: string[];
}

const BUILT_IN: readonly CohortConcept[] = COHORT_VOCABULARIES.flatMap((v) => COHORT_CONCEPTS[v]);
const BUILT_IN_PREPARED: readonly Prepared[] = BUILT_IN.map(prepare);

/**
 * Concepts whose code or names match the query, best first: exact code, exact name, code prefix, a name holding
 * the query (the more of the name it covers the better), code substring, then every word of the query somewhere
 * in the concept; ties go to the shorter (broader) code.
 *
 * @example
 * searchConcepts('糖尿病')                          // E11 2型糖尿病, E11.200 …, A10 糖尿病用药
 * searchConcepts('hba1c', { vocabularies: ['LOINC'] }) // 4548-4 糖化血红蛋白 (unit %)
 */
export function searchConcepts(query: string, options: SearchConceptsOptions = {}): ConceptHit[] {
  if (typeof query !== 'string') throw searchError('query', 'is not a string', query);
  if (query.length > SEARCH_QUERY_CHARS_MAX) {
    throw searchError('query', `is longer than ${SEARCH_QUERY_CHARS_MAX} characters`, query.slice(0, 20));
  }
  const q = normalize(query);
  if (q === '') throw searchError('query', 'is empty', query);
  const limit = options.limit ?? SEARCH_LIMIT_DEFAULT;
  if (!Number.isInteger(limit) || limit < 1 || limit > SEARCH_LIMIT_MAX) {
    throw searchError('limit', `is not an integer from 1 to ${SEARCH_LIMIT_MAX}`, limit);
  }
  const vocabularies = checkVocabularies(options.vocabularies);
  const qCompact = q.replaceAll('.', '');
  const tokens = q.split(' ');
  const hits: ConceptHit[] = [];
  for (const entry of prepared(options.concepts)) {
    if (!vocabularies.has(entry.concept.vocabulary)) continue;
    const score = scoreOf(entry, q, qCompact, tokens);
    if (score > 0) hits.push({ ...entry.concept, score });
  }
  const order = (v: CohortVocabulary) => COHORT_VOCABULARIES.indexOf(v);
  hits.sort(
    (a, b) =>
      b.score - a.score ||
      a.code.length - b.code.length ||
      order(a.vocabulary) - order(b.vocabulary) ||
      (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
  return hits.slice(0, limit);
}

/**
 * Batch lookup (批量编码检索): which of the codes are known, with their names, and which are unknown. Codes match
 * ignoring case, width and surrounding spaces; a repeated code is reported once; order is kept.
 *
 * @example
 * lookupCodes(['E11.900', 'i10.X00', 'Z99.999']) // known: E11.900, I10.x00; unknown: ['Z99.999']
 */
export function lookupCodes(codes: readonly string[], options: LookupCodesOptions = {}): LookupResult {
  if (!Array.isArray(codes)) throw searchError('codes', 'is not a list', codes);
  if (codes.length > LOOKUP_CODES_MAX) {
    throw searchError('codes', `has ${codes.length} codes; at most ${LOOKUP_CODES_MAX}`, undefined);
  }
  const vocabularies = checkVocabularies(options.vocabularies);
  const byCode = new Map<string, ConceptEntry[]>();
  for (const entry of prepared(options.concepts)) {
    if (!vocabularies.has(entry.concept.vocabulary)) continue;
    const key = codeKey(entry.concept.code);
    byCode.set(key, [...(byCode.get(key) ?? []), entry.concept]);
  }
  const known: LookupResult['known'] = [];
  const unknown: string[] = [];
  const seen = new Set<string>();
  codes.forEach((input, i) => {
    if (typeof input !== 'string') throw searchError(`codes[${i}]`, 'is not a string', input);
    if (seen.has(input)) return;
    seen.add(input);
    const found = input.length <= CODE_CHARS_MAX ? byCode.get(codeKey(input)) : undefined;
    if (found === undefined) unknown.push(input);
    else for (const concept of found) known.push({ input, ...concept });
  });
  return { known, unknown };
}

/**
 * The codes of a definition that match no known concept (a code with descendants is known when a known code lies
 * under it): what the cohort builder warns about, since a lake may hold codes this list lacks.
 */
export function unknownCohortCodes(def: CohortDefinition, options: LookupCodesOptions = {}): CohortCode[] {
  const entries = prepared(options.concepts);
  const keys = new Map<CohortVocabulary, string[]>();
  for (const e of entries) keys.set(e.concept.vocabulary, [...(keys.get(e.concept.vocabulary) ?? []), e.code]);
  return cohortCodes(def).filter((c) => {
    const known = keys.get(c.vocabulary) ?? [];
    const key = normalize(c.code);
    return !known.some((k) => k === key || (c.descendants && k.startsWith(key)));
  });
}

function prepared(concepts: readonly CohortConcept[] | undefined): readonly Prepared[] {
  return concepts === undefined ? BUILT_IN_PREPARED : concepts.map(prepare);
}

function prepare(concept: CohortConcept): Prepared {
  const unit = concept.vocabulary === 'LOINC' ? unitOf(concept.code) : undefined;
  const code = normalize(concept.code);
  return {
    concept: unit === undefined ? concept : { ...concept, unit },
    code,
    codeCompact: code.replaceAll('.', ''),
    names: [concept.zh, concept.en, ...(concept.synonyms ?? [])].map(normalize),
  };
}

function unitOf(loinc: string): string | undefined {
  const analyte = analyteOfCode(loinc);
  return analyte === undefined ? undefined : STANDARD_UNIT[analyte];
}

function scoreOf(e: Prepared, q: string, qCompact: string, tokens: readonly string[]): number {
  if (e.code === q || e.codeCompact === qCompact) return 100;
  if (e.names.includes(q)) return 90;
  if (e.code.startsWith(q) || (qCompact !== '' && e.codeCompact.startsWith(qCompact))) return 80;
  // A name holding the query scores by how much of the name the query covers: 糖尿病 ranks 2型糖尿病 above
  // 2型糖尿病伴有肾的并发症.
  let best = 0;
  for (const n of e.names) if (n.includes(q)) best = Math.max(best, 50 + Math.floor((29 * q.length) / n.length));
  if (best > 0) return best;
  if (e.code.includes(q)) return 45;
  if (tokens.length > 1 && tokens.every((t) => e.code.includes(t) || e.names.some((n) => n.includes(t)))) return 30;
  return 0;
}

/** Case-, width- and space-insensitive form of a query or name. */
function normalize(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** The key a code is looked up by: width- and case-insensitive, without surrounding spaces. */
function codeKey(code: string): string {
  return code.normalize('NFKC').trim().toUpperCase();
}

function checkVocabularies(list: readonly CohortVocabulary[] | undefined): ReadonlySet<CohortVocabulary> {
  if (list === undefined) return new Set(COHORT_VOCABULARIES);
  for (const [i, v] of list.entries()) {
    if (!COHORT_VOCABULARIES.includes(v)) {
      throw searchError(`vocabularies[${i}]`, `is not one of ${COHORT_VOCABULARIES.join(', ')}`, v);
    }
  }
  return new Set(list);
}

function searchError(field: string, message: string, value: unknown): MeridianError {
  const shown = typeof value === 'string' || typeof value === 'number' ? ` ${JSON.stringify(value)}` : '';
  return new MeridianError('MER_COHORT_SEARCH_INVALID', `${field}${shown} ${message}`, { field });
}
