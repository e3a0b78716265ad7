/**
 * One hospital's whole generation: walk its local patients in order (person → local record → vendor writer),
 * write its part of the ground truth, and return everything the manifest needs from it. A pure function of
 * its input and the seed, so hospitals can run in parallel worker threads and still give the same bytes.
 */

import { DEMO_HOSPITALS } from '../consortium.ts';
import { BP_SPELLINGS, DIAGNOSES } from './catalog.ts';
import { isoDate } from './dates.ts';
import type { Emitter, EmitterContext, LinkRecord } from './emit-common.ts';
import { HospitalAEmitter, hospitalAPatientId } from './hospital-a.ts';
import { HospitalBEmitter, hospitalBPatientId } from './hospital-b.ts';
import { HospitalCEmitter, hospitalCPatientId } from './hospital-c.ts';
import type { HospitalManifest } from './manifest.ts';
import { makePerson, type Person, type PopulationOptions, type PopulationPlan, planPopulation } from './population.ts';
import { rootSeed } from './prng.ts';
import { buildLocalRecord } from './records.ts';
import { HospitalStats } from './stats.ts';
import { csvLine, TextSink } from './writers/text-sink.ts';

/** What one hospital's run needs (plain data, so it can cross into a worker thread). */
export interface HospitalRunInput {
  seed: number | string;
  hospitals: number;
  patients: number;
  overlapRate: number;
  startDay: number;
  endDay: number;
  chunkSize: number;
  outDir: string;
  hospital: number;
  /** Where this hospital's ground-truth rows go (no header; concatenated in hospital order later). */
  truthPartPath: string;
}

/** Rows of the planted effects recorded at this hospital (home persons only). */
export interface EffectRows {
  logistic: { x: number[][]; y: number[] };
  survival: { time: number[]; event: boolean[]; x: number[][] };
}

/** What one hospital's run returns (plain data). */
export interface HospitalRunOutput {
  manifest: HospitalManifest;
  /** [person index, record] in the order the records were written. */
  links: [number, LinkRecord][];
  effects: EffectRows;
  truthRows: number;
  peakRssBytes: number;
}

/** A progress report of one hospital. */
export interface HospitalProgress {
  done: number;
  total: number;
}

const STYLES: HospitalManifest['style'][] = ['his-csv-excel', 'hl7v2', 'fhir-dicom'];

/** Columns of ground-truth/persons.csv. */
export const TRUTH_HEADER = [
  'hospital',
  'patient_id',
  'person_id',
  'home',
  'shared',
  'sex',
  'birth_date',
  'id_number',
  'name',
  'smoking',
  'apoe',
  'mmse',
  'height_cm',
  'weight_kg',
  'bmi',
  'diabetes',
  'diabetes_index_date',
  'hba1c_index_percent',
  'age_at_index',
  'complication_probability',
  'complication_code',
  'complication_date',
  'lung_cancer_dx_date',
  'age_at_dx',
  'death_date',
  'last_follow_up_date',
  'survival_time_days',
  'survival_event',
];

/** The manifest's name for person index `index`. */
export function personId(index: number): string {
  return `P${String(index + 1).padStart(7, '0')}`;
}

/** The local patient id a hospital gives a slot (hospital-a 10 digits, hospital-b M…, hospital-c C…). */
export function hospitalPatientId(hospital: number, slot: number): string {
  if (hospital === 0) return hospitalAPatientId(slot);
  if (hospital === 1) return hospitalBPatientId(slot);
  return hospitalCPatientId(slot);
}

function truthRow(hospital: string, patientId: string, p: Person, home: boolean): string[] {
  const dm = p.diabetesTruth;
  const ca = p.lungCancer;
  const d = (day: number | null | undefined): string => (day === null || day === undefined ? '' : isoDate(day));
  return [
    hospital,
    patientId,
    personId(p.index),
    home ? '1' : '0',
    (p.memberMask & (p.memberMask - 1)) !== 0 ? '1' : '0',
    p.sex,
    isoDate(p.birthDay),
    p.idNumber,
    p.name.full,
    p.smoking.status,
    p.apoe,
    p.mmse === null ? '' : String(p.mmse),
    String(p.heightCm),
    p.weightKg.toFixed(1),
    p.bmi.toFixed(1),
    p.diabetes ? '1' : '0',
    d(dm?.indexDay),
    dm ? dm.hba1c.toFixed(1) : '',
    dm ? String(dm.ageAtIndex) : '',
    dm ? dm.probability.toFixed(6) : '',
    dm?.complication ? DIAGNOSES[dm.complication].code : '',
    dm?.complication ? d(dm.complicationDay) : '',
    d(ca?.dxDay),
    ca ? String(ca.ageAtDx) : '',
    d(p.deathDay),
    d(ca?.lastFollowUpDay),
    ca ? String(ca.timeDays) : '',
    ca ? (ca.event ? '1' : '0') : '',
  ];
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((done) => setImmediate(done));
}

