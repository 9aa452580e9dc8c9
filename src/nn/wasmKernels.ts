/**
 * The hot loops of the float32 forward pass as hand-assembled WebAssembly SIMD kernels, accumulating in float64.
 * `rows`: y = x·Wᵀ + b row by row, with Wᵀ packed [n, mp] (mp = outputs rounded up to 4); per row it gathers the
 * inputs that differ from a baseline z (0, or the row's dominant value such as the background of standardised
 * pixels), accumulates Σ_k (x_k − z)·Wᵀ[k, j] (f64x2 lanes, 16 outputs per pass over the gathered inputs, k
 * ascending) and writes f32(Σ + (b_j + z·Σ_k Wᵀ[k, j])). `columns`: a convolution with few output channels,
 * vectorised over output positions instead (16 neighbours of a row per pass, taps ascending, zeros included).
 * Either way an output depends on its own image alone, in a fixed order, and a following ReLU can be applied
 * as it is written. `maxPool`: max-pooling with NaN propagation. Checked through forward.ts against
 * referenceForward (test/nn/wasmKernels.test.ts, test/nn/forward.test.ts).
 */
import { F64, I32, V128, assembleModule, forLoop, instantiate, op, seq, type Code, type WasmHeap } from './wasmAssembler.js';

// Parameters of `rows` (all i32 byte addresses or counts).
const X = 0; // f32 inputs
const ROWS = 1;
const N = 2;
const ROW_STARTS = 3; // i32 [rows]: element offset of row r in x
const MAP = 4; // i32 [n]: element offset of input k within a row
const W = 5; // f32 [n, mp]
const MP = 6;
const BIAS = 7; // f64 [mp]
const COLSUM = 8; // f64 [mp]: Σ_k Wᵀ[k, j]
const Y = 9; // f32 outputs: y[r·yRow + j·yCol]
const Y_ROW = 10;
const Y_COL = 11;
const M = 12;
const OFFS = 13; // i32 [n] scratch: byte offsets k·mp·4 of the gathered inputs
const DEL = 14; // f64 [n] scratch: their values x_k − z
const ACC = 15; // f64 [mp] scratch
const RELU = 16; // 1: y = max(y, 0) (NaN kept)
// Locals.
const r = 17;
const k = 18;
const c = 19;
const rs = 20;
const j = 21;
const i = 22;
const p = 23;
const firsts = 24;
const wRow = 25; // mp·4
const v = 26;
const z = 27;
const first = 28;
const dv = 29;
const a = (t: number): number => 30 + t; // 8 v128 accumulators
const FLOOR = 38; // f64: 0 with a fused ReLU, else −∞

/**
 * Pushes max(value, floor) for f64 locals: floor is 0 for a fused ReLU (NaN stays NaN, as torch.relu), −∞
 * otherwise. Computed in lane 0 of f64x2.max, which V8 compiles without branches: a compare-and-select on the
 * signs of random outputs mispredicts half the time (it doubled the time of LeNet5's conv1).
 */
function floorMax(value: number, floor: number): Code {
  return seq(op.get(value), op.f64x2Splat, op.get(floor), op.f64x2Splat, op.f64x2Max, op.f64x2ExtractLane(0));
}

/** floor = flag ? 0 : −∞ */
function setFloor(flag: number, floor: number): Code {
  return seq(op.f64(0), op.f64(-Infinity), op.get(flag), op.select, op.set(floor));
}

/** v = f64(x[rs + map[k]]) − z */
const loadInput = seq(
  op.get(X), op.get(rs), op.get(MAP), op.get(k), op.i32(2), op.i32Shl, op.i32Add, op.i32Load(), op.i32Add, op.i32(2), op.i32Shl, op.i32Add,
  op.f32Load(), op.f64PromoteF32, op.get(z), op.f64Sub, op.set(v),
);

