/**
 * Cox proportional hazards regression by Newton–Raphson, exact across nodes in two ways:
 *
 * - stratified by node: each node returns the log partial likelihood, score and information of its own
 *   strata at the current coefficients; the hub adds them (the pooled stratified fit is the same sums);
 * - unstratified: each node returns, for every time of an agreed grid of (binned) event times, the sums
 *   over its risk set S0 = Σ exp(xβ), S1 = Σ x·exp(xβ), S2 = Σ xx'·exp(xβ), the event count and Σ x over
 *   the events (plus the same sums over the events for Efron's ties); the hub adds them per time, which
 *   gives exactly the pooled partial likelihood. Every message is a sum, so secure aggregation applies.
 *
 *   hub: coxHubStart ──β──▶ nodes: coxNodeStep | coxRiskSetNodeStep ──sums──▶ hub: coxHubStep ──β'──▶ …
 *
 * The iteration mirrors R's coxph (start at 0, Newton steps, halving while the log-likelihood falls,
 * converged when |1 − ℓ_old/ℓ_new| ≤ 1e-9, at most 20 iterations, the variance from the information at the
 * final coefficients); covariates are centered on an agreed vector first, which leaves β unchanged but
 * keeps S2/S0 − (S1/S0)² free of cancellation.
 */
import { MeridianError } from '../errors/registry.ts';
import { checkLevel, chiSquareUpperP, normalCriticalValue, normalTwoSidedP } from './distributions.ts';
import { cholesky, choleskyInverse, choleskySolve, fromSquare, toSquare } from './linalg.ts';

/** How tied event times are handled: Breslow's approximation (R's default in most software) or Efron's. */
export type CoxTies = 'breslow' | 'efron';
/** Default convergence tolerance on |1 − ℓ_old/ℓ_new| (R's coxph.control eps). */
export const COX_TOLERANCE_DEFAULT = 1e-9;
/** Default most Newton iterations (R's coxph.control iter.max). */
export const COX_ITERATIONS_MAX_DEFAULT = 20;
/** Largest number of covariates a Cox model accepts. */
export const COX_COLUMNS_MAX = 200;
/** Largest event-time grid of the unstratified protocol (each time carries p(p+1)/2 sums). */
export const COX_GRID_MAX = 100_000;
/** R's toler.inf (√eps): a next Newton step above this share of a coefficient marks it as infinite. */
const INFINITE_STEP_RELATIVE = Math.sqrt(COX_TOLERANCE_DEFAULT);

/** One node's survival rows: follow-up time, event status (1 event, 0 censored), covariates, optional strata. */
export interface CoxData {
  time: readonly number[];
  status: readonly number[];
  X: readonly (readonly number[])[];
  /** Stratum of each row (the pooled stratified reference uses the node's name). */
  strata?: readonly (string | number)[];
  /** Covariate names for messages (defaults to x1, x2, …). */
  names?: readonly string[];
}

/** A node's rows validated and centered once, sorted by time within strata, ready for every round. */
export interface CoxPackedData {
  readonly rows: number;
  readonly p: number;
  /** Row-major rows × p, centered on the agreed center. */
  readonly x: Float64Array;
  readonly time: Float64Array;
  readonly status: Uint8Array;
  /** Row indices of each stratum, latest time first. */
  readonly strata: readonly Int32Array[];
}

/** Log partial likelihood, score and information at one β: a node's share (stratified) or the hub's total. */
export interface CoxEvaluation {
  p: number;
  n: number;
  events: number;
  loglik: number;
  gradient: number[];
  information: number[][];
}

/**
 * One node's risk-set sums at each time of the agreed grid (unstratified protocol). Matrices are packed
 * upper triangles: entry (j, k ≥ j) at j·p − j(j−1)/2 + (k − j). The `d*` sums over each time's events are
 * present for Efron's ties only.
 */
export interface CoxRiskSetStep {
  ties: CoxTies;
  p: number;
  n: number;
  events: number[];
  sumX: number[][];
  s0: number[];
  s1: number[][];
  s2: number[][];
  d0?: number[];
  d1?: number[][];
  d2?: number[][];
}

/** Options of a Cox fit. */
export interface CoxOptions {
  ties?: CoxTies;
  /** Convergence tolerance on |1 − ℓ_old/ℓ_new| (default 1e-9). */
  tolerance?: number;
  /** Most Newton iterations (default 20). */
  maxIterations?: number;
  /** Covariate names in X order (defaults to x1, x2, …). */
  names?: readonly string[];
  /** Level of the hazard-ratio confidence intervals (default 0.95). */
  confidenceLevel?: number;
}

