/**
 * The fast edge-popup trainer: the same training as PopupModel (src/popup/edgePopup.ts, the tf reference) —
 * frozen weights, top-k masks of |score| per tensor, straight-through score gradients, SGD with momentum and
 * weight decay on the scores — with the work rearranged so that one step costs two small matrix products per
 * layer plus three fused passes over each big weight tensor.
 *
 * A network is a chain of blocks `[relu] [spread [relu]] dense`. A spread (input j copied r times, copy t scaled
 * by ũ[t,j] = u[t,j]·m[t,j]) followed by a dense layer W̃ = W ⊙ M [out, r·d] is one linear map of the input:
 * with h[b,t,j] = ũ[t,j]·x[b,j], z[b,o] = Σ_j x[b,j]·V[o,j] where V[o,j] = Σ_t ũ[t,j]·W̃[o,t,j]. With a ReLU after
 * the spread, relu(x·ũ) = ũ·x⁺ for ũ > 0 and ũ·x⁻ for ũ < 0 (x⁺ = max(x,0), x⁻ = min(x,0)), so z = x⁺·V⁺ᵀ + x⁻·V⁻ᵀ
 * with V± summing over the copies of either sign. The gradients follow from D = dzᵀ·[x⁺ x⁻] (or dzᵀ·x):
 * ∂L/∂W̃[o,t,j] = ũ[t,j]·D[o,j±], ∂L/∂ũ[t,j] = Σ_o W̃[o,t,j]·D[o,j±] (zero for a ReLU spread weight that is 0, as
 * relu′(0) = 0 in tf and PyTorch). For FC2 `ours` (r = 5) this is 5× fewer multiply-adds than the layer-by-layer
 * products. A block without spread is an ordinary masked dense layer. The products run in tfjs-wasm (XNNPACK),
 * always with the batch-sized operand second (the first operand is not re-packed every call); the score update,
 * the exact top-k selection (BandSelection) and the rebuild of W̃ and V are fused passes over row shards
 * (src/popup/passes.ts) that worker threads share, with results bit-identical for any thread count.
 * The masks, counts and tie-break are those of topKMask in the PopupNetwork layouts. Test accuracy is measured
 * by the caller on the layered network (PopupModel.predictWithMasks), not by these rearranged products.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, RunError } from '../core/errors.js';
import { platform, type WorkerHandle } from '../core/platform.js';
import { ScoreSelector, fillMask, keptCount, tensorValues, type ScoreThreshold } from './masks.js';
import { checkPopupNetwork, type PopupDenseLayer, type PopupNetwork, type PopupOptimizerOptions, type PopupSpreadLayer } from './network.js';

import { SHARDS, SHARD_CANDIDATES, rebuildShard, rebuildWithTies, updateShard, type PassLayer } from './passes.js';
import { COMMAND, CONTROL, PARAMS, type PassWorkerData } from './passProtocol.js';
import { forwardShard, gradientShard } from './products.js';

/** One `[relu] [spread [relu]] dense` block and its training state. */
interface Block {
  /** The block's input is relu(previous block's output) (false for the first block and linear chains). */
  inputRelu: boolean;
  spread: SpreadState | null;
  /** ReLU after the spread (ours-relu, theorem1). */
  spreadRelu: boolean;
  dense: DenseState;
  /** Input features d (before copying). */
  features: number;
  /** Columns of V and D: d, or 2d with a ReLU spread. */
  k: number;
  /** Per-step buffers: the block input a [B, d] and output z [B, out] (A, Aᵀ, zᵀ, dzᵀ are in dense.pass). */
  a: Float32Array;
  z: Float32Array;
}

interface SpreadState {
  layer: PopupSpreadLayer;
  size: number;
  keepCount: number;
  scores: Float32Array;
  momentum: Float32Array;
  mask: Uint8Array;
  /** ∂L/∂ũ of the current batch, the shards' partial sums added in shard order. */
  gradient: Float64Array;
}

interface DenseState {
  layer: PopupDenseLayer;
  size: number;
  keepCount: number;
  /** The arrays of the passes (shared with the workers); pass.v is the block's V, pass.u its ũ. */
  pass: PassLayer;
  /** Where the next top-k threshold is looked for. */
  band: BandSelection;
  /** Index into the runner's layers. */
  index: number;
}

