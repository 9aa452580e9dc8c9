// A PyTorch state_dict (names and shapes, no recorded architecture) is never used silently (issue 13, item 3): the
// verbs print the layer chain they inferred and that ReLU was assumed; batch-norm buffers, square hidden layers
// (which could be residual blocks) and names that do not chain are refused with exit 2, naming the tensor and the
// --arch value or ONNX export that fixes it; with that --arch the file is read. Files are written in the layout
// safetensors.torch.save_file writes (F32 tensors named <module>.weight / .bias, no metadata).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RandomStream } from '../../src/core/random.js';
import { encodeSafetensorsBytes, type SafetensorsTensorInput } from '../../src/io/safetensors.js';
import { cli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'lottery-state-dict-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A state_dict file of Linear layers named `names`, sizes [784, …, 10], weights U[−0.05, 0.05). */
function stateDict(file: string, names: string[], sizes: number[], extra: SafetensorsTensorInput[] = []): string {
  const stream = new RandomStream(4, 1);
  let counter = 0;
  const tensors: SafetensorsTensorInput[] = names.flatMap((name, i) => {
    const weight = new Float32Array(sizes[i + 1]! * sizes[i]!).map(() => stream.uniform(counter++, -0.05, 0.05));
    const bias = new Float32Array(sizes[i + 1]!).map(() => stream.uniform(counter++, -0.05, 0.05));
    return [
      { name: `${name}.weight`, dtype: 'F32', shape: [sizes[i + 1]!, sizes[i]!], data: weight },
      { name: `${name}.bias`, dtype: 'F32', shape: [sizes[i + 1]!], data: bias },
    ];
  });
  const path = join(work, file);
  writeFileSync(path, encodeSafetensorsBytes([...tensors, ...extra]));
  return path;
}

test('a plain MLP state_dict is read, and eval says which chain it inferred and that ReLU was assumed', async () => {
  const file = stateDict('plain.safetensors', ['fc1', 'fc2'], [784, 32, 10]);
  const run = await cli(['eval', '--model', file, '--json']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, `note: ${file}: fc1 (784→32) → ReLU → fc2 (32→10), inferred from the names and shapes of a state_dict, with ReLU assumed between the layers (a state_dict records no activation or skip connection: if the model uses other ones, export it to ONNX)\n`);
  assert.ok(JSON.parse(run.stdout).accuracy >= 0);
  const pruned = await cli(['prune', '--target', file, '--tolerance', '0.5', '--seed', '1', '--samples', '6', '--malach-sample', '0', '--no-progress', '--out', join(work, 't.safetensors')]);
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.match(pruned.stderr, /^note: .*plain\.safetensors: fc1 \(784→32\) → ReLU → fc2/);
});

test('refused with exit 2 and the fix: batch-norm buffers, a square hidden layer, names that do not chain', async () => {
  const bn = stateDict('bn.safetensors', ['fc1', 'fc2'], [784, 32, 10], [{ name: 'bn1.running_mean', dtype: 'F32', shape: [32], data: new Float32Array(32) }]);
  const residual = stateDict('residual.safetensors', ['fc1', 'fc2', 'fc3'], [784, 64, 64, 10]);
  const misordered = stateDict('misordered.safetensors', ['input', 'hidden', 'output'], [784, 300, 100, 10]);
  const cases: Array<[string, RegExp]> = [
    [bn, /^lottery: .*bn\.safetensors: tensor 'bn1\.running_mean' is a batch-norm buffer: .*export the model to ONNX in eval mode/],
    [residual, /^lottery: .*residual\.safetensors: tensor 'fc2\.weight' \[64,64\] maps 64 features to 64: .*residual block .*pass --arch mlp:784-64-64-10; if it has skip connections, export it to ONNX/],
    [misordered, /^lottery: .*misordered\.safetensors: weights do not chain .*by their shapes they chain as 'input' → 'hidden' → 'output': if that is the forward order, pass --arch mlp:784-300-100-10/],
  ];
  for (const [file, message] of cases) {
    const run = await cli(['eval', '--model', file]);
    assert.equal(run.code, 2, file);
    assert.match(run.stderr, message);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.equal(run.stdout, '');
  }
  // The suggested --arch reads them (and then no inference note: the user said what the chain is).
  for (const [file, arch] of [[residual, 'mlp:784-64-64-10'], [misordered, 'mlp:784-300-100-10']] as const) {
    const run = await cli(['eval', '--model', file, '--arch', arch, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
  }
});