/** The hub's Newton state: where the nodes evaluate next and what the summary needs once done. */
export interface CoxHubState {
  readonly p: number;
  readonly tolerance: number;
  readonly maxIterations: number;
  /** Coefficients (in centered covariates; β itself is unchanged by centering) the nodes evaluate next. */
  readonly beta: number[];
  readonly iterations: number;
  readonly halving: boolean;
  /** The last accepted point: its coefficients, log-likelihood, score and information. */
  readonly accepted: (CoxEvaluation & { beta: number[] }) | null;
  /** Log partial likelihood at β = 0. */
  readonly initialLoglik: number | null;
  /** The evaluation at the final `beta` once done. */
  readonly final: CoxEvaluation | null;
  readonly done: boolean;
  readonly converged: boolean;
}

/** One coefficient of a Cox model. */
export interface CoxCoefficient {
  name: string;
  estimate: number;
  standardError: number;
  z: number;
  pValue: number;
  hazardRatio: number;
  lower: number;
  upper: number;
}

/** A fitted Cox model as a researcher reads it (the numbers R's summary.coxph prints). */
export interface CoxResult {
  ties: CoxTies;
  coefficients: CoxCoefficient[];
  covariance: number[][];
  loglik: { initial: number; final: number };
  /** Likelihood-ratio test of all coefficients against β = 0. */
  likelihoodRatio: { chiSquare: number; df: number; pValue: number };
  n: number;
  events: number;
  iterations: number;
  converged: boolean;
  confidenceLevel: number;
}

function invalid(message: string, details?: Record<string, unknown>): MeridianError {
  return new MeridianError('MER_ANALYTICS_INVALID_INPUT', message, details);
}

function badPart(message: string, details?: Record<string, unknown>): MeridianError {
  return new MeridianError('MER_ANALYTICS_BAD_PART', message, details);
}

function checkTies(ties: unknown): CoxTies {
  if (ties !== 'breslow' && ties !== 'efron')
    throw invalid(`ties must be breslow or efron; got ${String(ties)}`, { field: 'ties' });
  return ties;
}

/** Index of entry (j, k ≥ j) in a packed upper triangle of a p×p matrix. */
function packedIndex(p: number, j: number, k: number): number {
  return j * p - (j * (j - 1)) / 2 + (k - j);
}

function covariateCount(data: CoxData): number {
  if (data === null || typeof data !== 'object') throw invalid('Cox data must be an object with time, status and X');
  const { time, status, X } = data;
  if (!Array.isArray(time) || !Array.isArray(status) || !Array.isArray(X))
    throw invalid('Cox data needs arrays time, status and X');
  if (status.length !== time.length || X.length !== time.length)
    throw invalid(`time, status and X must have the same length; got ${time.length}, ${status.length}, ${X.length}`);
  const p = time.length > 0 ? ((X[0] as readonly number[] | undefined)?.length ?? 0) : (data.names?.length ?? 0);
  if (p < 1 || p > COX_COLUMNS_MAX) throw invalid(`a Cox model takes 1 to ${COX_COLUMNS_MAX} covariates; got ${p}`);
  if (data.names !== undefined && data.names.length !== p)
    throw invalid(`names has ${data.names.length} entries but X has ${p} columns`, { field: 'names' });
  return p;
}

function nonFinite(data: CoxData, row: number, column: number, value: unknown): MeridianError {
  const name = data.names?.[column] ?? `x${column + 1}`;
  return invalid(
    `X[${row}][${column}] (${name}) must be a finite number; got ${String(value)} (row ${row}, column ${column})`,
    { field: 'X', row, column },
  );
}

/** A node's covariate column sums and row count: the hub divides the pooled sums to agree on a center. */
export function coxColumnSums(data: CoxData): { n: number; sums: number[] } {
  const p = covariateCount(data);
  const sums = new Array<number>(p).fill(0);
  data.X.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== p) throw invalid(`X row ${i} must have ${p} values`, { row: i });
    for (let j = 0; j < p; j++) {
      const v = row[j];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw nonFinite(data, i, j, v);
      sums[j] = (sums[j] as number) + v;
    }
  });
  return { n: data.X.length, sums };
}

/** The agreed center: pooled column means from the nodes' {@link coxColumnSums}. */
export function coxCenter(parts: readonly { n: number; sums: readonly number[] }[]): number[] {
  if (parts.length === 0) throw badPart('no column sums to combine');
  const p = parts[0]?.sums.length ?? 0;
  const sums = new Array<number>(p).fill(0);
  let n = 0;
  parts.forEach((part, node) => {
    if (!Number.isInteger(part.n) || part.n < 0 || part.sums.length !== p || !part.sums.every(Number.isFinite))
      throw badPart(`node ${node}: column sums must be ${p} finite numbers with a whole row count`, { node });
    n += part.n;
    part.sums.forEach((s, j) => {
      sums[j] = (sums[j] as number) + s;
    });
  });
  return sums.map((s) => (n > 0 ? s / n : 0));
}

/**
 * Validates a node's rows (times finite and ≥ 0, status 0 or 1, covariates finite), subtracts the agreed
 * center from the covariates and sorts each stratum by time, latest first. Errors name the field and row.
 */