/** Typed arrays on a SharedArrayBuffer when worker threads share them. */
function allocator(shared: boolean) {
  const buffer = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  return {
    f32: (n: number) => new Float32Array(buffer(4 * n)),
    f64: (n: number) => new Float64Array(buffer(8 * n)),
    u8: (n: number) => new Uint8Array(buffer(n)),
  };
}

/**
 * Runs the passes over the shards: on this thread alone, or with threads − 1 workers (this thread takes shards
 * 0, T, 2T…; worker i shards i, i + T…) synchronised through Atomics on a shared control block.
 */
class PassRunner {
  private readonly workers: WorkerHandle[] = [];
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * CONTROL.size));
  private readonly params = new Float64Array(new SharedArrayBuffer(8 * PARAMS.size));

  constructor(
    private readonly layers: PassLayer[],
    readonly threads: number,
  ) {
    for (let thread = 1; thread < threads; thread++) {
      const data: PassWorkerData = { control: this.control.buffer as SharedArrayBuffer, params: this.params.buffer as SharedArrayBuffer, layers, thread, threads };
      const worker = platform().startWorker('popup-pass', data);
      worker.unref();
      // Handled here so that a worker's failure is the trainer's RunError (see run), not a crash of the process.
      worker.on('error', (error: Error) => platform().warn(`edge-popup pass worker ${thread}: ${error.message}`));
      this.workers.push(worker);
    }
  }

  update(layer: number, lr: number, wd: number, mu: number, lo: number, hi: number): void {
    const p = this.params;
    p[PARAMS.lr] = lr;
    p[PARAMS.wd] = wd;
    p[PARAMS.mu] = mu;
    p[PARAMS.lo] = lo;
    p[PARAMS.hi] = hi;
    this.run(COMMAND.update, layer, (shard) => updateShard(this.layers[layer]!, shard, lr, wd, mu, lo, hi));
  }

  forward(layer: number, n: number): void {
    this.params[PARAMS.batch] = n;
    this.run(COMMAND.forward, layer, (shard) => forwardShard(this.layers[layer]!, shard, n));
  }

  gradient(layer: number, n: number): void {
    this.params[PARAMS.batch] = n;
    this.run(COMMAND.gradient, layer, (shard) => gradientShard(this.layers[layer]!, shard, n));
  }

  rebuild(layer: number, threshold: number): void {
    this.params[PARAMS.threshold] = threshold;
    this.run(COMMAND.rebuild, layer, (shard) => rebuildShard(this.layers[layer]!, shard, threshold));
  }

  private started = false;

  /** Waits (once) until every worker has loaded tfjs: a worker that cannot start is an error here, not a hang. */
  private awaitWorkers(): void {
    const ctrl = this.control;
    const deadline = platform().now() + 60_000;
    for (let ready = Atomics.load(ctrl, CONTROL.ready); ready < this.workers.length; ready = Atomics.load(ctrl, CONTROL.ready)) {
      const left = deadline - platform().now();
      if (left <= 0 || Atomics.wait(ctrl, CONTROL.ready, ready, left) === 'timed-out') {
        throw new RunError(`edge-popup: ${this.workers.length - Atomics.load(ctrl, CONTROL.ready)} pass worker(s) did not start within 60 s (src/node/passWorker.js missing or failing?); workers: 1 (--workers 1) avoids them`);
      }
    }
    this.started = true;
  }

  private run(command: number, layer: number, local: (shard: number) => void): void {
    const ctrl = this.control;
    if (this.workers.length > 0) {
      if (!this.started) this.awaitWorkers();
      Atomics.store(ctrl, CONTROL.command, command);
      Atomics.store(ctrl, CONTROL.layer, layer);
      Atomics.store(ctrl, CONTROL.done, 0);
      Atomics.add(ctrl, CONTROL.sequence, 1);
      Atomics.notify(ctrl, CONTROL.sequence);
    }
    for (let shard = 0; shard < SHARDS; shard += this.threads) local(shard);
    const expected = this.workers.length;
    for (let done = Atomics.load(ctrl, CONTROL.done); done < expected; done = Atomics.load(ctrl, CONTROL.done)) {
      if (Atomics.wait(ctrl, CONTROL.done, done, 120_000) === 'timed-out') throw new RunError('edge-popup: a pass worker did not answer within 120 s');
    }
    if (Atomics.load(ctrl, CONTROL.failed) !== 0) throw new RunError('edge-popup: a pass worker failed (its error is on stderr); workers: 1 (--workers 1) avoids the workers');
  }

  dispose(): void {
    if (this.workers.length === 0) return;
    Atomics.store(this.control, CONTROL.command, COMMAND.exit);
    Atomics.add(this.control, CONTROL.sequence, 1);
    Atomics.notify(this.control, CONTROL.sequence);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}

