/**
 * What the page computes, without the DOM: random-subset-sum coverage and one weight matched by a subset, a target
 * read from bytes, Theorem 1 pruned in workers exactly as `lottery prune` does it (same options, same ticket bytes),
 * and the ticket verified as a network on the MNIST test images shipped with the page.
 */
import { InputError } from '../core/errors.js';
import { platform } from '../core/platform.js';
import type { ProgressListener } from '../core/progress.js';
import { RandomStream, distributionByName, namedStream } from '../core/random.js';
import { sha256Hex } from '../core/sha256.js';
import { modelFromBytes } from '../io/modelBytes.js';
import { concatChunks } from '../io/safetensors.js';
import { encodeTicket } from '../io/ticketBytes.js';
import { preprocessImages } from '../nn/images.js';
import type { Network } from '../nn/network.js';
import { solveBatch } from '../subsetsum/batch.js';
import { coverageGrowth, CoverageGrowthWorkspace } from '../subsetsum/coverageGrowth.js';
import { sparsest } from '../subsetsum/sparsest.js';
import { createEvaluator } from '../theorem1/evaluator.js';
import { pruneWithSolver } from '../theorem1/prune.js';
import { pruneReport, type PruneReport } from '../theorem1/report.js';
import type { Ticket } from '../theorem1/ticket.js';
import { verifyTicket, type VerifyReport } from '../theorem1/verify.js';

/** Mean covered fraction of [−1, 1] and probability of covering all of it, for k = 0..maxN values, over trials. */
export interface CoverageCurves {
  meanCovered: number[];
  fullCoverage: number[];
}

/** Coverage of [−1, 1] within ε by subset sums of k random values (the paper's §2 experiment, one page-sized run). */
export function coverageCurves(distributionName: string, tolerance: number, maxN: number, trials: number, seed: number): CoverageCurves {
  const distribution = distributionByName(distributionName);
  if (!distribution) throw new InputError(`distribution: unknown '${distributionName}'`);
  const stream = new RandomStream(seed, namedStream('web/coverage'));
  const workspace = new CoverageGrowthWorkspace();
  const meanCovered = new Array<number>(maxN + 1).fill(0);
  const fullCoverage = new Array<number>(maxN + 1).fill(0);
  const samples = new Float64Array(maxN);
  for (let t = 0; t < trials; t++) {
    for (let i = 0; i < maxN; i++) samples[i] = stream.sample(distribution, t * maxN + i);
    const growth = coverageGrowth(samples, tolerance, { low: -1, high: 1 }, workspace);
    for (let k = 0; k <= maxN; k++) {
      meanCovered[k]! += growth.coveredFraction[k]! / trials;
      fullCoverage[k]! += growth.allCovered[k]! / trials;
    }
  }
  return { meanCovered, fullCoverage };
}

/** n random products v·|u| (as in a Theorem 1 block) and the sparsest subset within ε of w. */
export function matchWeight(n: number, target: number, tolerance: number, seed: number): { values: Float64Array; chosen: Set<number>; sum: number; error: number } {
  const stream = new RandomStream(seed, namedStream('web/match'));
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = Math.fround(stream.uniform(2 * i, -1, 1)) * Math.abs(Math.fround(stream.uniform(2 * i + 1, -1, 1)));
  const result = sparsest({ values, target, tolerance });
  return { values, chosen: new Set(result.indices), sum: result.sum, error: result.error };
}

/** A target read from its file's bytes, with the SHA-256 that tickets record (as `lottery prune` computes it). */
export interface LoadedTarget {
  name: string;
  network: Network;
  sha256: string;
  bytes: number;
}

export function loadTarget(bytes: Uint8Array, name: string): LoadedTarget {
  return { name, network: modelFromBytes(bytes, name), sha256: sha256Hex(bytes), bytes: bytes.length };
}

/** MNIST test images shipped with the page (bytes: images then labels), preprocessed for a target. */
export interface ShippedImages {
  count: number;
  images: Uint8Array;
  labels: Uint8Array;
}

export function shippedImages(bytes: Uint8Array): ShippedImages {
  const count = bytes.length / 785;
  if (!Number.isInteger(count)) throw new InputError(`shipped MNIST images: ${bytes.length} bytes is not a whole number of 785-byte images`);
  return { count, images: bytes.subarray(0, count * 784), labels: bytes.subarray(count * 784) };
}

export interface PagePrune {
  ticket: Ticket;
  /** The ticket file, byte for byte what `lottery prune --out` writes for the same target, seed and ε. */
  ticketBytes: Uint8Array;
  report: PruneReport;
  seconds: number;
}

/**
 * Theorem 1 with `lottery prune`'s defaults (uniform weights, sparsest subsets, n searched upward until the
 * certificate meets ε): the solver runs in the platform's workers.
 */
export async function pruneInPage(target: LoadedTarget, options: { tolerance: number; seed: number; workers: number; onProgress?: ProgressListener }): Promise<PagePrune> {
  const started = platform().now();
  const outcome = await pruneWithSolver(
    target.network,
    { tolerance: options.tolerance, seed: options.seed, targetSha256: target.sha256, objective: 'sparsest', distribution: distributionByName('uniform')!, ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
    (batch, onProgress) => solveBatch(batch, { workers: options.workers, ...(onProgress ? { onProgress } : {}) }),
  );
  const seconds = (platform().now() - started) / 1000;
  const report = pruneReport(outcome, { network: target.network, malachSample: 0, seconds, solveSeconds: seconds });
  const ticketBytes = concatChunks(encodeTicket(outcome.ticket));
  return { ticket: outcome.ticket, ticketBytes, report, seconds };
}

/** `lottery verify` on the shipped images: accuracy, agreement, measured errors, both certificates. */
export async function verifyInPage(target: LoadedTarget, ticket: Ticket, images: ShippedImages, options: { workers: number; onProgress?: (done: number, total: number) => void }): Promise<VerifyReport> {
  const inputs = preprocessImages(images.images, target.network.preprocess ?? 'pixels', 0, images.count);
  const evaluator = createEvaluator(target.network, ticket, options.workers);
  try {
    return await verifyTicket(target.network, ticket, { inputs, labels: images.labels, count: images.count }, evaluator, {
      randomPoints: 1000,
      adversarialEvaluations: 256,
      now: () => platform().now(),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  } finally {
    await evaluator.close();
  }
}