export function packCoxData(data: CoxData, center?: readonly number[]): CoxPackedData {
  const p = covariateCount(data);
  const rows = data.time.length;
  if (center !== undefined && (center.length !== p || !center.every(Number.isFinite)))
    throw invalid(`center must be ${p} finite numbers`, { field: 'center' });
  if (data.strata !== undefined && (!Array.isArray(data.strata) || data.strata.length !== rows))
    throw invalid(`strata must have one value per row (${rows})`, { field: 'strata' });
  const x = new Float64Array(rows * p);
  const time = new Float64Array(rows);
  const status = new Uint8Array(rows);
  const groups = new Map<string, number[]>();
  for (let i = 0; i < rows; i++) {
    const t = data.time[i];
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0)
      throw invalid(`time[${i}] must be a finite number ≥ 0; got ${String(t)} (row ${i})`, { field: 'time', row: i });
    const s = data.status[i];
    if (s !== 0 && s !== 1)
      throw invalid(`status[${i}] must be 0 (censored) or 1 (event); got ${String(s)} (row ${i})`, {
        field: 'status',
        row: i,
      });
    const row = data.X[i];
    if (!Array.isArray(row) || row.length !== p)
      throw invalid(`X row ${i} must have ${p} values`, { field: 'X', row: i });
    for (let j = 0; j < p; j++) {
      const v = row[j];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw nonFinite(data, i, j, v);
      x[i * p + j] = v - (center?.[j] ?? 0);
    }
    time[i] = t;
    status[i] = s;
    const stratum = data.strata?.[i];
    if (data.strata !== undefined && typeof stratum !== 'string' && typeof stratum !== 'number')
      throw invalid(`strata[${i}] must be a string or number (row ${i})`, { field: 'strata', row: i });
    const key = stratum === undefined ? '' : `${typeof stratum}:${stratum}`;
    const members = groups.get(key);
    if (members === undefined) groups.set(key, [i]);
    else members.push(i);
  }
  const strata = [...groups.keys()]
    .sort()
    .map((key) =>
      Int32Array.from((groups.get(key) as number[]).sort((a, b) => (time[b] as number) - (time[a] as number) || a - b)),
    );
  return { rows, p, x, time, status, strata };
}

function isPacked(data: CoxData | CoxPackedData): data is CoxPackedData {
  return (data as CoxPackedData).x instanceof Float64Array;
}

function checkBeta(beta: readonly number[], p: number): Float64Array {
  if (!Array.isArray(beta) || beta.length !== p)
    throw invalid(`beta must have ${p} coefficients; got ${Array.isArray(beta) ? beta.length : typeof beta}`);
  if (!beta.every(Number.isFinite)) throw invalid('beta must be finite numbers', { field: 'beta' });
  return Float64Array.from(beta);
}

/** exp(η) overflows a double above this: the coefficients have run away. */
const ETA_MAX = 700;

function linearPredictors(data: CoxPackedData, beta: Float64Array): Float64Array {
  const { rows, p, x } = data;
  const eta = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < p; j++) s += (x[i * p + j] as number) * (beta[j] as number);
    if (!(Math.abs(s) <= ETA_MAX))
      throw new MeridianError(
        'MER_ANALYTICS_SEPARATION',
        `the linear predictor of row ${i} is ${s}: exp overflows, the coefficients diverge (monotone likelihood) or a covariate needs rescaling`,
        { row: i },
      );
    eta[i] = s;
  }
  return eta;
}

/** Adds r·x and r·xx' (upper triangle, full p×p storage) of row i to s1 and s2. */
function addRow(x: Float64Array, i: number, p: number, r: number, s1: Float64Array, s2: Float64Array): void {
  const base = i * p;
  for (let j = 0; j < p; j++) {
    const a = r * (x[base + j] as number);
    s1[j] = (s1[j] as number) + a;
    for (let k = j; k < p; k++) s2[j * p + k] = (s2[j * p + k] as number) + a * (x[base + k] as number);
  }
}

/** Adds one event time's terms to the log-likelihood, score and information (upper triangle). */
function addEventTime(
  terms: { loglik: number; gradient: Float64Array; information: Float64Array },
  p: number,
  d: number,
  ties: CoxTies,
  risk: { s0: number; s1: Float64Array; s2: Float64Array },
  dead: { d0: number; d1: Float64Array; d2: Float64Array },
  sumEta: number,
  sumX: Float64Array,
): void {
  terms.loglik += sumEta;
  for (let j = 0; j < p; j++) terms.gradient[j] = (terms.gradient[j] as number) + (sumX[j] as number);
  const repeats = ties === 'breslow' ? 1 : d;
  const multiplicity = ties === 'breslow' ? d : 1;
  for (let r = 0; r < repeats; r++) {
    const f = ties === 'breslow' ? 0 : r / d;
    const s0 = risk.s0 - f * dead.d0;
    terms.loglik -= multiplicity * Math.log(s0);
    for (let j = 0; j < p; j++) {
      const mj = ((risk.s1[j] as number) - f * (dead.d1[j] as number)) / s0;
      terms.gradient[j] = (terms.gradient[j] as number) - multiplicity * mj;
      for (let k = j; k < p; k++) {
        const mk = ((risk.s1[k] as number) - f * (dead.d1[k] as number)) / s0;
        const second = ((risk.s2[j * p + k] as number) - f * (dead.d2[j * p + k] as number)) / s0;
        terms.information[j * p + k] = (terms.information[j * p + k] as number) + multiplicity * (second - mj * mk);
      }
    }
  }
}

