/**
 * generateConsortium: plans the population, then for each hospital walks its local patients in order —
 * person → local record → vendor-style writer — so only one patient (plus bounded write buffers and one
 * FHIR bundle) is in memory at a time. Writes ground truth and reference tables alongside, and the manifest
 * last (temp file + rename), so a manifest present means a complete data set.
 *
 * ```
 *  seed ─► population plan (who attends which hospital; unique ID numbers)
 *           │ for each hospital h, slot s:
 *           ▼
 *        person(p) ─► local record(h, s) ─► writer A | B | C ─► files + counters
 *                                          └► ground-truth row, link, effect rows
 *  counters + fits ─► manifest.json
 * ```
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { MeridianError } from '../../errors/registry.ts';
import { writeFileAtomic } from '../../store/atomic-file.ts';
import { DEMO_HOSPITALS } from '../consortium.ts';
import {
  BP_SPELLINGS,
  CODE_SYSTEMS,
  DIAGNOSES,
  type DiagnosisKey,
  DRUGS,
  drugLocalCode,
  LAB_CANONICAL,
  LABS,
  PROCEDURES,
} from './catalog.ts';
import { isoDate, parseIsoDay } from './dates.ts';
import type { LinkRecord } from './emit-common.ts';
import { fitCox, fitLogistic } from './fit.ts';
import {
  type HospitalProgress,
  type HospitalRunInput,
  type HospitalRunOutput,
  personId,
  populationOptions,
  runHospital,
  TRUTH_HEADER,
} from './hospital-run.ts';
import type { HospitalWorkerMessage } from './hospital-worker.ts';
import { type ConsortiumManifest, type LinkGroup, MANIFEST_SCHEMA } from './manifest.ts';
import { COMPLICATION_MODEL, planPopulation, SURVIVAL_MODEL } from './population.ts';
import type { FileSummary } from './stats.ts';
import { csvLine, TextSink } from './writers/text-sink.ts';

/** Options of {@link generateConsortium}. */
export interface GenerateConsortiumOptions {
  /** Number of hospitals, 1–3 (hospital-a: HIS CSV/Excel, hospital-b: HL7 v2, hospital-c: FHIR + DICOM). */
  hospitals: number;
  /** Local patients per hospital. */
  patients: number;
  /** Any number or string; the same seed and options give byte-identical files. */
  seed: number | string;
  /** Output directory; must be absent or empty unless `overwrite` is set. */
  outDir: string;
  /** First day of the observation window (YYYY-MM-DD, default 2018-01-01). */
  startDate?: string;
  /** Last day of the observation window (YYYY-MM-DD, default 2024-12-31). */
  endDate?: string;
  /** Share of persons seen at two or more hospitals (default 0.10). */
  overlapRate?: number;
  /** Replace the generator's own output (hospital-*, ground-truth, reference, manifest.json) in a non-empty outDir. */
  overwrite?: boolean;
  /** Patients between progress reports and event-loop yields (default 1000). */
  chunkSize?: number;
  /**
   * Hospitals generated in parallel worker threads (default 1 = all in this thread). On the 2-vCPU reference machine
   * two workers were slower than one thread (see docs/demo-data.md); more cores may gain from up to 3.
   */
  workers?: number;
  /** Called after every chunk. */
  onProgress?: (progress: GenerateProgress) => void;
}

/** A progress report. */
export interface GenerateProgress {
  hospital: string;
  hospitalIndex: number;
  done: number;
  total: number;
}

/** What a generation produced, with its throughput (timings are never written into the manifest). */
export interface GenerateConsortiumResult {
  outDir: string;
  manifestPath: string;
  manifest: ConsortiumManifest;
  elapsedMs: number;
  /** Local patients (all hospitals) per second. */
  patientsPerSecond: number;
  /** Rows, messages, resources and DICOM instances written. */
  rowsWritten: number;
  bytesWritten: number;
  /** Highest resident set size seen between chunks. */
  peakRssBytes: number;
}

/** Generator version recorded in the manifest (bump when the output for a seed changes). */
export const GENERATOR_VERSION = 1;
/** Upper bound of `patients` (per hospital). */
const PATIENTS_MAX = 10_000_000;
/** Upper bound of `chunkSize`. */
const CHUNK_SIZE_MAX = 100_000;
/** Upper bound of `workers`. */
const WORKERS_MAX = 3;
/** Shortest observation window: the survival effect needs follow-up room. */
const WINDOW_DAYS_MIN = 365;
const OWN_ENTRIES = ['hospital-a', 'hospital-b', 'hospital-c', 'ground-truth', 'reference', 'manifest.json'];