/** offs[c] = k·mp·4; del[c] = v; c += v ≠ 0 (slots are always written; only the count is conditional). */
const gather = forLoop(k, op.i32(0), op.get(N), op.i32(1),
  loadInput,
  op.get(OFFS), op.get(c), op.i32(2), op.i32Shl, op.i32Add, op.get(k), op.get(wRow), op.i32Mul, op.i32Store(),
  op.get(DEL), op.get(c), op.i32(3), op.i32Shl, op.i32Add, op.get(v), op.f64Store(),
  op.get(c), op.get(v), op.f64(0), op.f64Ne, op.i32Add, op.set(c),
);

/** a_t += splat(del[i]) · f64(Wᵀ[k_i, j + 2t .. j + 2t + 1]) for t < lanes/2, over the gathered inputs i < c. */
function accumulate(pairs: number): Code {
  const body: Code[] = [
    op.get(OFFS), op.get(i), op.i32(2), op.i32Shl, op.i32Add, op.i32Load(), op.get(W), op.i32Add, op.get(j), op.i32(2), op.i32Shl, op.i32Add, op.set(p),
    op.get(DEL), op.get(i), op.i32(3), op.i32Shl, op.i32Add, op.f64Load(), op.f64x2Splat, op.set(dv),
  ];
  for (let t = 0; t < pairs; t++) {
    body.push(op.get(a(t)), op.get(dv), op.get(p), op.v128Load64Zero(8 * t), op.f64x2PromoteLowF32x4, op.f64x2Mul, op.f64x2Add, op.set(a(t)));
  }
  const init: Code[] = [];
  const store: Code[] = [];
  for (let t = 0; t < pairs; t++) {
    init.push(op.v128Zero, op.set(a(t)));
    store.push(op.get(ACC), op.get(j), op.i32(3), op.i32Shl, op.i32Add, op.get(a(t)), op.v128Store(16 * t));
  }
  return seq(...init, forLoop(i, op.i32(0), op.get(c), op.i32(1), ...body), ...store);
}

const rowBody = seq(
  op.get(ROW_STARTS), op.get(r), op.i32(2), op.i32Shl, op.i32Add, op.i32Load(), op.set(rs),
  op.f64(0), op.set(z),
  op.i32(0), op.set(c),
  gather,
  // A mostly nonzero row whose first nonzero value outnumbers its zeros: gather again around z = that value.
  op.get(c), op.i32(1), op.i32Shl, op.get(N), op.i32GtS,
  op.if(
    op.get(DEL), op.f64Load(), op.tee(first), op.get(first), op.f64Sub, op.f64(0), op.f64Eq, // finite
    op.if(
      op.i32(0), op.set(firsts),
      forLoop(i, op.i32(0), op.get(c), op.i32(1),
        op.get(firsts), op.get(DEL), op.get(i), op.i32(3), op.i32Shl, op.i32Add, op.f64Load(), op.get(first), op.f64Eq, op.i32Add, op.set(firsts),
      ),
      op.get(firsts), op.get(N), op.get(c), op.i32Sub, op.i32GtS,
      op.if(op.get(first), op.set(z), op.i32(0), op.set(c), gather),
    ),
  ),
  // Blocks of 16 outputs (8 f64x2 accumulators), then of 4. (Streaming whole weight rows through accumulators in
  // memory instead, four gathered inputs per pass, measured the same on fc2 and fc4.)
  op.i32(0), op.set(j),
  op.block(op.loop(op.get(j), op.i32(16), op.i32Add, op.get(MP), op.i32GtS, op.brIf(1), accumulate(8), op.get(j), op.i32(16), op.i32Add, op.set(j), op.br(0))),
  op.block(op.loop(op.get(j), op.get(MP), op.i32GeS, op.brIf(1), accumulate(2), op.get(j), op.i32(4), op.i32Add, op.set(j), op.br(0))),
  // y[r·yRow + j·yCol] = f32(acc_j + (b_j + z·colSum_j)), then ReLU if asked
  forLoop(j, op.i32(0), op.get(M), op.i32(1),
    op.get(Y), op.get(r), op.get(Y_ROW), op.i32Mul, op.get(j), op.get(Y_COL), op.i32Mul, op.i32Add, op.i32(2), op.i32Shl, op.i32Add,
    op.get(ACC), op.get(j), op.i32(3), op.i32Shl, op.i32Add, op.f64Load(),
    op.get(BIAS), op.get(j), op.i32(3), op.i32Shl, op.i32Add, op.f64Load(),
    op.get(z), op.get(COLSUM), op.get(j), op.i32(3), op.i32Shl, op.i32Add, op.f64Load(), op.f64Mul, op.f64Add,
    op.f64Add, op.set(v), floorMax(v, FLOOR), op.f32DemoteF64, op.f32Store(),
  ),
);

