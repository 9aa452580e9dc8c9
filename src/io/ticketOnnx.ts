/**
 * A ticket as a compact ONNX model on real inputs: only the kept structure is stored. Per stage i, the first layer
 * of the block keeps one weight per kept unit, so it is a gather-and-scale — h = Relu(Gather(x, j) · u (+ b)) — and
 * the second layer is a MatMul (dense) or Conv (conv2d) whose weight is a `sparse_initializer` holding the kept
 * edges only (float32 values, int64 linear indices: 12 bytes an edge). onnxruntime densifies sparse initializers
 * when it loads the model; the file stays proportional to the ticket. Folded as the dense export
 * (src/theorem1/toNetwork.ts, real form): α into stage 1's u, the constant input into stage 1's biases σ(u·α); the
 * stored edge weights are the random float32 values themselves, and outputScale is one multiplication at the end.
 * The model reads and writes float32 but computes in float64 (a Cast after the input, the per-unit scales in
 * float64, each sparse weight cast once, a Cast back at the output), so its logits are verify's float64 forward
 * pass rounded once to float32, not a float32 accumulation over thousands of terms; onnxruntime's CPU Conv has no
 * float64 kernel, so convolution stages cast their input to float32 and back around the Conv.
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import type { CopiedLayer } from '../theorem1/theorem1.js';
import type { MaterializedTicket } from '../theorem1/ticket.js';
import { writeFileAtomic } from './atomicFile.js';
import { ONNX_DEFAULT_OPSET, ONNX_INPUT_NAME, ONNX_IR_VERSION, ONNX_METADATA_ARCH, ONNX_OUTPUT_NAME, intAttribute, intsAttribute, valueInfo } from './onnx.js';
import { DataType, encodeDoubleTensor, encodeFloatTensor, encodeInt32Tensor, encodeInt64Tensor, type TensorProto } from './onnxTensor.js';

const { onnx } = onnxProto;

/** The compact ONNX model of a ticket (see the file header). */
export function onnxBytesFromTicket(ticket: MaterializedTicket): Uint8Array {
  const { meta } = ticket;
  const nodes: OnnxTypes.INodeProto[] = [];
  const initializers: TensorProto[] = [];
  const sparse: OnnxTypes.ISparseTensorProto[] = [];
  let current = ONNX_INPUT_NAME;
  let shape = [...meta.inputShape];
  const add = (opType: string, name: string, inputs: string[], attribute: OnnxTypes.IAttributeProto[] = []): void => {
    const output = `/${name}/${opType}_output_0`;
    nodes.push({ name: `/${name}/${opType}`, opType, input: inputs, output: [output], attribute });
    current = output;
  };
  const copied = (layer: CopiedLayer, name: string): void => {
    if (layer.kind === 'relu') add('Relu', name, [current]);
    else if (layer.kind === 'flatten') {
      add('Flatten', name, [current], [intAttribute('axis', 1)]);
      shape = [shape.reduce((a, b) => a * b, 1)];
    } else {
      add('MaxPool', name, [current], [intsAttribute('kernel_shape', [layer.size, layer.size]), intsAttribute('strides', [layer.size, layer.size])]);
      shape = [shape[0]!, Math.floor(shape[1]! / layer.size), Math.floor(shape[2]! / layer.size)];
    }
  };
  add('Cast', 'input', [current], [intAttribute('to', DataType.DOUBLE)]);
  meta.before.forEach((layer, i) => copied(layer, `before.${i}`));
  const last = ticket.stages.length - 1;
  ticket.stages.forEach((stage, s) => {
    const g = stage.geometry;
    const scope = g.inputCopies ? `stage${s + 1}` : `pair${s + 1}`;
    const conv = g.kind === 'conv2d';
    const units = stage.unitInput.length;
    // First layer: one weight per kept unit. Units that read stage 1's constant input become a bias σ(u·α).
    const foldConstant = s === 0 && meta.constant;
    const alpha = s === 0 ? meta.inputScale : 1;
    const index = new Int32Array(units);
    const scale = new Float64Array(units);
    const bias = foldConstant ? new Float64Array(units) : null;
    for (let q = 0; q < units; q++) {
      const j = stage.unitInput[q]!;
      const u = stage.unitWeight[q]!;
      if (foldConstant && j >= g.realInUnits) bias![q] = u * alpha;
      else {
        index[q] = j;
        scale[q] = alpha === 1 ? u : u * alpha;
      }
    }
    const perUnit = conv ? [1, units, 1, 1] : [units];
    initializers.push(encodeInt32Tensor(`${scope}.hidden.index`, [units], index));
    add('Gather', `${scope}/hidden`, [current, `${scope}.hidden.index`], [intAttribute('axis', 1)]);
    // A depth-(l+1) stage whose input is copies has no random first layer: the Gather only picks the kept copies.
    if (!g.inputCopies) {
      initializers.push(encodeDoubleTensor(`${scope}.hidden.weight`, perUnit, scale));
      add('Mul', `${scope}/hidden`, [current, `${scope}.hidden.weight`]);
      if (bias) {
        initializers.push(encodeDoubleTensor(`${scope}.hidden.bias`, perUnit, bias));
        add('Add', `${scope}/hidden`, [current, `${scope}.hidden.bias`]);
      }
      add('Relu', `${scope}/hidden`, [current]);
    }
    // Second layer: the kept edges as a sparse weight, linear indices ascending.
    const k = g.kernelSize;
    const kk = k * k;
    const edges = stage.edgeWeight.length;
    const linear = new Float64Array(edges);
    const order = new Int32Array(edges);
    for (let o = 0; o < g.outUnits; o++) {
      for (let e = stage.edgeOffsets[o]!; e < stage.edgeOffsets[o + 1]!; e++) {
        const q = stage.edgeUnit[e]!;
        // MatMul's B is [L, out] (row q, column o); Conv's W is [out, L, k, k].
        linear[e] = conv ? (o * units + q) * kk + stage.edgeTap[e]! : q * g.outUnits + o;
        order[e] = e;
      }
    }
    order.sort((a, b) => linear[a]! - linear[b]!);
    const values = new Float32Array(edges);
    const indices = new Float64Array(edges);
    order.forEach((e, i) => {
      values[i] = stage.edgeWeight[e]!;
      indices[i] = linear[e]!;
    });
    const dims = conv ? [g.outUnits, units, k, k] : [units, g.outUnits];
    sparse.push({ dims, values: encodeFloatTensor(`${scope}.out.weight`, [edges], values), indices: encodeInt64Tensor(`${scope}.out.weight_indices`, [edges], indices) });
    if (conv) {
      add('Cast', `${scope}/out/input`, [current], [intAttribute('to', DataType.FLOAT)]);
      add('Conv', `${scope}/out`, [current, `${scope}.out.weight`], [intsAttribute('kernel_shape', [k, k]), intsAttribute('pads', [g.padding, g.padding, g.padding, g.padding]), intsAttribute('strides', [1, 1])]);
      add('Cast', `${scope}/out/output`, [current], [intAttribute('to', DataType.DOUBLE)]);
      shape = [g.outUnits, g.outputHeight, g.outputWidth];
    } else {
      const input = current;
      add('Cast', `${scope}/out/weight`, [`${scope}.out.weight`], [intAttribute('to', DataType.DOUBLE)]);
      add('MatMul', `${scope}/out`, [input, current]);
      shape = [g.outUnits];
    }
    g.after.forEach((layer, i) => copied(layer, `${scope}/after.${i}`));
  });
  initializers.push(encodeDoubleTensor('output.scale', [], Float64Array.of(meta.outputScale)));
  add('Mul', 'output', [current, 'output.scale']);
  add('Cast', 'output', [current], [intAttribute('to', DataType.FLOAT)]);
  nodes[nodes.length - 1]!.output = [ONNX_OUTPUT_NAME];
  const model = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_DEFAULT_OPSET }],
    producerName: 'lottery',
    graph: {
      name: `ticket:${meta.construction}`,
      node: nodes,
      initializer: initializers,
      sparseInitializer: sparse,
      input: [valueInfo(ONNX_INPUT_NAME, ['batch', ...meta.inputShape])],
      output: [valueInfo(ONNX_OUTPUT_NAME, ['batch', ...shape])],
    },
    metadataProps: [{ key: ONNX_METADATA_ARCH, value: `ticket:${meta.construction}` }],
  });
  const encoded = onnx.ModelProto.encode(model).finish();
  return new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength);
}

export function exportTicketOnnx(path: string, ticket: MaterializedTicket): void {
  writeFileAtomic(path, onnxBytesFromTicket(ticket));
}