function invalid(message: string, details?: Record<string, unknown>): MeridianError {
  return new MeridianError('MER_DEMO_INVALID_OPTION', message, details);
}

interface Validated {
  startDay: number;
  endDay: number;
  overlapRate: number;
  chunkSize: number;
  workers: number;
}

function validate(opts: GenerateConsortiumOptions): Validated {
  if (!Number.isInteger(opts.hospitals) || opts.hospitals < 1 || opts.hospitals > 3) {
    throw invalid('hospitals must be 1, 2 or 3 (one per vendor style)', { hospitals: opts.hospitals });
  }
  if (!Number.isInteger(opts.patients) || opts.patients < 1 || opts.patients > PATIENTS_MAX) {
    throw invalid(`patients must be an integer from 1 to ${PATIENTS_MAX} (per hospital)`, { patients: opts.patients });
  }
  if (typeof opts.seed === 'number' ? !Number.isFinite(opts.seed) : typeof opts.seed !== 'string' || opts.seed === '') {
    throw invalid('seed must be a finite number or a non-empty string');
  }
  if (typeof opts.outDir !== 'string' || opts.outDir.trim() === '') throw invalid('outDir must be a directory path');
  const start = opts.startDate ?? '2018-01-01';
  const end = opts.endDate ?? '2024-12-31';
  const startDay = parseIsoDay(start);
  const endDay = parseIsoDay(end);
  if (startDay === null || endDay === null) {
    throw invalid('startDate and endDate must be real dates written YYYY-MM-DD', { start, end });
  }
  if (startDay < (parseIsoDay('1990-01-01') as number) || endDay > (parseIsoDay('2099-12-31') as number)) {
    throw invalid('the observation window must lie between 1990-01-01 and 2099-12-31', { start, end });
  }
  if (endDay - startDay < WINDOW_DAYS_MIN) {
    throw invalid(`endDate must be at least ${WINDOW_DAYS_MIN} days after startDate`, { start, end });
  }
  const overlapRate = opts.overlapRate ?? 0.1;
  if (!(overlapRate >= 0 && overlapRate <= 0.5))
    throw invalid('overlapRate must be between 0 and 0.5', { overlapRate });
  const chunkSize = opts.chunkSize ?? 1000;
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > CHUNK_SIZE_MAX) {
    throw invalid(`chunkSize must be an integer from 1 to ${CHUNK_SIZE_MAX}`, { chunkSize });
  }
  const workers = opts.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1 || workers > WORKERS_MAX) {
    throw invalid(`workers must be an integer from 1 to ${WORKERS_MAX}`, { workers });
  }
  return { startDay, endDay, overlapRate, chunkSize, workers: Math.min(workers, opts.hospitals) };
}

function prepareOutDir(outDir: string, overwrite: boolean): void {
  if (existsSync(outDir)) {
    if (!statSync(outDir).isDirectory()) throw invalid('outDir exists and is not a directory', { outDir });
    const entries = readdirSync(outDir);
    if (entries.length > 0) {
      if (!overwrite) {
        throw new MeridianError('MER_DEMO_OUTPUT_EXISTS', `${outDir} is not empty`, {
          outDir,
          entries: entries.slice(0, 10),
        });
      }
      const foreign = entries.filter((e) => !OWN_ENTRIES.includes(e) && !e.startsWith('.manifest.json.'));
      if (foreign.length > 0) {
        throw new MeridianError(
          'MER_DEMO_OUTPUT_EXISTS',
          `${outDir} holds files the generator did not write; refusing to overwrite`,
          {
            outDir,
            foreign: foreign.slice(0, 10),
          },
        );
      }
      // The manifest goes first, so an interrupted overwrite never leaves a manifest over mixed data.
      for (const e of ['manifest.json', ...OWN_ENTRIES]) rmSync(join(outDir, e), { recursive: true, force: true });
    }
  }
  mkdirSync(outDir, { recursive: true });
}

/** A data: URL module that registers the TypeScript loader (when running from .ts) and starts a hospital worker. */
function workerBootstrap(): URL {
  const ext = extname(fileURLToPath(import.meta.url));
  const entry = new URL(`./hospital-worker${ext}`, import.meta.url).href;
  const register =
    ext === '.ts'
      ? `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register();\n`
      : '';
  return new URL(`data:text/javascript,${encodeURIComponent(`${register}await import(${JSON.stringify(entry)});`)}`);
}