function evaluation(
  p: number,
  n: number,
  events: number,
  terms: { loglik: number; gradient: Float64Array; information: Float64Array },
): CoxEvaluation {
  for (let j = 0; j < p; j++)
    for (let k = j + 1; k < p; k++) terms.information[k * p + j] = terms.information[j * p + k] as number;
  return {
    p,
    n,
    events,
    loglik: terms.loglik,
    gradient: Array.from(terms.gradient),
    information: fromSquare(terms.information, p),
  };
}

/**
 * One node's round of the stratified fit (and the pooled reference): log partial likelihood, score and
 * information over the node's own strata at `beta`. Rows with equal times enter the risk set together.
 */
export function coxNodeStep(
  data: CoxData | CoxPackedData,
  beta: readonly number[],
  ties: CoxTies = 'breslow',
): CoxEvaluation {
  const packed = isPacked(data) ? data : packCoxData(data);
  checkTies(ties);
  const { p, x, time, status } = packed;
  const b = checkBeta(beta, p);
  const eta = linearPredictors(packed, b);
  const terms = { loglik: 0, gradient: new Float64Array(p), information: new Float64Array(p * p) };
  const risk = { s0: 0, s1: new Float64Array(p), s2: new Float64Array(p * p) };
  const dead = { d0: 0, d1: new Float64Array(p), d2: new Float64Array(p * p) };
  const sumX = new Float64Array(p);
  let events = 0;
  for (const order of packed.strata) {
    risk.s0 = 0;
    risk.s1.fill(0);
    risk.s2.fill(0);
    let i = 0;
    while (i < order.length) {
      const t = time[order[i] as number] as number;
      dead.d0 = 0;
      dead.d1.fill(0);
      dead.d2.fill(0);
      sumX.fill(0);
      let d = 0;
      let sumEta = 0;
      for (; i < order.length && time[order[i] as number] === t; i++) {
        const row = order[i] as number;
        const r = Math.exp(eta[row] as number);
        risk.s0 += r;
        addRow(x, row, p, r, risk.s1, risk.s2);
        if (status[row] === 1) {
          d++;
          sumEta += eta[row] as number;
          for (let j = 0; j < p; j++) sumX[j] = (sumX[j] as number) + (x[row * p + j] as number);
          if (ties === 'efron') {
            dead.d0 += r;
            addRow(x, row, p, r, dead.d1, dead.d2);
          }
        }
      }
      if (d > 0) addEventTime(terms, p, d, ties, risk, dead, sumEta, sumX);
      events += d;
    }
  }
  return evaluation(p, packed.rows, events, terms);
}

/** A node's distinct event times (after any binning the consortium agreed), ascending: its share of the grid. */
export function coxEventTimes(data: CoxData | CoxPackedData): number[] {
  const packed = isPacked(data) ? data : packCoxData(data);
  const times = new Set<number>();
  for (let i = 0; i < packed.rows; i++) if (packed.status[i] === 1) times.add(packed.time[i] as number);
  return [...times].sort((a, b) => a - b);
}

/** The agreed grid: the union of the nodes' event times, ascending (checked finite, at most {@link COX_GRID_MAX}). */
export function mergeEventTimes(parts: readonly (readonly number[])[]): number[] {
  const times = new Set<number>();
  parts.forEach((part, node) => {
    if (!Array.isArray(part) || !part.every((t) => typeof t === 'number' && Number.isFinite(t)))
      throw badPart(`node ${node}: event times must be finite numbers`, { node });
    for (const t of part) times.add(t);
  });
  if (times.size > COX_GRID_MAX) throw invalid(`the event-time grid has ${times.size} times; at most ${COX_GRID_MAX}`);
  return [...times].sort((a, b) => a - b);
}

/** Rounds times up to the next multiple of `width` (e.g. 7 for weeks), so the shared grid reveals no exact date. */
export function binTimes(times: readonly number[], width: number): number[] {
  if (!(width > 0 && Number.isFinite(width))) throw invalid(`bin width must be a positive number; got ${width}`);
  return times.map((t, i) => {
    if (!Number.isFinite(t)) throw invalid(`time[${i}] must be finite; got ${t} (row ${i})`, { field: 'time', row: i });
    return Math.ceil(t / width) * width;
  });
}

function checkGrid(grid: readonly number[]): void {
  if (!Array.isArray(grid) || grid.length > COX_GRID_MAX)
    throw invalid(`the event-time grid must be an array of at most ${COX_GRID_MAX} times`);
  for (let g = 0; g < grid.length; g++) {
    const t = grid[g] as number;
    if (!Number.isFinite(t) || (g > 0 && !(t > (grid[g - 1] as number))))
      throw invalid(`the event-time grid must be finite and strictly increasing; grid[${g}] = ${t}`, { field: 'grid' });
  }
}

