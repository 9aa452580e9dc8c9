/**
 * The typed values the `lottery` verbs print with --json, by verb: what `lottery reproduce` keeps from each command
 * it runs (handed over as objects through CliIo.result, never re-parsed from text) and builds its records from.
 */
import { RunError } from '../core/errors.js';
import type { EvalCommandReport } from '../nn/evaluate.js';
import type { TrainSummary } from '../nn/train.js';
import type { PruneCommandReport } from '../theorem1/report.js';
import type { BoundCommandReport } from '../theorem1/sizes.js';
import type { VerifyCommandReport } from '../theorem1/verify.js';
import type { ApproximateRunSummary } from './approximateRun.js';
import type { PopupRunRecord } from './popup.js';
import type { RssRecord } from './rss.js';

export interface VerbOutputs {
  rss: RssRecord[];
  train: TrainSummary;
  eval: EvalCommandReport;
  /** One run, or a sweep over n (`--samples-sweep`): one summary per n with its run folder. */
  approximate: ApproximateRunSummary | Array<ApproximateRunSummary & { outDir: string }>;
  prune: PruneCommandReport;
  verify: VerifyCommandReport;
  bound: BoundCommandReport;
  run: PopupRunRecord[];
}

export type Verb = keyof VerbOutputs;
export const VERBS_WITH_OUTPUTS: readonly Verb[] = ['rss', 'train', 'eval', 'approximate', 'prune', 'verify', 'bound', 'run'];

/** A command's output tagged with its verb. */
export type VerbOutput = { [V in Verb]: { verb: V; output: VerbOutputs[V] } }[Verb];

/** The output of `verb`, or an error naming the command when the command was another verb. */
export function outputOf<V extends Verb>(tagged: VerbOutput | undefined, verb: V, name: string): VerbOutputs[V] {
  if (tagged === undefined) throw new RunError(`reproduce: no output for command ${name}`);
  if (tagged.verb !== verb) throw new RunError(`reproduce: command ${name} is lottery ${tagged.verb}, expected lottery ${verb}`);
  return tagged.output as VerbOutputs[V];
}
