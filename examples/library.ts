// The README's library example: a random subset-sum instance solved exactly, and a network's weight approximated.
import { RandomStream } from '../src/core/random.js';
import { closest } from '../src/subsetsum/closest.js';
import { sparsest } from '../src/subsetsum/sparsest.js';

const stream = new RandomStream(1, 0); // (seed, stream): value i is a pure function of (1, 0, i)
const values = Array.from({ length: 21 }, (_, i) => stream.sample({ kind: 'product' }, i));
const instance = { values, target: 0.3141, tolerance: 0.01 };

const best = closest(instance); // exact minimum error, meet in the middle
const fewest = sparsest(instance); // fewest values within the tolerance
console.log('closest :', best.indices.length, 'values, error', best.error.toExponential(2));
console.log('sparsest:', fewest.indices.length, 'values, error', fewest.error.toExponential(2), fewest.withinTolerance);