/**
 * One node's round of the unstratified fit: at each grid time, the risk-set sums over the node's rows with
 * time ≥ t, the events at t and their Σ x (and, for Efron, the sums over those events). Every event time
 * must be on the grid (the hub built it from all nodes' event times, or from the agreed bins).
 */
export function coxRiskSetNodeStep(
  data: CoxData | CoxPackedData,
  beta: readonly number[],
  grid: readonly number[],
  ties: CoxTies = 'breslow',
): CoxRiskSetStep {
  const packed = isPacked(data) ? data : packCoxData(data);
  checkTies(ties);
  checkGrid(grid);
  if (packed.strata.length > 1)
    throw invalid('the unstratified protocol takes no strata; fit the stratified model instead', { field: 'strata' });
  const { p, x, time, status } = packed;
  const b = checkBeta(beta, p);
  const eta = linearPredictors(packed, b);
  const order = packed.strata[0] ?? new Int32Array(0);
  const tri = (p * (p + 1)) / 2;
  const gridSize = grid.length;
  const events = new Array<number>(gridSize).fill(0);
  const sumX = new Float64Array(gridSize * p);
  const s0 = new Float64Array(gridSize);
  const s1 = new Float64Array(gridSize * p);
  const s2 = new Float64Array(gridSize * tri);
  const efron = ties === 'efron';
  const d0 = new Float64Array(efron ? gridSize : 0);
  const d1 = new Float64Array(efron ? gridSize * p : 0);
  const d2 = new Float64Array(efron ? gridSize * tri : 0);
  const running1 = new Float64Array(p);
  const running2 = new Float64Array(tri);
  let running0 = 0;
  let i = 0;
  for (let g = gridSize - 1; g >= 0; g--) {
    const t = grid[g] as number;
    for (; i < order.length && (time[order[i] as number] as number) >= t; i++) {
      const row = order[i] as number;
      const r = Math.exp(eta[row] as number);
      const base = row * p;
      running0 += r;
      const event = status[row] === 1;
      if (event && time[row] !== t)
        throw invalid(`event time ${time[row]} (row ${row}) is not on the agreed grid`, { field: 'time', row });
      if (event) {
        events[g] = (events[g] as number) + 1;
        if (efron) d0[g] = (d0[g] as number) + r;
      }
      for (let j = 0; j < p; j++) {
        const xj = x[base + j] as number;
        const a = r * xj;
        running1[j] = (running1[j] as number) + a;
        if (event) {
          sumX[g * p + j] = (sumX[g * p + j] as number) + xj;
          if (efron) d1[g * p + j] = (d1[g * p + j] as number) + a;
        }
        const offset = packedIndex(p, j, j);
        for (let k = j; k < p; k++) {
          const v = a * (x[base + k] as number);
          running2[offset + k - j] = (running2[offset + k - j] as number) + v;
          if (event && efron) d2[g * tri + offset + k - j] = (d2[g * tri + offset + k - j] as number) + v;
        }
      }
    }
    s0[g] = running0;
    s1.set(running1, g * p);
    s2.set(running2, g * tri);
  }
  for (; i < order.length; i++) {
    const row = order[i] as number;
    if (status[row] === 1)
      throw invalid(`event time ${time[row]} (row ${row}) is before the agreed grid`, { field: 'time', row });
  }
  const rowsOf = (flat: Float64Array, width: number): number[][] =>
    Array.from({ length: gridSize }, (_, g) => Array.from(flat.subarray(g * width, g * width + width)));
  return {
    ties,
    p,
    n: packed.rows,
    events,
    sumX: rowsOf(sumX, p),
    s0: Array.from(s0),
    s1: rowsOf(s1, p),
    s2: rowsOf(s2, tri),
    ...(efron ? { d0: Array.from(d0), d1: rowsOf(d1, p), d2: rowsOf(d2, tri) } : {}),
  };
}

function sumRows(
  target: Float64Array,
  rows: unknown,
  gridSize: number,
  width: number,
  what: string,
  node: number,
): void {
  if (!Array.isArray(rows) || rows.length !== gridSize)
    throw badPart(`node ${node}: ${what} must have ${gridSize} rows`, { node });
  rows.forEach((row: unknown, g) => {
    if (!Array.isArray(row) || row.length !== width)
      throw badPart(`node ${node}: ${what}[${g}] must have ${width} values`, { node });
    for (let j = 0; j < width; j++) {
      const v = row[j];
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw badPart(`node ${node}: ${what}[${g}][${j}] is not finite`, { node });
      target[g * width + j] = (target[g * width + j] as number) + v;
    }
  });
}

function sumVector(target: Float64Array, values: unknown, gridSize: number, what: string, node: number): void {
  sumRows(target, Array.isArray(values) ? values.map((v) => [v]) : values, gridSize, 1, what, node);
}

