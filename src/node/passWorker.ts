/**
 * Worker thread of the fast edge-popup trainer: runs its share of the row shards of popupPasses.ts on the shared
 * arrays when the trainer signals a command (Atomics on a shared control block; see PassRunner in popupEngine.ts).
 */
import { workerData } from 'node:worker_threads';
import './platform.js';
import { initTf } from '../nn/tf/backend.js';
import { SHARDS, rebuildShard, updateShard, type PassLayer } from '../popup/passes.js';
import { forwardShard, gradientShard } from '../popup/products.js';
import { COMMAND, CONTROL, PARAMS, type PassWorkerData } from '../popup/passProtocol.js';

const { control, params, layers, thread, threads } = workerData as PassWorkerData;
const ctrl = new Int32Array(control);
const values = new Float64Array(params);
await initTf();
// A control block without the ready/failed slots comes from an older trainer (a process started before the
// toolkit was rebuilt): work with it rather than fail.
const extended = ctrl.length > CONTROL.failed;
if (extended) {
  Atomics.add(ctrl, CONTROL.ready, 1);
  Atomics.notify(ctrl, CONTROL.ready);
}
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, CONTROL.sequence, seen);
  seen = Atomics.load(ctrl, CONTROL.sequence);
  const command = Atomics.load(ctrl, CONTROL.command);
  if (command === COMMAND.exit) break;
  try {
    const layer: PassLayer = layers[Atomics.load(ctrl, CONTROL.layer)]!;
    for (let shard = thread; shard < SHARDS; shard += threads) {
      if (command === COMMAND.update) {
        updateShard(layer, shard, values[PARAMS.lr]!, values[PARAMS.wd]!, values[PARAMS.mu]!, values[PARAMS.lo]!, values[PARAMS.hi]!);
      } else if (command === COMMAND.rebuild) rebuildShard(layer, shard, values[PARAMS.threshold]!);
      else if (command === COMMAND.forward) forwardShard(layer, shard, values[PARAMS.batch]!);
      else gradientShard(layer, shard, values[PARAMS.batch]!);
    }
  } catch {
    // The trainer, blocked in Atomics.wait, cannot see this thread's error event: flag it in the control block.
    if (extended) Atomics.store(ctrl, CONTROL.failed, 1);
  }
  Atomics.add(ctrl, CONTROL.done, 1);
  Atomics.notify(ctrl, CONTROL.done);
}
