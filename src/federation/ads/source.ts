/**
 * The cohort compiler's view of one analysis-layer generation: relations in the generation's schema, the day
 * columns computed at build time, codes as runs of dictionary ids, integer person keys turned back into DWD
 * person_ids only for member lists. Pure: a function of the generation's description.
 */
import type { DwdTable } from '../../model/dwd.ts';
import { type CohortSource, dateKeyOf, EVENT_SOURCES } from '../cohort/index.ts';
import { type CodeDictionary, idRanges } from './dictionary.ts';
import { ADS_EVENT_TABLES, type AdsEventTable, generationSchema } from './layout.ts';

/** What the compiler needs to know about a built generation. */
export interface GenerationInfo {
  /** The generation number (its schema is `g<n>`). */
  generation: number;
  /** Its code dictionary. */
  dictionary: CodeDictionary;
  /** True when its person table has one row per person (identical DWD rows of a person are merged at build). */
  personUnique: boolean;
}

/** A {@link CohortSource} over one generation. */
export function adsCohortSource(info: GenerationInfo): CohortSource {
  const g = generationSchema(info.generation);
  const day = (table: DwdTable) => `e.${ADS_EVENT_TABLES[table as AdsEventTable].day}`;
  return {
    relation: (table) => `${g}.${table}`,
    eventDate: (kind) => day(EVENT_SOURCES[kind].table),
    indexDateKey: (kind) => dateKeyOf(`min(${day(EVENT_SOURCES[kind].table)})`),
    birthKey: 'e.birth_key',
    codeMatch: (column, codes, descendants, params) => {
      const tests = idRanges(info.dictionary, column, codes, descendants).map((r) =>
        r.from === r.to
          ? `e.${column} = ${params.add(r.from)}::integer`
          : `e.${column} between ${params.add(r.from)}::integer and ${params.add(r.to)}::integer`,
      );
      if (tests.length === 0) return 'false';
      return tests.length === 1 ? (tests[0] as string) : `(${tests.join(' or ')})`;
    },
    personUnique: info.personUnique,
    personIdsNotNull: true,
    memberId: { join: ` join ${g}.person_ids k on k.person_id = p.person_id`, column: 'k.dwd_person_id' },
  };
}