/**
 * The hub's side of the unstratified protocol: adds the nodes' risk-set sums per grid time and evaluates
 * the pooled log partial likelihood, score and information at `beta` (the β the nodes were sent).
 */
export function coxRiskSetCombine(
  parts: readonly CoxRiskSetStep[],
  beta: readonly number[],
  gridSize: number,
): CoxEvaluation {
  if (!Array.isArray(parts as unknown) || parts.length === 0) throw badPart('no risk-set sums to combine');
  const first = parts[0] as CoxRiskSetStep;
  const p = first.p;
  const ties = first.ties;
  if (!Number.isInteger(p) || p < 1 || p > COX_COLUMNS_MAX)
    throw badPart(`p must be a whole number from 1 to ${COX_COLUMNS_MAX}`);
  const b = checkBeta(beta, p);
  const tri = (p * (p + 1)) / 2;
  const efron = ties === 'efron';
  const events = new Float64Array(gridSize);
  const sumX = new Float64Array(gridSize * p);
  const s0 = new Float64Array(gridSize);
  const s1 = new Float64Array(gridSize * p);
  const s2 = new Float64Array(gridSize * tri);
  const d0 = new Float64Array(efron ? gridSize : 0);
  const d1 = new Float64Array(efron ? gridSize * p : 0);
  const d2 = new Float64Array(efron ? gridSize * tri : 0);
  let n = 0;
  parts.forEach((part, node) => {
    if (part === null || typeof part !== 'object' || part.p !== p || part.ties !== ties)
      throw badPart(`node ${node}: expected ${ties} risk-set sums with p = ${p}`, { node });
    if (!Number.isInteger(part.n) || part.n < 0) throw badPart(`node ${node}: n must be a whole number ≥ 0`, { node });
    n += part.n;
    sumVector(events, part.events, gridSize, 'events', node);
    sumRows(sumX, part.sumX, gridSize, p, 'sumX', node);
    sumVector(s0, part.s0, gridSize, 's0', node);
    sumRows(s1, part.s1, gridSize, p, 's1', node);
    sumRows(s2, part.s2, gridSize, tri, 's2', node);
    if (efron) {
      sumVector(d0, part.d0, gridSize, 'd0', node);
      sumRows(d1, part.d1, gridSize, p, 'd1', node);
      sumRows(d2, part.d2, gridSize, tri, 'd2', node);
    }
  });
  const terms = { loglik: 0, gradient: new Float64Array(p), information: new Float64Array(p * p) };
  const risk = { s0: 0, s1: new Float64Array(p), s2: new Float64Array(p * p) };
  const dead = { d0: 0, d1: new Float64Array(p), d2: new Float64Array(p * p) };
  const unpack = (flat: Float64Array, g: number, into: Float64Array): void => {
    for (let j = 0; j < p; j++)
      for (let k = j; k < p; k++) into[j * p + k] = flat[g * tri + packedIndex(p, j, k)] as number;
  };
  let totalEvents = 0;
  for (let g = 0; g < gridSize; g++) {
    const d = events[g] as number;
    if (!Number.isInteger(d) || d < 0) throw badPart(`event counts must be whole numbers ≥ 0; time ${g} has ${d}`);
    if (d === 0) continue;
    totalEvents += d;
    risk.s0 = s0[g] as number;
    if (!(risk.s0 > 0)) throw badPart(`time ${g} has events but an empty risk set`);
    risk.s1.set(s1.subarray(g * p, g * p + p));
    unpack(s2, g, risk.s2);
    if (efron) {
      dead.d0 = d0[g] as number;
      dead.d1.set(d1.subarray(g * p, g * p + p));
      unpack(d2, g, dead.d2);
    }
    const eventX = sumX.subarray(g * p, g * p + p);
    let sumEta = 0;
    for (let j = 0; j < p; j++) sumEta += (eventX[j] as number) * (b[j] as number);
    addEventTime(terms, p, d, ties, risk, dead, sumEta, eventX);
  }
  return evaluation(p, n, totalEvents, terms);
}

/** Adds the nodes' stratified evaluations (each over its own strata) into the pooled one. */
export function sumCoxEvaluations(parts: readonly CoxEvaluation[]): CoxEvaluation {
  if (!Array.isArray(parts as unknown) || parts.length === 0) throw badPart('no node evaluations to combine');
  const p = (parts[0] as CoxEvaluation).p;
  if (!Number.isInteger(p) || p < 1 || p > COX_COLUMNS_MAX)
    throw badPart(`p must be a whole number from 1 to ${COX_COLUMNS_MAX}`);
  const gradient = new Float64Array(p);
  const information = new Float64Array(p * p);
  let loglik = 0;
  let n = 0;
  let events = 0;
  parts.forEach((part, node) => {
    if (part === null || typeof part !== 'object' || part.p !== p)
      throw badPart(`node ${node}: expected p = ${p}`, { node });
    if (
      !Number.isInteger(part.n) ||
      !Number.isInteger(part.events) ||
      part.n < 0 ||
      part.events < 0 ||
      part.events > part.n
    )
      throw badPart(`node ${node}: n and events must be whole numbers with 0 ≤ events ≤ n`, { node });
    if (typeof part.loglik !== 'number' || !Number.isFinite(part.loglik))
      throw badPart(`node ${node}: the log partial likelihood must be a finite number`, { node });
    sumVector(gradient, part.gradient, p, 'gradient', node);
    sumRows(information, part.information, p, p, 'information', node);
    loglik += part.loglik;
    n += part.n;
    events += part.events;
  });
  return { p, n, events, loglik, gradient: Array.from(gradient), information: fromSquare(information, p) };
}

