/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so a failing case can be replayed. */
export { mulberry32 as random } from '../../src/shared/random.js';
