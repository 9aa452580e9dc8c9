/**
 * Typed errors. An InputError is the user's to fix (bad file, bad flag, bad value): the CLI prints its
 * one-line message and exits 2. A RunError is a run that failed for another reason: exit 1.
 */
export class LotteryError extends Error {
  readonly exitCode: 1 | 2;
  constructor(message: string, exitCode: 1 | 2) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad input: names the file or flag, the field and the value that is wrong. Exit code 2. */
export class InputError extends LotteryError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** A run that could not finish for a reason other than bad input. Exit code 1. */
export class RunError extends LotteryError {
  constructor(message: string) {
    super(message, 1);
  }
}