/** Starts the hub's Newton iteration at β = 0 (R's coxph default). */
export function coxHubStart(p: number, options: CoxOptions = {}): CoxHubState {
  const tolerance = options.tolerance ?? COX_TOLERANCE_DEFAULT;
  const maxIterations = options.maxIterations ?? COX_ITERATIONS_MAX_DEFAULT;
  if (!Number.isInteger(p) || p < 1 || p > COX_COLUMNS_MAX)
    throw invalid(`p must be a whole number from 1 to ${COX_COLUMNS_MAX}`);
  if (!(tolerance > 0 && tolerance < 1))
    throw invalid(`tolerance must be between 0 and 1; got ${tolerance}`, { field: 'tolerance' });
  if (!Number.isInteger(maxIterations) || maxIterations < 1 || maxIterations > 1000)
    throw invalid(`maxIterations must be a whole number from 1 to 1000; got ${maxIterations}`, {
      field: 'maxIterations',
    });
  return {
    p,
    tolerance,
    maxIterations,
    beta: new Array<number>(p).fill(0),
    iterations: 0,
    halving: false,
    accepted: null,
    initialLoglik: null,
    final: null,
    done: false,
    converged: false,
  };
}

function coefficientNames(p: number, names: readonly string[] | undefined): string[] {
  if (names !== undefined && names.length !== p)
    throw invalid(`names has ${names.length} entries but the model has ${p} covariates`, { field: 'names' });
  return names === undefined ? Array.from({ length: p }, (_, j) => `x${j + 1}`) : [...names];
}

function newtonStep(point: CoxEvaluation & { beta: number[] }, labels: readonly string[]): number[] {
  const step = choleskySolve(cholesky(toSquare(point.information, 'information'), point.p, labels), point.gradient);
  return point.beta.map((b, j) => b + (step[j] as number));
}

/**
 * The hub's Newton round: takes the (summed) evaluation at `state.beta` and either accepts it and steps
 * on, halves a step that lowered the log-likelihood, or stops (converged or out of iterations), as R's
 * coxph does. `names` make a singular information matrix name its aliased covariate.
 */
export function coxHubStep(state: CoxHubState, evaluation: CoxEvaluation, names?: readonly string[]): CoxHubState {
  if (state.done) return state;
  if (evaluation.p !== state.p) throw badPart(`expected an evaluation with p = ${state.p}; got ${evaluation.p}`);
  const labels = coefficientNames(state.p, names);
  const point = { ...evaluation, beta: state.beta };
  if (state.accepted === null) {
    if (evaluation.events === 0) throw invalid('there are no events: a Cox model needs at least one');
    if (!Number.isFinite(evaluation.loglik)) throw badPart('the log partial likelihood at β = 0 is not finite');
    return {
      ...state,
      accepted: point,
      initialLoglik: evaluation.loglik,
      beta: newtonStep(point, labels),
      iterations: 1,
    };
  }
  const previous = state.accepted;
  const loglik = evaluation.loglik;
  const finite = Number.isFinite(loglik) && evaluation.gradient.every(Number.isFinite);
  if (finite && !state.halving && Math.abs(loglik - previous.loglik) <= state.tolerance * Math.abs(loglik))
    return { ...state, final: evaluation, done: true, converged: true };
  if (state.iterations >= state.maxIterations)
    return finite
      ? { ...state, final: evaluation, done: true, converged: false }
      : { ...state, beta: previous.beta, final: previous, done: true, converged: false };
  if (!finite || loglik < previous.loglik)
    return {
      ...state,
      beta: state.beta.map((b, j) => (b + (previous.beta[j] as number)) / 2),
      halving: true,
      iterations: state.iterations + 1,
    };
  return {
    ...state,
    accepted: point,
    beta: newtonStep(point, labels),
    halving: false,
    iterations: state.iterations + 1,
  };
}

/**
 * Turns a finished Newton iteration into the reported model: coefficients, standard errors from the
 * information at the final β, z, p, hazard ratios with confidence intervals, log-likelihoods and the
 * likelihood-ratio test. Throws MER_ANALYTICS_SEPARATION, as R's coxph warns, when another Newton step
 * would still move a coefficient by more than √1e-9 of itself (monotone likelihood: an infinite estimate).
 */
