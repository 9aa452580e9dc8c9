/** The table of CLI verbs. Adding a verb: write src/cli/<verb>.ts exporting a registrar, add one line here. */
import type { RegisterCommand } from './io.js';
import { registerRss } from './rss.js';
import { registerEval } from './eval.js';
import { registerTrain } from './train.js';
import { registerSolve } from './solve.js';
import { registerApproximate } from './approximate.js';
import { registerPopup } from './popup.js';
import { registerRun } from './run.js';
import { registerPrune } from './prune.js';
import { registerVerify } from './verify.js';
import { registerExport } from './export.js';
import { registerBound } from './bound.js';
import { registerDemo } from './demo.js';
import { registerReproduce } from './reproduce.js';

export const COMMANDS: RegisterCommand[] = [
  registerRss,
  registerEval,
  registerTrain,
  registerSolve,
  registerApproximate,
  registerPopup,
  registerRun,
  registerPrune,
  registerVerify,
  registerExport,
  registerBound,
  registerDemo,
  registerReproduce,
];
