/**
 * Child process of streaming.test.ts, run with --expose-gc: reads one file with a reader, samples the heap after
 * forced collections every `sampleEvery` items, and prints one JSON line { items, seconds, heapGrowthMb }.
 */
import { openCsv } from '../../src/sources/csv.ts';
import { openFhir } from '../../src/sources/fhir.ts';
import type { SourceFile } from '../../src/sources/types.ts';

const [kind, path, sampleEveryArg] = process.argv.slice(2);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined || path === undefined)
  throw new Error('usage: node --expose-gc streaming-child.ts csv|fhir <file> <n>');
const sampleEvery = Number(sampleEveryArg);
const heapMb = (): number => {
  gc();
  return process.memoryUsage().heapUsed / 1e6;
};

const open = (): Promise<SourceFile<object>> => (kind === 'csv' ? openCsv(path) : openFhir(path));
const baseline = heapMb();
let peak = 0;
let items = 0;
let rejects = 0;
const started = performance.now();
for await (const item of await open()) {
  if (item.kind === 'reject') rejects++;
  if (++items % sampleEvery === 0) peak = Math.max(peak, heapMb() - baseline);
}
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ items, rejects, seconds, heapGrowthMb: peak })}\n`);