// Parameters and locals of `columns`.
const CX = 0; // f32 zero-padded image planes [c, ph, pw] (plus 16 bytes of slack after the last row)
const C_OH = 1;
const C_OW = 2;
const C_PITCH = 3; // pw
const C_N = 4; // taps c·k·k
const C_MAP = 5; // i32 [n]: element offset of tap t from the patch corner
const C_W = 6; // f64 [m, n]
const C_M = 7;
const C_BIAS = 8; // f64 [m]
const C_Y = 9; // f32 [m, oh·ow]
const C_ACC = 10; // f64 [16] scratch
const C_RELU = 11;
const co = 12;
const cy = 13;
const cx = 14;
const ct = 15;
const cBase = 16;
const cW = 17;
const cLanes = 18;
const cl = 19;
const cValue = 20; // f64
const cWv = 21;
const ca = (t: number): number => 22 + t; // 8 v128 accumulators
const C_FLOOR = 30; // f64

/** Output positions (cy, cx … cx + 2·pairs − 1) of channel co; writes only those with cx + l < ow. */
function columnBlock(pairs: number): Code {
  const init: Code[] = [];
  const body: Code[] = [
    op.get(cW), op.get(ct), op.i32(3), op.i32Shl, op.i32Add, op.f64Load(), op.f64x2Splat, op.set(cWv),
    op.get(cBase), op.get(C_MAP), op.get(ct), op.i32(2), op.i32Shl, op.i32Add, op.i32Load(), op.i32(2), op.i32Shl, op.i32Add, op.set(cLanes),
  ];
  const store: Code[] = [];
  for (let t = 0; t < pairs; t++) {
    init.push(op.v128Zero, op.set(ca(t)));
    body.push(op.get(ca(t)), op.get(cWv), op.get(cLanes), op.v128Load64Zero(8 * t), op.f64x2PromoteLowF32x4, op.f64x2Mul, op.f64x2Add, op.set(ca(t)));
    store.push(op.get(C_ACC), op.get(ca(t)), op.v128Store(16 * t));
  }
  return seq(
    // base = x + 4·(cy·pw + cx); w row = W + 8·co·n
    op.get(CX), op.get(cy), op.get(C_PITCH), op.i32Mul, op.get(cx), op.i32Add, op.i32(2), op.i32Shl, op.i32Add, op.set(cBase),
    ...init,
    forLoop(ct, op.i32(0), op.get(C_N), op.i32(1), ...body),
    ...store,
    // lanes = min(2·pairs, ow − cx)
    op.i32(2 * pairs), op.get(C_OW), op.get(cx), op.i32Sub, op.tee(cLanes), op.get(cLanes), op.i32(2 * pairs), op.i32GtS, op.select, op.set(cLanes),
    forLoop(cl, op.i32(0), op.get(cLanes), op.i32(1),
      // y[co·oh·ow + cy·ow + cx + l] = f32(acc[l] + bias[co])
      op.get(C_Y), op.get(co), op.get(C_OH), op.i32Mul, op.get(cy), op.i32Add, op.get(C_OW), op.i32Mul, op.get(cx), op.i32Add, op.get(cl), op.i32Add, op.i32(2), op.i32Shl, op.i32Add,
      op.get(C_ACC), op.get(cl), op.i32(3), op.i32Shl, op.i32Add, op.f64Load(),
      op.get(C_BIAS), op.get(co), op.i32(3), op.i32Shl, op.i32Add, op.f64Load(),
      op.f64Add, op.set(cValue), floorMax(cValue, C_FLOOR), op.f32DemoteF64, op.f32Store(),
    ),
  );
}