/** Runs hospitals on worker threads, at most `workers` at once, the heaviest (hospital-c) first. */
async function runInWorkers(
  inputs: readonly HospitalRunInput[],
  workers: number,
  onProgress: (h: number, p: HospitalProgress) => void,
): Promise<HospitalRunOutput[]> {
  const results: HospitalRunOutput[] = [];
  const order = inputs.map((_, i) => i).reverse();
  const running = new Set<Worker>();
  let next = 0;
  let failed = false;
  const runOne = (h: number): Promise<HospitalRunOutput> =>
    new Promise((done, fail) => {
      const worker = new Worker(workerBootstrap(), { workerData: inputs[h], execArgv: [] });
      running.add(worker);
      let settled = false;
      const finish = (error: Error | null, output?: HospitalRunOutput): void => {
        if (settled) return;
        settled = true;
        running.delete(worker);
        void worker.terminate();
        if (error) fail(error);
        else done(output as HospitalRunOutput);
      };
      worker.on('message', (m: HospitalWorkerMessage) => {
        if (m.kind === 'progress') onProgress(h, m);
        else if (m.kind === 'done') finish(null, m.output);
        else finish(Object.assign(new Error(m.message), m.code ? { code: m.code } : {}));
      });
      worker.on('error', (e) => finish(e));
      worker.on('exit', (code) =>
        finish(new Error(`the ${DEMO_HOSPITALS[h]?.name} worker stopped (exit code ${code})`)),
      );
    });
  const lane = async (): Promise<void> => {
    while (!failed && next < order.length) {
      const h = order[next++] as number;
      results[h] = await runOne(h);
    }
  };
  try {
    await Promise.all(Array.from({ length: workers }, lane));
  } catch (e) {
    failed = true;
    await Promise.all([...running].map((w) => w.terminate()));
    throw e;
  }
  return results;
}

/** Concatenates the header and the part files into one file (streaming), removes the parts, returns size and hash. */
function concatParts(target: string, header: string, parts: readonly string[]): { bytes: number; sha256: string } {
  const hash = createHash('sha256');
  const out = openSync(target, 'w');
  let bytes = 0;
  const put = (buf: Buffer): void => {
    let off = 0;
    while (off < buf.length) off += writeSync(out, buf, off, buf.length - off);
    hash.update(buf);
    bytes += buf.length;
  };
  put(Buffer.from(header, 'utf8'));
  const chunk = Buffer.alloc(1 << 20);
  for (const part of parts) {
    const fd = openSync(part, 'r');
    for (let n = readSync(fd, chunk, 0, chunk.length, null); n > 0; n = readSync(fd, chunk, 0, chunk.length, null)) {
      put(chunk.subarray(0, n));
    }
    closeSync(fd);
    rmSync(part);
  }
  closeSync(out);
  return { bytes, sha256: hash.digest('hex') };
}

