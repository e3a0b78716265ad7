/**
 * One merged timeline from several hospitals' FHIR resources: every visit, diagnosis, lab, other observation,
 * drug, procedure, imaging study and note becomes one entry tagged with its hospital, newest first; labs are
 * also grouped per test code into trend series across hospitals. Pure: no I/O, no clock, a stable order
 * (date, then hospital, kind and id), so the same resources always give the same timeline.
 */
import { hospitalOf, type PanoramaResource } from './fhir.ts';

/** Kinds of timeline entries, in the order the portal's filter lists them. */
export const ENTRY_KINDS = [
  'visit',
  'diagnosis',
  'lab',
  'observation',
  'drug',
  'procedure',
  'imaging',
  'note',
] as const;

/** A kind of timeline entry. */
export type EntryKind = (typeof ENTRY_KINDS)[number];

/** One entry of the merged timeline. */
export interface TimelineEntry {
  /** The FHIR resource id (unique across hospitals). */
  id: string;
  hospital: string;
  kind: EntryKind;
  /** 'YYYY-MM-DD' or an ISO date-time. */
  date: string;
  endDate?: string;
  title: string;
  /** The standard concept's English name (labs and drugs coded in the consortium vocabulary). */
  display?: string;
  code?: string;
  /** Value and unit, dose, department, modality…: one line a clinician reads at a glance. */
  detail?: string;
  /** H, L, N or A for labs. */
  flag?: string;
  /** The full text of a note. */
  text?: string;
}

/** One lab test's values across hospitals, oldest first. */
export interface LabSeries {
  code: string;
  title: string;
  display?: string;
  unit: string | null;
  points: { date: string; value: number; hospital: string; flag?: string }[];
}

/** The merged view of a patient. */
export interface MergedTimeline {
  entries: TimelineEntry[];
  labs: LabSeries[];
  /** Entries per hospital. */
  hospitals: Record<string, number>;
}

/** Most entries one merged timeline holds (a bound on what one view ships to a browser). */
export const TIMELINE_ENTRIES_MAX = 20_000;

/** The timeline entry of one resource, or undefined for a Patient (it is the header, not an event). */
export function entryOf(r: PanoramaResource): TimelineEntry | undefined {
  const hospital = hospitalOf(r) ?? 'unknown';
  const id = r.id ?? '';
  switch (r.resourceType) {
    case 'Patient':
      return undefined;
    case 'Encounter':
      return {
        id,
        hospital,
        kind: 'visit',
        date: r.period?.start ?? '',
        ...(r.period?.end ? { endDate: r.period.end } : {}),
        title: r.class?.code ?? 'visit',
        ...(r.serviceType?.text ? { detail: r.serviceType.text } : {}),
      };
    case 'Condition':
      return {
        id,
        hospital,
        kind: 'diagnosis',
        date: r.recordedDate ?? '',
        title: r.code?.text ?? '',
        ...codeOf(r.code?.coding),
        ...(r.category?.some((c) => c.text === 'principal') ? { flag: 'principal' } : {}),
      };
    case 'Observation': {
      const lab = r.category?.some((c) => c.coding?.some((k) => k.code === 'laboratory')) ?? false;
      const q = r.valueQuantity;
      const value = q?.value !== undefined ? `${q.value}${q.unit ? ` ${q.unit}` : ''}` : r.valueString;
      const flag = r.interpretation?.[0]?.coding?.[0]?.code;
      return {
        id,
        hospital,
        kind: lab ? 'lab' : 'observation',
        date: r.effectiveDateTime ?? '',
        title: r.code?.text ?? '',
        ...displayOf(lab ? r.code?.coding : undefined),
        ...codeOf(r.code?.coding),
        ...(value === undefined ? {} : { detail: value }),
        ...(flag === undefined ? {} : { flag }),
      };
    }
    case 'MedicationStatement': {
      const dose = r.dosage?.[0]?.doseAndRate?.[0]?.doseQuantity;
      return {
        id,
        hospital,
        kind: 'drug',
        date: r.effectivePeriod?.start ?? '',
        ...(r.effectivePeriod?.end ? { endDate: r.effectivePeriod.end } : {}),
        title: r.medicationCodeableConcept?.text ?? '',
        ...displayOf(r.medicationCodeableConcept?.coding),
        ...codeOf(r.medicationCodeableConcept?.coding),
        ...(dose?.value === undefined ? {} : { detail: `${dose.value}${dose.unit ? ` ${dose.unit}` : ''}` }),
      };
    }
    case 'Procedure':
      return {
        id,
        hospital,
        kind: 'procedure',
        date: r.performedDateTime ?? '',
        title: r.code?.text ?? '',
        ...codeOf(r.code?.coding),
      };
    case 'ImagingStudy': {
      const parts = [r.modality?.[0]?.code, r.note?.[0]?.text].filter((x): x is string => x !== undefined);
      return {
        id,
        hospital,
        kind: 'imaging',
        date: r.started ?? '',
        title: r.description ?? parts.join(' '),
        ...(parts.length === 0 ? {} : { detail: parts.join(' · ') }),
        ...(r.modality?.[0]?.code ? { code: r.modality[0].code } : {}),
      };
    }
    case 'DocumentReference': {
      const data = r.content?.[0]?.attachment?.data;
      return {
        id,
        hospital,
        kind: 'note',
        date: r.date ?? '',
        title: r.type?.text ?? '',
        ...(data === undefined ? {} : { text: Buffer.from(data, 'base64').toString('utf8') }),
      };
    }
  }
}

/** Merges every hospital's resources into one timeline, newest first, and the lab trend series. */
export function mergeTimeline(resources: readonly PanoramaResource[]): MergedTimeline {
  const entries: TimelineEntry[] = [];
  const labs = new Map<string, LabSeries>();
  const hospitals: Record<string, number> = {};
  for (const r of resources) {
    const e = entryOf(r);
    if (e === undefined) continue;
    if (entries.length >= TIMELINE_ENTRIES_MAX) break;
    entries.push(e);
    hospitals[e.hospital] = (hospitals[e.hospital] ?? 0) + 1;
    if (r.resourceType === 'Observation' && e.kind === 'lab' && e.code !== undefined) {
      const v = r.valueQuantity?.value;
      if (v === undefined || !Number.isFinite(v)) continue;
      const series = labs.get(e.code) ?? {
        code: e.code,
        title: e.title,
        ...(e.display === undefined ? {} : { display: e.display }),
        unit: r.valueQuantity?.unit ?? null,
        points: [],
      };
      series.points.push({ date: e.date, value: v, hospital: e.hospital, ...(e.flag ? { flag: e.flag } : {}) });
      labs.set(e.code, series);
    }
  }
  entries.sort(
    (a, b) =>
      cmp(b.date, a.date) ||
      cmp(a.hospital, b.hospital) ||
      ENTRY_KINDS.indexOf(a.kind) - ENTRY_KINDS.indexOf(b.kind) ||
      cmp(a.id, b.id),
  );
  const series = [...labs.values()].sort((a, b) => cmp(a.code, b.code));
  for (const s of series) s.points.sort((a, b) => cmp(a.date, b.date) || cmp(a.hospital, b.hospital));
  return { entries, labs: series, hospitals };
}

function displayOf(coding: readonly { display?: string }[] | undefined): { display?: string } {
  const display = coding?.[0]?.display;
  return display === undefined ? {} : { display };
}

function codeOf(coding: readonly { code?: string }[] | undefined): { code?: string } {
  const code = coding?.[0]?.code;
  return code === undefined ? {} : { code };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