const columnsBody = forLoop(co, op.i32(0), op.get(C_M), op.i32(1),
  op.get(C_W), op.get(co), op.get(C_N), op.i32Mul, op.i32(3), op.i32Shl, op.i32Add, op.set(cW),
  forLoop(cy, op.i32(0), op.get(C_OH), op.i32(1),
    op.i32(0), op.set(cx),
    op.block(op.loop(op.get(cx), op.i32(16), op.i32Add, op.get(C_OW), op.i32GtS, op.brIf(1), columnBlock(8), op.get(cx), op.i32(16), op.i32Add, op.set(cx), op.br(0))),
    op.block(op.loop(op.get(cx), op.get(C_OW), op.i32GeS, op.brIf(1), columnBlock(2), op.get(cx), op.i32(4), op.i32Add, op.set(cx), op.br(0))),
  ),
);

// `maxPool`: y[plane, yy, xx] = max over the size × size window (a NaN anywhere wins, as in torch) with f32x4.max:
// scalar f32.max compiles to branches that mispredict on random data (~10 ns per output). Windows of 2 take four
// outputs per step (vertical max of two rows, then even lanes against odd lanes); other sizes and the last
// outputs of a row go one at a time in lane 0.
const P_X = 0;
const P_PLANES = 1;
const P_H = 2;
const P_W = 3;
const P_SIZE = 4;
const P_Y = 5;
const pPlane = 6;
const pyy = 7;
const pxx = 8;
const pdy = 9;
const pdx = 10;
const pCorner = 11;
const pOut = 12;
const pOh = 13;
const pOw = 14;
const pRow = 15;
const pBest = 16; // v128 (lane 0)
const pTop = 17; // v128
const pBottom = 18; // v128

const EVEN_F32 = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
const ODD_F32 = EVEN_F32.map((b) => b + 4);

/** Output (plane, yy, xx): the size × size window at corner pCorner, one value at a time in lane 0 of pBest. */
const poolOne = seq(
  op.get(pCorner), op.f32Load(), op.f32x4Splat, op.set(pBest),
  forLoop(pdy, op.i32(0), op.get(P_SIZE), op.i32(1),
    op.get(pCorner), op.get(pdy), op.get(P_W), op.i32Mul, op.i32(2), op.i32Shl, op.i32Add, op.set(pRow),
    forLoop(pdx, op.i32(0), op.get(P_SIZE), op.i32(1),
      op.get(pBest), op.get(pRow), op.get(pdx), op.i32(2), op.i32Shl, op.i32Add, op.f32Load(), op.f32x4Splat, op.f32x4Max, op.set(pBest),
    ),
  ),
  op.get(pOut), op.get(pBest), op.f32x4ExtractLane(0), op.f32Store(),
  op.get(pOut), op.i32(4), op.i32Add, op.set(pOut),
);

/** corner = x + 4·((plane·h + yy·size)·w + xx·size) */
const setCorner = seq(
  op.get(P_X), op.get(pPlane), op.get(P_H), op.i32Mul, op.get(pyy), op.get(P_SIZE), op.i32Mul, op.i32Add, op.get(P_W), op.i32Mul,
  op.get(pxx), op.get(P_SIZE), op.i32Mul, op.i32Add, op.i32(2), op.i32Shl, op.i32Add, op.set(pCorner),
);