/** Generates the synthetic consortium's raw hospital exports and the ground-truth manifest. */
export async function generateConsortium(opts: GenerateConsortiumOptions): Promise<GenerateConsortiumResult> {
  const { startDay, endDay, overlapRate, chunkSize, workers } = validate(opts);
  const outDir = resolve(opts.outDir);
  prepareOutDir(outDir, opts.overwrite === true);
  const started = performance.now();
  const base = { seed: opts.seed, hospitals: opts.hospitals, patients: opts.patients, overlapRate, startDay, endDay };
  const plan = planPopulation(populationOptions(base));
  mkdirSync(join(outDir, 'ground-truth'), { recursive: true });
  const names = DEMO_HOSPITALS.slice(0, opts.hospitals).map((h) => h.name);
  const inputs: HospitalRunInput[] = names.map((name, h) => ({
    ...base,
    chunkSize,
    outDir,
    hospital: h,
    truthPartPath: join(outDir, 'ground-truth', `.persons.${name}.part`),
  }));
  const progress = (h: number, p: HospitalProgress): void =>
    opts.onProgress?.({ hospital: names[h] as string, hospitalIndex: h, done: p.done, total: p.total });
  let outputs: HospitalRunOutput[];
  if (workers <= 1) {
    outputs = [];
    for (const [h, input] of inputs.entries()) outputs.push(await runHospital(input, (p) => progress(h, p), plan));
  } else outputs = await runInWorkers(inputs, workers, progress);

  const links = new Map<number, LinkRecord[]>();
  for (const out of outputs) {
    for (const [person, record] of out.links) {
      const list = links.get(person);
      if (list) list.push(record);
      else links.set(person, [record]);
    }
  }
  const truthFile = concatParts(
    join(outDir, 'ground-truth', 'persons.csv'),
    csvLine(TRUTH_HEADER, '\n'),
    inputs.map((i) => i.truthPartPath),
  );
  const groundTruth: FileSummary[] = [
    {
      path: 'ground-truth/persons.csv',
      format: 'csv',
      encoding: 'utf-8',
      ...truthFile,
      rows: { record: outputs.reduce((s, o) => s + o.truthRows, 0) },
    },
    writeLabCatalogue(outDir),
  ];
  const reference: FileSummary[] = [writeDrugTable(outDir)];
  const hospitals = outputs.map((o) => o.manifest);

  const linkGroups: LinkGroup[] = [...links.entries()]
    .filter(([, records]) => records.length > 1)
    .sort(([a], [b]) => a - b)
    .map(([person, records]) => ({
      person: personId(person),
      crossHospital: new Set(records.map((r) => r.hospital)).size > 1,
      records,
    }));

  const byCount: Record<string, number> = {};
  for (let q = 0; q < plan.uniquePersons; q++) {
    const m = plan.memberMask[q] as number;
    const c = String((m & 1) + ((m >> 1) & 1) + ((m >> 2) & 1));
    byCount[c] = (byCount[c] ?? 0) + 1;
  }

  const allFiles = [...hospitals.flatMap((h) => h.files), ...groundTruth, ...reference];
  const manifest: ConsortiumManifest = {
    schema: MANIFEST_SCHEMA,
    generator: { name: 'meridian-demo-generator', version: GENERATOR_VERSION },
    seed: String(opts.seed),
    options: {
      hospitals: opts.hospitals,
      patientsPerHospital: opts.patients,
      startDate: isoDate(startDay),
      endDate: isoDate(endDay),
      overlapRate,
    },
    population: {
      uniquePersons: plan.uniquePersons,
      sharedPersons: plan.sharedPersons,
      overlapRate: round(plan.sharedPersons / plan.uniquePersons, 6),
      personsByHospitalCount: byCount,
    },
    hospitals,
    effects: {
      diabeticComplication: complicationEffect(names, outputs),
      lungCancerSurvival: survivalEffect(names, outputs),
    },
    groundTruth,
    reference,
    totals: {
      files: allFiles.reduce((s, f) => s + (f.files ?? 1), 0),
      bytes: allFiles.reduce((s, f) => s + f.bytes, 0),
      rows: hospitals.flatMap((h) => h.files).reduce((s, f) => s + countRows(f), 0),
    },
    catalogues: catalogues(opts.hospitals),
    links: linkGroups,
  };
  const manifestPath = join(outDir, 'manifest.json');
  writeFileAtomic(manifestPath, manifestText(manifest));
  const elapsedMs = performance.now() - started;
  return {
    outDir,
    manifestPath,
    manifest,
    elapsedMs,
    patientsPerSecond: (opts.patients * opts.hospitals) / (elapsedMs / 1000),
    rowsWritten: manifest.totals.rows,
    bytesWritten: manifest.totals.bytes,
    peakRssBytes: Math.max(process.memoryUsage.rss(), ...outputs.map((o) => o.peakRssBytes)),
  };
}

/** The manifest as text: two-space indented, except one line per link group (there can be tens of thousands). */
function manifestText(manifest: ConsortiumManifest): string {
  const marker = '"__LINKS__"';
  const head = JSON.stringify({ ...manifest, links: '__LINKS__' }, null, 2);
  const links =
    manifest.links.length === 0 ? '[]' : `[\n${manifest.links.map((l) => `    ${JSON.stringify(l)}`).join(',\n')}\n  ]`;
  return `${head.replace(marker, () => links)}\n`;
}

