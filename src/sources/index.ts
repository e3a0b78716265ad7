/**
 * Source readers for hospital exports (see docs/sources.md). Other folders import from here only.
 *
 *   file ──detectFormat──► reader.open (file-level MeridianError) ──► for await (item of file)
 *                                                                      ├─ { kind: 'record', position, … }
 *                                                                      └─ { kind: 'reject', position, reason }
 */
import { MeridianError } from '../errors/registry.ts';
import { type CsvInfo, type CsvOptions, type CsvPayload, openCsv } from './csv.ts';
import { detectFileFormat } from './detect.ts';
import { type DicomInfo, type DicomOptions, type DicomPayload, openDicom } from './dicom.ts';
import { type ExcelInfo, type ExcelOptions, type ExcelPayload, openExcel } from './excel.ts';
import { type FhirInfo, type FhirOptions, type FhirPayload, openFhir } from './fhir.ts';
import { type Hl7FileOptions, type Hl7Info, type Hl7Payload, openHl7File } from './hl7v2.ts';
import { type OmopInfo, type OmopOptions, type OmopPayload, openOmop } from './omop.ts';
import type { SourceFile, SourceFormat } from './types.ts';

export * from './csv.ts';
export { CSV_DELIMITERS, CsvParser, detectDelimiter } from './csv-parser.ts';
export * from './detect.ts';
export * from './dicom.ts';
export * from './excel.ts';
export * from './fhir.ts';
export { FHIR_SCHEMAS, isFhirDate, isFhirDateTime, isFhirInstant, validateResource } from './fhir-schemas.ts';
export * from './hl7-message.ts';
export * from './hl7v2.ts';
export * from './mllp.ts';
export * from './omop.ts';
export { parseEncodingLabel, type TextEncoding } from './text.ts';
export * from './types.ts';

/** Payload, info and options of each format's reader. */
export interface SourceFormatMap {
  csv: { payload: CsvPayload; info: CsvInfo; options: CsvOptions };
  excel: { payload: ExcelPayload; info: ExcelInfo; options: ExcelOptions };
  hl7v2: { payload: Hl7Payload; info: Hl7Info; options: Hl7FileOptions };
  fhir: { payload: FhirPayload; info: FhirInfo; options: FhirOptions };
  dicom: { payload: DicomPayload; info: DicomInfo; options: DicomOptions };
  omop: { payload: OmopPayload; info: OmopInfo; options: OmopOptions };
}

/** A file opened by `openSource`, tagged with its format so a `switch (src.format)` narrows its items. */
export type AnySourceFile = {
  [F in SourceFormat]: SourceFile<SourceFormatMap[F]['payload'], SourceFormatMap[F]['info']> & { format: F };
}[SourceFormat];

/** Options of `openSource`: a format (detected when absent) and the options of its reader. */
export type OpenSourceOptions = { format?: SourceFormat } & CsvOptions &
  ExcelOptions &
  Hl7FileOptions &
  FhirOptions &
  DicomOptions &
  OmopOptions;

/** Opens any source file with the reader for its format (given or detected). */
export async function openSource(file: string, options: OpenSourceOptions = {}): Promise<AnySourceFile> {
  const format = options.format ?? (await detectFileFormat(file));
  switch (format) {
    case 'csv':
      return (await openCsv(file, options)) as AnySourceFile;
    case 'excel':
      return (await openExcel(file, options)) as AnySourceFile;
    case 'hl7v2':
      return (await openHl7File(file, options)) as AnySourceFile;
    case 'fhir':
      return (await openFhir(file, options)) as AnySourceFile;
    case 'dicom':
      return (await openDicom(file, options)) as AnySourceFile;
    case 'omop':
      return (await openOmop(file, options)) as AnySourceFile;
    case undefined:
      throw new MeridianError(
        'MER_SOURCE_FORMAT',
        `Cannot tell the format of ${file}; give one of csv, excel, hl7v2, fhir, dicom, omop`,
        { file },
      );
  }
}
