/** The table of CLI verbs. Adding a verb: write src/cli/<verb>.ts exporting a registrar, add one line here. */
import type { Command } from 'commander';
import type { CliIo } from './io.js';
import { registerRss } from './rss.js';

export type RegisterCommand = (program: Command, io: CliIo) => void;

export const COMMANDS: RegisterCommand[] = [
  registerRss,
];