/** Four outputs of a size-2 pooling from the 2 × 8 inputs at pCorner. */
const poolFour = seq(
  op.get(pCorner), op.v128Load(), op.get(pCorner), op.get(P_W), op.i32(2), op.i32Shl, op.i32Add, op.tee(pRow), op.v128Load(), op.f32x4Max, op.set(pTop),
  op.get(pCorner), op.v128Load(16), op.get(pRow), op.v128Load(16), op.f32x4Max, op.set(pBottom),
  op.get(pOut),
  op.get(pTop), op.get(pBottom), op.i8x16Shuffle(EVEN_F32), op.get(pTop), op.get(pBottom), op.i8x16Shuffle(ODD_F32), op.f32x4Max,
  op.v128Store(),
  op.get(pOut), op.i32(16), op.i32Add, op.set(pOut),
);

const maxPoolBody = seq(
  op.get(P_H), op.get(P_SIZE), op.i32DivU, op.set(pOh),
  op.get(P_W), op.get(P_SIZE), op.i32DivU, op.set(pOw),
  op.get(P_Y), op.set(pOut),
  forLoop(pPlane, op.i32(0), op.get(P_PLANES), op.i32(1),
    forLoop(pyy, op.i32(0), op.get(pOh), op.i32(1),
      op.i32(0), op.set(pxx),
      op.get(P_SIZE), op.i32(2), op.i32Eq,
      op.if(op.block(op.loop(op.get(pxx), op.i32(4), op.i32Add, op.get(pOw), op.i32GtS, op.brIf(1), setCorner, poolFour, op.get(pxx), op.i32(4), op.i32Add, op.set(pxx), op.br(0)))),
      op.block(op.loop(op.get(pxx), op.get(pOw), op.i32GeS, op.brIf(1), setCorner, poolOne, op.get(pxx), op.i32(1), op.i32Add, op.set(pxx), op.br(0))),
    ),
  ),
);

const MODULE_KEY = {};

function moduleBytes(): Uint8Array<ArrayBuffer> {
  return assembleModule([
    {
      name: 'rows',
      params: new Array(17).fill(I32),
      locals: [...new Array(9).fill(I32), F64, F64, F64, V128, ...new Array(8).fill(V128), F64],
      body: seq(setFloor(RELU, FLOOR), op.get(MP), op.i32(2), op.i32Shl, op.set(wRow), forLoop(r, op.i32(0), op.get(ROWS), op.i32(1), rowBody)),
    },
    {
      name: 'columns',
      params: new Array(12).fill(I32),
      locals: [...new Array(8).fill(I32), F64, V128, ...new Array(8).fill(V128), F64],
      body: seq(setFloor(C_RELU, C_FLOOR), columnsBody),
    },
    { name: 'maxPool', params: new Array(6).fill(I32), locals: [...new Array(10).fill(I32), V128, V128, V128], body: maxPoolBody },
  ]);
}

type RowsFunction = (
  x: number, rows: number, n: number, rowStarts: number, map: number, w: number, mp: number, bias: number, colSum: number,
  y: number, yRow: number, yCol: number, m: number, offs: number, del: number, acc: number, relu: number,
) => void;

/** Wᵀ packed into a heap, with bias and column sums; `run` computes rows of y = x·Wᵀ + b. */
export interface DenseKernel {
  n: number;
  m: number;
  /**
   * y[r·yRow + j·yCol] = b_j + Σ_k x[rowStarts[r] + map[k]]·W[j, k] for r < rows (all arguments are heap byte
   * addresses except the counts and strides; rowStarts and map hold element offsets).
   */
  run(x: number, rows: number, rowStarts: number, map: number, y: number, yRow: number, yCol: number, relu: boolean): void;
  /** Heap address of the identity map (map[k] = k), for plain row-major rows. */
  identityMap: number;
}