/** The data rows of a file entry: CSV rows, HL7 messages, FHIR resources or entries, DICOM instances. */
function countRows(f: FileSummary): number {
  switch (f.format) {
    case 'hl7v2':
      return f.rows.message ?? 0;
    case 'fhir-bundle':
      return f.rows.entry ?? 0;
    case 'dicom':
      return f.rows.instance ?? 0;
    default:
      return Object.values(f.rows).reduce((s, n) => s + n, 0);
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function complicationEffect(
  names: readonly string[],
  outputs: readonly HospitalRunOutput[],
): ConsortiumManifest['effects']['diabeticComplication'] {
  const data = {
    x: outputs.flatMap((o) => o.effects.logistic.x),
    y: outputs.flatMap((o) => o.effects.logistic.y),
    byHospital: Object.fromEntries(
      outputs.map((o, h) => [
        names[h] as string,
        { n: o.effects.logistic.y.length, events: o.effects.logistic.y.reduce((s, v) => s + v, 0) },
      ]),
    ),
  };
  const fit =
    data.x.length >= 10 && data.y.some((v) => v === 1) && data.y.some((v) => v === 0)
      ? fitLogistic(data.x, data.y)
      : null;
  const covariates = ['hba1cPercent', 'ageYears', 'bmiKgM2'];
  return {
    description: 'Type 2 diabetic complication (E11.2/E11.3/E11.4) drawn from a logistic model of HbA1c, age and BMI',
    population:
      'persons with a type 2 diabetes diagnosis (E11.900 or E11.900x001) at their home hospital; one analysis row per person, at the home hospital only',
    outcome: 'any diagnosis coded E11.2*, E11.3* or E11.4* at the home hospital on or after the index date',
    covariates: {
      hba1cPercent:
        'HbA1c (NGSP %) of the index visit = the first HbA1c at the home hospital; hospital-c reports IFCC mmol/mol: % = mmol/mol / 10.929 + 2.15, rounded to 1 decimal, recovers it exactly',
      ageYears:
        'completed years of age on the index date (the first E11 diagnosis date at the home hospital = the date of the index HbA1c)',
      bmiKgM2: "BMI (kg/m2, 1 decimal) written at the index visit; a person's BMI is the same at every measurement",
    },
    truth: { intercept: COMPLICATION_MODEL.intercept, coefficients: { ...COMPLICATION_MODEL.coefficients } },
    sample: { n: data.y.length, events: data.y.reduce((s, v) => s + v, 0), byHospital: data.byHospital },
    sampleFit: fit
      ? {
          intercept: fit.coefficients[0] as number,
          coefficients: Object.fromEntries(covariates.map((n, i) => [n, fit.coefficients[i + 1] as number])),
          standardErrors: Object.fromEntries(
            ['intercept', ...covariates].map((n, i) => [n, fit.standardErrors[i] as number]),
          ),
          converged: fit.converged,
        }
      : null,
  };
}

function survivalEffect(
  names: readonly string[],
  outputs: readonly HospitalRunOutput[],
): ConsortiumManifest['effects']['lungCancerSurvival'] {
  const data = {
    time: outputs.flatMap((o) => o.effects.survival.time),
    event: outputs.flatMap((o) => o.effects.survival.event),
    x: outputs.flatMap((o) => o.effects.survival.x),
    byHospital: Object.fromEntries(
      outputs.map((o, h) => [
        names[h] as string,
        { n: o.effects.survival.time.length, deaths: o.effects.survival.event.filter(Boolean).length },
      ]),
    ),
  };
  const deaths = data.event.filter(Boolean).length;
  const fit = data.time.length >= 10 && deaths >= 2 ? fitCox(data.time, data.event, data.x) : null;
  const covariates = ['everSmoker', 'agePer10YearsOver60'];
  return {
    description: 'Lung cancer survival: exponential hazard with a hazard ratio for ever-smoking and for age',
    population: 'persons with a lung cancer diagnosis (C34.900) at their home hospital; rows at the home hospital only',
    timeOrigin: 'first C34 diagnosis (admission) date at the home hospital',
    event:
      'death: hospital-a his_patient.csv 死亡日期, hospital-b ADT^A03 PID-29/PID-30 (PV1-36 = 20), hospital-c Patient.deceasedDateTime',
    censoring:
      'alive at the last visit at the home hospital (administrative end of the window or loss to follow-up); time = that visit date minus the origin, in days',
    covariates: {
      everSmoker:
        '1 for current or former smokers: notes (吸烟史…/已戒烟… vs 否认吸烟史) at hospital-a and hospital-c, OBX 72166-2 at hospital-b, Observation 72166-2 at hospital-c',
      agePer10YearsOver60: '(completed years of age at diagnosis - 60) / 10',
    },
    truth: {
      baselineHazardPerYear: SURVIVAL_MODEL.baselineHazardPerYear,
      hazardRatios: {
        everSmoker: SURVIVAL_MODEL.hazardRatios.everSmoker,
        agePer10YearsOver60: SURVIVAL_MODEL.hazardRatios.per10YearsOfAgeOver60,
      },
      lossToFollowUpPerYear: SURVIVAL_MODEL.lossToFollowUpPerYear,
    },
    sample: { n: data.time.length, deaths, censored: data.time.length - deaths, byHospital: data.byHospital },
    sampleFit: fit
      ? {
          coefficients: Object.fromEntries(covariates.map((n, i) => [n, fit.coefficients[i] as number])),
          hazardRatios: Object.fromEntries(covariates.map((n, i) => [n, Math.exp(fit.coefficients[i] as number)])),
          standardErrors: Object.fromEntries(covariates.map((n, i) => [n, fit.standardErrors[i] as number])),
          converged: fit.converged,
        }
      : null,
  };
}

function catalogues(hospitals: number): ConsortiumManifest['catalogues'] {
  const names = DEMO_HOSPITALS.slice(0, hospitals).map((h) => h.name);
  return {
    bloodPressureSpellings: BP_SPELLINGS.filter((b) => names.includes(b.hospital)),
    labs: Object.fromEntries(
      names.map((name, h) => [
        name,
        Object.values(LABS[h] ?? {}).map((t) => ({
          key: t.key,
          code: t.code,
          name: t.name,
          unit: t.unit,
          loinc: t.loinc,
          factorFromCanonical: t.factor,
          offsetFromCanonical: t.offset,
          canonicalUnit: LAB_CANONICAL[t.key].unit,
        })),
      ]),
    ),
    drugs: DRUGS.map((d, i) => ({
      generic: d.generic,
      atc: d.atc,
      localCodes: Object.fromEntries(names.map((name, h) => [name, drugLocalCode(h, i)])),
    })),
    diagnoses: (Object.keys(DIAGNOSES) as DiagnosisKey[]).map((key) => {
      const d = DIAGNOSES[key] as { code: string; name: string; yibao?: { code: string } };
      return d.yibao
        ? { key, code: d.code, name: d.name, yibaoCode: d.yibao.code }
        : { key, code: d.code, name: d.name };
    }),
    procedures: Object.entries(PROCEDURES).map(([key, p]) => ({ key, code: p.code, name: p.name })),
    codeSystems: { ...CODE_SYSTEMS },
  };
}

function writeLabCatalogue(outDir: string): FileSummary {
  const sink = new TextSink(join(outDir, 'ground-truth', 'lab-catalogue.csv'), 'utf-8');
  sink.write(
    csvLine(
      [
        'hospital',
        'local_code',
        'local_name',
        'local_unit',
        'loinc',
        'canonical_unit',
        'factor_from_canonical',
        'offset_from_canonical',
      ],
      '\n',
    ),
  );
  let rows = 0;
  DEMO_HOSPITALS.forEach((h, i) => {
    for (const t of Object.values(LABS[i] ?? {})) {
      sink.write(
        csvLine(
          [h.name, t.code, t.name, t.unit, t.loinc, LAB_CANONICAL[t.key].unit, String(t.factor), String(t.offset)],
          '\n',
        ),
      );
      rows++;
    }
  });
  return {
    path: 'ground-truth/lab-catalogue.csv',
    format: 'csv',
    encoding: 'utf-8',
    ...sink.close(),
    rows: { test: rows },
  };
}

function writeDrugTable(outDir: string): FileSummary {
  mkdirSync(join(outDir, 'reference'), { recursive: true });
  const sink = new TextSink(join(outDir, 'reference', 'drug-atc.csv'), 'utf-8');
  sink.write(
    csvLine(['通用名', 'ATC', 'hospital-a 药品编码', 'hospital-b DrugCode', 'hospital-c MedicationRequest code'], '\n'),
  );
  for (const [i, d] of DRUGS.entries()) {
    sink.write(csvLine([d.generic, d.atc, drugLocalCode(0, i), drugLocalCode(1, i), drugLocalCode(2, i)], '\n'));
  }
  return {
    path: 'reference/drug-atc.csv',
    format: 'csv',
    encoding: 'utf-8',
    ...sink.close(),
    rows: { drug: DRUGS.length },
  };
}