/** The population options of a run. */
export function populationOptions(
  input: Omit<HospitalRunInput, 'hospital' | 'truthPartPath' | 'outDir' | 'chunkSize'>,
): PopulationOptions {
  return {
    root: rootSeed(input.seed),
    hospitals: input.hospitals,
    patients: input.patients,
    overlapRate: input.overlapRate,
    startDay: input.startDay,
    endDay: input.endDay,
  };
}

/** Generates one hospital's files; `plan` may be passed when the caller already computed it. */
export async function runHospital(
  input: HospitalRunInput,
  onProgress: (p: HospitalProgress) => void,
  plan?: PopulationPlan,
): Promise<HospitalRunOutput> {
  const h = input.hospital;
  const info = DEMO_HOSPITALS[h];
  if (!info) throw new RangeError(`no demo hospital number ${h + 1}`);
  const popOpts = populationOptions(input);
  const population = plan ?? planPopulation(popOpts);
  const root = popOpts.root;
  const stats = new HospitalStats(info.name);
  const links: [number, LinkRecord][] = [];
  const effects: EffectRows = { logistic: { x: [], y: [] }, survival: { time: [], event: [], x: [] } };
  const ctx: EmitterContext = {
    root,
    outDir: input.outDir,
    hospital: h,
    name: info.name,
    displayName: info.displayName,
    startDay: input.startDay,
    endDay: input.endDay,
    stats,
    link(person, record) {
      links.push([person, record]);
    },
  };
  const emitter: Emitter =
    h === 0 ? new HospitalAEmitter(ctx) : h === 1 ? new HospitalBEmitter(ctx) : new HospitalCEmitter(ctx);
  const truth = new TextSink(input.truthPartPath, 'utf-8');
  const slots = population.slots[h] as Int32Array;
  let peakRssBytes = process.memoryUsage.rss();
  try {
    for (let slot = 0; slot < input.patients; slot++) {
      const person = makePerson(population, popOpts, slots[slot] as number);
      const record = buildLocalRecord(root, person, h, slot);
      emitter.add(record);
      truth.write(csvLine(truthRow(info.name, hospitalPatientId(h, slot), person, record.isHome), '\n'));
      if (record.isHome && person.diabetesTruth) {
        const dm = person.diabetesTruth;
        effects.logistic.x.push([1, dm.hba1c, dm.ageAtIndex, person.bmi]);
        effects.logistic.y.push(dm.complication ? 1 : 0);
      }
      if (record.isHome && person.lungCancer) {
        const ca = person.lungCancer;
        effects.survival.time.push(ca.timeDays);
        effects.survival.event.push(ca.event);
        effects.survival.x.push([ca.everSmoker ? 1 : 0, (ca.ageAtDx - 60) / 10]);
      }
      if ((slot + 1) % input.chunkSize === 0 || slot + 1 === input.patients) {
        peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
        onProgress({ done: slot + 1, total: input.patients });
        if (emitter.drain) await emitter.drain();
        await yieldToEventLoop();
      }
    }
    await emitter.close();
  } catch (e) {
    emitter.abort?.();
    throw e;
  } finally {
    truth.close();
  }
  return {
    manifest: {
      name: info.name,
      displayName: info.displayName,
      style: STYLES[h] as HospitalManifest['style'],
      directory: info.name,
      localPatients: stats.localPatients,
      nearDuplicateRegistrations: stats.nearDuplicateRegistrations,
      files: stats.files,
      problems: stats.problems,
      identityVariants: stats.identityVariants,
      bloodPressure: Object.fromEntries(
        BP_SPELLINGS.filter((b) => stats.bloodPressure[b.id] !== undefined).map((b) => [
          b.id,
          stats.bloodPressure[b.id] as number,
        ]),
      ),
      dateStyles: stats.dateStyles,
      notes: stats.notes,
    },
    links,
    effects,
    truthRows: input.patients,
    peakRssBytes,
  };
}
