/**
 * Worker-thread entry: runs one hospital's generation (see hospital-run.ts) from `workerData` and reports
 * progress, the result, or the error to the parent. Started by generate.ts through a small bootstrap that
 * registers the TypeScript loader first.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type HospitalRunInput, runHospital } from './hospital-run.ts';

/** Messages a hospital worker posts. */
export type HospitalWorkerMessage =
  | { kind: 'progress'; done: number; total: number }
  | { kind: 'done'; output: Awaited<ReturnType<typeof runHospital>> }
  | { kind: 'error'; message: string; code?: string };

const port = parentPort;
if (port) {
  const post = (m: HospitalWorkerMessage): void => port.postMessage(m);
  runHospital(workerData as HospitalRunInput, (p) => post({ kind: 'progress', ...p })).then(
    (output) => post({ kind: 'done', output }),
    (e: unknown) => {
      const err = e as { message?: string; code?: string };
      post({ kind: 'error', message: err.message ?? String(e), ...(err.code ? { code: err.code } : {}) });
    },
  );
}