type ColumnsFunction = (
  x: number, outHeight: number, outWidth: number, pitch: number, n: number, map: number, w: number, m: number, bias: number, y: number, acc: number, relu: number,
) => void;

/** The kernels' scratch (gather lists and accumulators), shared by the kernels of one heap. */
export interface DenseScratch {
  heap: WasmHeap;
  rows: RowsFunction;
  columns: ColumnsFunction;
  /** Max-pooling (window = stride = size, remainder dropped) of `planes` planes h × w at x into y. */
  maxPool: (x: number, planes: number, h: number, w: number, size: number, y: number) => void;
  offs: number;
  del: number;
  acc: number;
}

export function denseScratch(heap: WasmHeap, maxInputs: number, maxOutputs: number): DenseScratch {
  const exports = instantiate<Pick<DenseScratch, 'rows' | 'columns' | 'maxPool'>>(MODULE_KEY, moduleBytes, heap);
  const mp = Math.max(16, Math.ceil(maxOutputs / 4) * 4);
  return { heap, rows: exports.rows, columns: exports.columns, maxPool: exports.maxPool, offs: heap.reserve(4 * maxInputs), del: heap.reserve(8 * maxInputs), acc: heap.reserve(8 * mp) };
}

/** Packs PyTorch-layout weights [m, n] (a dense weight, or a conv weight seen as [out, c·k·k]) into the heap. */
export function denseKernel(scratch: DenseScratch, weight: Float32Array, bias: Float32Array | null, n: number, m: number): DenseKernel {
  const { heap } = scratch;
  const mp = Math.ceil(m / 4) * 4;
  const w = heap.reserve(4 * n * mp);
  const b = heap.reserve(8 * mp);
  const colSum = heap.reserve(8 * mp);
  const identityMap = heap.reserve(4 * n);
  const wView = heap.f32(w, n * mp);
  const sums = heap.f64(colSum, mp);
  for (let o = 0; o < m; o++) {
    let sum = 0;
    for (let kk = 0; kk < n; kk++) {
      const value = weight[o * n + kk]!;
      wView[kk * mp + o] = value;
      sum += value;
    }
    sums[o] = sum;
  }
  if (bias) heap.f64(b, mp).set(bias);
  const map = heap.i32(identityMap, n);
  for (let kk = 0; kk < n; kk++) map[kk] = kk;
  const { rows, offs, del, acc } = scratch;
  return {
    n,
    m,
    identityMap,
    run(x, rowCount, rowStarts, mapAt, y, yRow, yCol, relu) {
      rows(x, rowCount, n, rowStarts, mapAt, w, mp, b, colSum, y, yRow, yCol, m, offs, del, acc, relu ? 1 : 0);
    },
  };
}

/** A convolution run by `columns`: weights [out, c·k·k] in float64 and the tap map of a padded plane. */
export interface ColumnsKernel {
  /**
   * y[o, yy, xx] = b_o + Σ_t W[o, t]·x[(yy·pitch + xx) + map[t]] for the output grid outHeight × outWidth; x is
   * the heap address of zero-padded planes with pitch values per row and at least 16 bytes of slack after them.
   */
  run(x: number, outHeight: number, outWidth: number, pitch: number, map: number, y: number, relu: boolean): void;
}

export function columnsKernel(scratch: DenseScratch, weight: Float32Array, bias: Float32Array | null, n: number, m: number): ColumnsKernel {
  const { heap, columns, acc } = scratch;
  const w = heap.reserve(8 * n * m);
  heap.f64(w, n * m).set(weight);
  const b = heap.reserve(8 * m);
  if (bias) heap.f64(b, m).set(bias);
  return {
    run(x, outHeight, outWidth, pitch, map, y, relu) {
      columns(x, outHeight, outWidth, pitch, n, map, w, m, b, y, acc, relu ? 1 : 0);
    },
  };
}