/** Splits a PopupNetwork into blocks; null when its layers do not follow `[relu] [spread [relu]] dense`. */
function parseBlocks(network: PopupNetwork): Array<{ inputRelu: boolean; spread: PopupSpreadLayer | null; spreadRelu: boolean; dense: PopupDenseLayer }> | null {
  const blocks: Array<{ inputRelu: boolean; spread: PopupSpreadLayer | null; spreadRelu: boolean; dense: PopupDenseLayer }> = [];
  const layers = network.layers;
  let i = 0;
  while (i < layers.length) {
    let inputRelu = false;
    if (layers[i]!.kind === 'relu') {
      if (blocks.length === 0) return null;
      inputRelu = true;
      i++;
    }
    let spread: PopupSpreadLayer | null = null;
    let spreadRelu = false;
    const first = layers[i];
    if (first?.kind === 'spread') {
      spread = first;
      i++;
      if (layers[i]?.kind === 'relu') {
        spreadRelu = true;
        i++;
      }
    }
    const dense = layers[i];
    if (dense?.kind !== 'dense') return null;
    i++;
    blocks.push({ inputRelu, spread, spreadRelu, dense });
  }
  return blocks.length > 0 ? blocks : null;
}

/** Whether PopupTrainer can train this network (else use PopupModel). */
export function fastTrainable(network: PopupNetwork): boolean {
  return parseBlocks(network) !== null;
}


/**
 * Default threads for the passes: both cores of a laptop, no more (the passes are memory-bound beyond), and one
 * for networks under 200,000 masked weights (a worker's tfjs start-up, ≈ 0.3 s, would outweigh the gain).
 */
export function defaultPopupThreads(network: PopupNetwork): number {
  let weights = 0;
  for (const layer of network.layers) if (layer.kind !== 'relu') weights += layer.weight.length;
  return weights < 200_000 ? 1 : Math.max(1, Math.min(2, platform().parallelism()));
}

/**
 * The trainer of one network at one keep fraction; state lives in typed arrays, tf is used for the products
 * only. Results do not depend on `threads`. Call dispose() to stop its workers.
 */
export class PopupTrainer {
  readonly network: PopupNetwork;
  readonly keepFraction: number;
  readonly maxBatch: number;
  private readonly blocks: Block[] = [];
  private readonly selector = new ScoreSelector();
  private readonly runner: PassRunner;
  private steps = 0;
  private readonly logits: Float32Array;
  private readonly dz: Float32Array[];

  constructor(network: PopupNetwork, keepFraction: number, maxBatch: number, threads = 1) {
    checkPopupNetwork(network);
    const parsed = parseBlocks(network);
    if (parsed === null) throw new InputError('popup network: layers do not form [relu] [spread [relu]] dense blocks; use PopupModel');
    if (!Number.isSafeInteger(threads) || threads < 1 || threads > SHARDS) throw new InputError(`edge-popup threads: expected 1..${SHARDS}, got ${threads}`);
    this.network = network;
    this.keepFraction = keepFraction;
    this.maxBatch = maxBatch;
    const alloc = allocator(threads > 1);
    const passLayers: PassLayer[] = [];
    for (const p of parsed) {
      const d = p.spread !== null ? p.spread.features : p.dense.inFeatures;
      const k = p.spread !== null && p.spreadRelu ? 2 * d : d;
      const out = p.dense.outFeatures;
      const hidden = p.dense.inFeatures;
      let spread: SpreadState | null = null;
      let u: Float32Array = new Float32Array(0);
      let du: Float64Array = new Float64Array(0);
      if (p.spread !== null) {
        const size = p.spread.weight.length;
        spread = {
          layer: p.spread,
          size,
          keepCount: keptCount(size, keepFraction),
          scores: new Float32Array(p.spread.scores),
          momentum: new Float32Array(size),
          mask: new Uint8Array(size),
          gradient: new Float64Array(size),
        };
        u = alloc.f32(size);
        du = alloc.f64(SHARDS * size);
      }
      const size = p.dense.weight.length;
      const w = alloc.f32(size);
      w.set(p.dense.weight);
      const s = alloc.f32(size);
      s.set(p.dense.scores);
      const pass: PassLayer = {
        out,
        hidden,
        copies: p.spread !== null ? p.spread.copies : 1,
        d,
        k,
        spread: p.spread !== null ? 1 : 0,
        relu: p.spreadRelu ? 1 : 0,
        w,
        s,
        sBits: new Uint32Array(s.buffer),
        m: alloc.f32(size),
        mask: alloc.u8(size),
        dv: alloc.f32(out * k),
        aRows: alloc.f32(maxBatch * k),
        aCols: alloc.f32(maxBatch * k),
        zT: alloc.f32(out * maxBatch),
        dzT: alloc.f32(out * maxBatch),
        v: alloc.f32(out * k),
        u,
        uBits: new Uint32Array(u.buffer),
        du,
        candidates: alloc.f32(SHARDS * SHARD_CANDIDATES),
        results: alloc.f64(2 * SHARDS),
      };
      passLayers.push(pass);
      const dense: DenseState = { layer: p.dense, size, keepCount: keptCount(size, keepFraction), pass, band: new BandSelection(), index: passLayers.length - 1 };
      this.blocks.push({
        inputRelu: p.inputRelu,
        spread,
        spreadRelu: p.spreadRelu,
        dense,
        features: d,
        k,
        a: new Float32Array(maxBatch * d),
        z: new Float32Array(maxBatch * out),
      });
    }
    this.runner = new PassRunner(passLayers, threads);
    this.logits = this.blocks[this.blocks.length - 1]!.z;
    this.dz = this.blocks.map((b) => new Float32Array(maxBatch * b.dense.layer.outFeatures));
    // Initial masks and V from the initial scores.
    for (const block of this.blocks) {
      if (block.spread !== null) this.selectSpread(block, this.selector.select(block.spread.scores, block.spread.keepCount));
      this.rebuild(block, this.selector.select(block.dense.pass.s, block.dense.keepCount));
    }
  }

