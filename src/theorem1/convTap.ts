/**
 * One kernel tap of a stride-1 convolution on feature-major activations ([channel][y][x][batch], batch
 * innermost): out[o, y, x, ·] += weight · input[c, y + a − p, x + b − p, ·] wherever the input pixel lies
 * inside the plane. Shared by the target's and the ticket's float64 forward passes, so both sum the taps
 * in the same way.
 */

export interface ConvPlane {
  padding: number;
  inputHeight: number;
  inputWidth: number;
  outputHeight: number;
  outputWidth: number;
  batch: number;
}

export function addConvTap(
  out: Float64Array,
  input: Float64Array,
  weight: number,
  outChannel: number,
  inChannel: number,
  tapRow: number,
  tapColumn: number,
  plane: ConvPlane,
): void {
  const { padding: p, inputHeight: h, inputWidth: w, outputHeight: oh, outputWidth: ow, batch } = plane;
  const x0 = Math.max(0, p - tapColumn);
  const x1 = Math.min(ow, w + p - tapColumn); // exclusive
  if (x1 <= x0) return;
  const len = (x1 - x0) * batch;
  for (let y = 0; y < oh; y++) {
    const iy = y + tapRow - p;
    if (iy < 0 || iy >= h) continue;
    const dst = ((outChannel * oh + y) * ow + x0) * batch;
    const src = ((inChannel * h + iy) * w + x0 + tapColumn - p) * batch;
    for (let i = 0; i < len; i++) out[dst + i]! += weight * input[src + i]!;
  }
}