export function coxSummary(state: CoxHubState, ties: CoxTies, options: CoxOptions = {}): CoxResult {
  if (!state.done || state.final === null || state.initialLoglik === null)
    throw invalid('coxSummary needs a finished fit');
  const level = options.confidenceLevel ?? 0.95;
  checkLevel(level);
  const { p } = state;
  const labels = coefficientNames(p, options.names);
  const final = state.final;
  const covariance = choleskyInverse(cholesky(toSquare(final.information, 'information'), p, labels));
  const beta = state.beta;
  const infinite = labels.filter((_, j) => {
    let step = 0;
    for (let k = 0; k < p; k++) step += (covariance[j * p + k] as number) * (final.gradient[k] as number);
    const size = Math.abs(step);
    return size > COX_TOLERANCE_DEFAULT && size > INFINITE_STEP_RELATIVE * Math.abs(beta[j] as number);
  });
  if (infinite.length > 0)
    throw new MeridianError(
      'MER_ANALYTICS_SEPARATION',
      `the Cox log-likelihood converged before ${infinite.join(', ')}: the coefficient may be infinite (monotone likelihood, e.g. no events in one group)`,
      { coefficients: infinite },
    );
  const critical = normalCriticalValue(level);
  const coefficients = labels.map((name, j): CoxCoefficient => {
    const estimate = beta[j] as number;
    const standardError = Math.sqrt(covariance[j * p + j] as number);
    const z = estimate / standardError;
    return {
      name,
      estimate,
      standardError,
      z,
      pValue: normalTwoSidedP(z),
      hazardRatio: Math.exp(estimate),
      lower: Math.exp(estimate - critical * standardError),
      upper: Math.exp(estimate + critical * standardError),
    };
  });
  const chiSquare = 2 * (final.loglik - state.initialLoglik);
  return {
    ties,
    coefficients,
    covariance: fromSquare(covariance, p),
    loglik: { initial: state.initialLoglik, final: final.loglik },
    likelihoodRatio: { chiSquare, df: p, pValue: chiSquareUpperP(chiSquare, p) },
    n: final.n,
    events: final.events,
    iterations: state.iterations,
    converged: state.converged,
    confidenceLevel: level,
  };
}

/** Options of the in-memory federated driver. */
export interface CoxFederatedOptions extends CoxOptions {
  /** Stratify by node (each node its own baseline hazard; default) or fit one baseline by risk-set sums. */
  stratified?: boolean;
}

function iterate(
  p: number,
  options: CoxOptions,
  names: readonly string[] | undefined,
  evaluate: (beta: number[]) => CoxEvaluation,
): CoxHubState {
  let state = coxHubStart(p, options);
  for (let round = 0; !state.done && round <= state.maxIterations + 1; round++)
    state = coxHubStep(state, evaluate(state.beta), names);
  return state;
}

/**
 * Fits a Cox model across nodes in memory, looping node and hub rounds as the orchestrator does over the
 * network: an agreed center from column sums, then Newton rounds on stratified evaluations or, unstratified,
 * on risk-set sums at the union of the nodes' event times.
 */
export function fitCoxFederated(parts: readonly CoxData[], options: CoxFederatedOptions = {}): CoxResult {
  if (!Array.isArray(parts as unknown) || parts.length === 0) throw invalid('fitCoxFederated needs at least one node');
  const ties = checkTies(options.ties ?? 'breslow');
  const center = coxCenter(parts.map(coxColumnSums));
  const packed = parts.map((data) => packCoxData(data, center));
  const p = center.length;
  packed.forEach((data, node) => {
    if (data.p !== p) throw invalid(`node ${node} has ${data.p} covariates but node 0 has ${p}`, { node });
  });
  const names = options.names ?? parts[0]?.names;
  const resolved = names === undefined ? options : { ...options, names };
  const stratified = options.stratified ?? true;
  const grid = stratified ? [] : mergeEventTimes(packed.map(coxEventTimes));
  const state = iterate(p, resolved, names, (beta) =>
    stratified
      ? sumCoxEvaluations(packed.map((data) => coxNodeStep(data, beta, ties)))
      : coxRiskSetCombine(
          packed.map((data) => coxRiskSetNodeStep(data, beta, grid, ties)),
          beta,
          grid.length,
        ),
  );
  return coxSummary(state, ties, resolved);
}

/**
 * Fits the same Cox model on all rows in one place, directly over sorted risk sets (strata from
 * `data.strata`): the reference the federated fits must equal.
 */
export function fitCoxPooled(data: CoxData, options: CoxOptions = {}): CoxResult {
  const ties = checkTies(options.ties ?? 'breslow');
  const center = coxCenter([coxColumnSums(data)]);
  const packed = packCoxData(data, center);
  const names = options.names ?? data.names;
  const resolved = names === undefined ? options : { ...options, names };
  const state = iterate(packed.p, resolved, names, (beta) => coxNodeStep(packed, beta, ties));
  return coxSummary(state, ties, resolved);
}