  /** Stops the pass workers. */
  dispose(): void {
    this.runner.dispose();
  }

  /** Masked weights and how many the masks keep. */
  counts(): { total: number; kept: number } {
    let total = 0;
    let kept = 0;
    for (const b of this.blocks) {
      for (const t of b.spread !== null ? [b.spread, b.dense] : [b.dense]) {
        total += t.size;
        kept += t.keepCount;
      }
    }
    return { total, kept };
  }

  /** Current masks in the PopupNetwork layouts, in the order of maskedLayers(network) (copies). */
  maskArrays(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const b of this.blocks) {
      if (b.spread !== null) out.push(new Uint8Array(b.spread.mask));
      out.push(new Uint8Array(b.dense.pass.mask));
    }
    return out;
  }

  /** Current scores in the PopupNetwork layouts (copies). */
  scoreArrays(): Float32Array[] {
    const out: Float32Array[] = [];
    for (const b of this.blocks) {
      if (b.spread !== null) out.push(new Float32Array(b.spread.scores));
      out.push(new Float32Array(b.dense.pass.s));
    }
    return out;
  }

  /**
   * One SGD step on n examples (inputs row-major [n, inputFeatures], labels): forward, mean cross-entropy,
   * straight-through gradients, update, new masks. Returns the loss and the predictions made before the update.
   */
  trainStep(inputs: Float32Array, labels: ArrayLike<number>, n: number, learningRate: number, options: PopupOptimizerOptions): { loss: number; predicted: Int32Array } {
    if (n < 1 || n > this.maxBatch) throw new RangeError(`batch of ${n} outside 1..${this.maxBatch}`);
    this.forward(inputs, n);
    const classes = this.network.classes;
    const logits = this.logits;
    const dzLast = this.dz[this.blocks.length - 1]!;
    const predicted = new Int32Array(n);
    let lossSum = 0;
    for (let b = 0; b < n; b++) {
      const row = b * classes;
      let max = -Infinity;
      let arg = 0;
      for (let c = 0; c < classes; c++) {
        const v = logits[row + c]!;
        if (v > max) {
          max = v;
          arg = c;
        }
      }
      predicted[b] = arg;
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += Math.exp(logits[row + c]! - max);
      const label = labels[b]!;
      lossSum += Math.log(sum) + max - logits[row + label]!;
      for (let c = 0; c < classes; c++) dzLast[row + c] = (Math.exp(logits[row + c]! - max) / sum - (c === label ? 1 : 0)) / n;
    }
    const loss = lossSum / n;
    if (!Number.isFinite(loss)) return { loss, predicted };
    this.backwardAndUpdate(n, learningRate, options);
    this.steps++;
    return { loss, predicted };
  }

  /** Logits of n inputs through the rearranged products (for tests; accuracy is measured on the layered network). */
  logitsOf(inputs: Float32Array, n: number): Float32Array {
    this.forward(inputs, n);
    return this.logits.slice(0, n * this.network.classes);
  }

  private forward(inputs: Float32Array, n: number): void {
    let previous: Block | null = null;
    for (const block of this.blocks) {
      const d = block.features;
      const a = block.a;
      if (previous === null) a.set(inputs.subarray(0, n * d));
      else {
        const z = previous.z;
        if (block.inputRelu) for (let i = 0; i < n * d; i++) a[i] = z[i]! > 0 ? z[i]! : 0;
        else a.set(z.subarray(0, n * d));
      }
      splitInput(block, n);
      this.runner.forward(block.dense.index, n);
      transposeInto(block.dense.pass.zT.subarray(0, block.dense.layer.outFeatures * n), block.dense.layer.outFeatures, n, block.z);
      previous = block;
    }
  }

  private backwardAndUpdate(n: number, learningRate: number, options: PopupOptimizerOptions): void {
    const last = this.blocks.length - 1;
    tf.tidy(() => {
      // All products first (they use the current V; D lands in the pass arrays), then the passes (which rebuild V).
      for (let i = last; i >= 0; i--) {
        const block = this.blocks[i]!;
        const out = block.dense.layer.outFeatures;
        const dz = this.dz[i]!.subarray(0, n * out);
        transposeInto(dz, n, out, block.dense.pass.dzT);
        this.runner.gradient(block.dense.index, n);
        if (i === 0) break;
        // A view into the wasm heap, read before the next tf op (tensor dataSync copies are several times slower).
        const dA = tensorValues(tf.matMul(tf.tensor2d(dz, [n, out]), tf.tensor2d(block.dense.pass.v, [out, block.k])));
        const previous = this.blocks[i - 1]!;
        const target = this.dz[i - 1]!;
        const d = block.features;
        for (let b = 0; b < n; b++) {
          for (let j = 0; j < d; j++) {
            const x = block.a[b * d + j]!;
            let g: number;
            if (block.spreadRelu) g = x > 0 ? dA[b * block.k + j]! : x < 0 ? dA[b * block.k + d + j]! : 0;
            else g = dA[b * block.k + j]!;
            // Through the ReLU between blocks: z > 0 exactly where a = relu(z) > 0.
            if (block.inputRelu && !(previous.z[b * d + j]! > 0)) g = 0;
            target[b * d + j] = g;
          }
        }
      }
      // The passes: score updates, selections, new masks and V.
      const first = this.steps === 0;
      const mu = first || options.momentum === 0 ? 0 : options.momentum;
      for (let i = 0; i <= last; i++) {
        const block = this.blocks[i]!;
        const dense = block.dense;
        this.runner.update(dense.index, learningRate, options.weightDecay, mu, dense.band.low, dense.band.high);
        if (block.spread !== null) this.selectSpread(block, this.updateSpread(block, learningRate, options, mu));
        this.rebuild(block, dense.band.finish(dense.pass, dense.keepCount, this.selector));
      }
    });
  }

  /** The spread's scores from ∂L/∂ũ (the shards' partial sums in shard order; small tensor, plain select). */
  private updateSpread(block: Block, lr: number, options: PopupOptimizerOptions, mu: number): ScoreThreshold {
    const spread = block.spread!;
    const { scores: s, momentum: m, gradient } = spread;
    const u = spread.layer.weight;
    const partials = block.dense.pass.du;
    const size = spread.size;
    gradient.fill(0);
    for (let shard = 0; shard < SHARDS; shard++) for (let h = 0; h < size; h++) gradient[h] = gradient[h]! + partials[shard * size + h]!;
    const wd = options.weightDecay;
    for (let h = 0; h < size; h++) {
      const score = s[h]!;
      const g = gradient[h]! * (score > 0 ? u[h]! : score < 0 ? -u[h]! : 0) + wd * score;
      const step = mu * m[h]! + g;
      m[h] = step;
      s[h] = score - lr * step;
    }
    return this.selector.select(s, spread.keepCount);
  }

  /** The spread's mask and ũ = u ⊙ m (into the dense layer's pass arrays). */
  private selectSpread(block: Block, selection: ScoreThreshold): void {
    const spread = block.spread!;
    fillMask(spread.scores, spread.keepCount, selection, spread.mask);
    const u = block.dense.pass.u;
    for (let h = 0; h < spread.size; h++) u[h] = spread.mask[h] === 1 ? spread.layer.weight[h]! : 0;
  }

  /** Pass 3: the dense mask (index tie-break, as fillMask) and V. */
  private rebuild(block: Block, selection: ScoreThreshold): void {
    const dense = block.dense;
    const pass = dense.pass;
    if (dense.keepCount === 0) {
      // Nothing kept (threshold +∞).
      pass.mask.fill(0);
      pass.v.fill(0);
      return;
    }
    if (selection.exact) this.runner.rebuild(dense.index, selection.threshold);
    else rebuildWithTies(pass, selection.threshold, dense.keepCount - selection.greater);
  }
}

