/**
 * The PBFT consensus core of the consortium ledger: a pure replica state machine (`step`), the new-view
 * decision procedure, input checks and a deterministic network simulator. Specification: SPEC.md.
 */
export * from './prng.ts';
export * from './quorum.ts';
export * from './replica.ts';
export * from './simulator.ts';
export type * from './types.ts';
export * from './validate.ts';
export * from './view-change.ts';