/** A [B, k] and Aᵀ [k, B] of the block input: the input itself, or [x⁺ x⁻] with a ReLU spread. */
function splitInput(block: Block, n: number): void {
  const d = block.features;
  const k = block.k;
  const a = block.a;
  const rows = block.dense.pass.aRows;
  const cols = block.dense.pass.aCols;
  for (let b = 0; b < n; b++) {
    for (let j = 0; j < d; j++) {
      const x = a[b * d + j]!;
      if (block.spreadRelu) {
        const plus = x > 0 ? x : 0;
        const minus = x < 0 ? x : 0;
        rows[b * k + j] = plus;
        rows[b * k + d + j] = minus;
        cols[j * n + b] = plus;
        cols[(d + j) * n + b] = minus;
      } else {
        rows[b * k + j] = x;
        cols[j * n + b] = x;
      }
    }
  }
}

/** out[c·rows + r] = m[r·cols + c] for m [rows, cols]. */
function transposeInto(m: Float32Array, rows: number, cols: number, out: Float32Array): void {
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c]!;
}

/**
 * Exact top-k selection that exploits how little the threshold moves between steps. The update pass counts the
 * new |s| above a band [low, high] around the last threshold and copies those inside it; when the k-th largest
 * falls inside the band (above < k ≤ above + found, no overflow) it is found by sorting the few copies, giving the
 * same threshold, count above and ties as ScoreSelector; otherwise ScoreSelector's two passes run (and the band
 * widens). The band's relative half-width adapts to hold roughly 500…16,000 values (at most SHARD_CANDIDATES per shard). NaN counts as above.
 */
export class BandSelection {
  low = Infinity;
  high = Infinity;
  private readonly candidates = new Float32Array(SHARDS * SHARD_CANDIDATES);
  private width = 0.01;

  /** The shards' counts and copies of the last update pass, then the selection. */
  finish(pass: PassLayer, keepCount: number, selector: ScoreSelector): ScoreThreshold {
    let overflow = false;
    let above = 0;
    let found = 0;
    for (let shard = 0; shard < SHARDS; shard++) {
      const shardFound = pass.results[2 * shard + 1]!;
      above += pass.results[2 * shard]!;
      if (shardFound > SHARD_CANDIDATES) overflow = true;
      else this.candidates.set(pass.candidates.subarray(shard * SHARD_CANDIDATES, shard * SHARD_CANDIDATES + shardFound), found);
      found += shardFound;
    }
    let selection: ScoreThreshold;
    if (!overflow && above < keepCount && keepCount <= above + found) {
      const sorted = this.candidates.subarray(0, found).sort();
      // k-th largest overall = the (keepCount − above)-th largest of the band.
      const threshold = sorted[found - (keepCount - above)]!;
      let greater = above;
      let ties = 0;
      for (let i = found - 1; i >= 0; i--) {
        const v = sorted[i]!;
        if (v > threshold) greater++;
        else if (v === threshold) ties++;
        else break;
      }
      selection = { threshold, greater, ties, exact: greater + ties === keepCount };
      if (found > 16000) this.width *= 0.5;
      else if (found < 500) this.width = Math.min(1, this.width * 1.5);
    } else {
      selection = selector.select(pass.s, keepCount);
      // Too many values in the band: narrow it; the threshold left the band: widen it.
      if (overflow) this.width *= 0.25;
      else if (this.low !== Infinity) this.width = Math.min(1, this.width * 4);
    }
    const t = selection.threshold;
    if (Number.isFinite(t) && t > 0) {
      this.low = Math.fround(t * (1 - this.width));
      this.high = Math.fround(t * (1 + this.width));
    } else {
      this.low = Infinity;
      this.high = Infinity;
    }
    return selection;
  }
}
