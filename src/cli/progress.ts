/**
 * Progress for long work: a bar with ETA on a terminal, plain lines (at most one per 10 % and per
 * 5 s) otherwise. Core modules report (done, total) through a callback; only this file draws.
 */
import cliProgress from 'cli-progress';
import type { CliIo } from './io.js';

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

export function createProgress(io: CliIo, label: string, enabled = true): Progress {
  if (!enabled) return { update() {}, stop() {} };
  if (io.interactive) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted} | {duration_formatted}`, stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total) {
        if (!started) {
          bar.start(total, done);
          started = true;
        } else {
          bar.setTotal(total);
          bar.update(done);
        }
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  const startedAt = Date.now();
  let lastDecile = -1;
  let lastTime = 0;
  return {
    update(done, total) {
      const decile = total > 0 ? Math.floor((10 * done) / total) : 10;
      const now = Date.now();
      if (decile > lastDecile && (now - lastTime > 5000 || done === total || lastDecile < 0)) {
        lastDecile = decile;
        lastTime = now;
        const elapsed = (now - startedAt) / 1000;
        const eta = done > 0 ? (elapsed * (total - done)) / done : NaN;
        io.stderr(`${label}: ${done}/${total} (${total > 0 ? ((100 * done) / total).toFixed(0) : 100}%), ${elapsed.toFixed(1)} s elapsed${Number.isFinite(eta) && done < total ? `, ETA ${eta.toFixed(0)} s` : ''}\n`);
      }
    },
    stop() {},
  };
}

/**
 * Progress of work in named phases (the library's ProgressListener): each phase gets its own bar or lines, labelled
 * "verb" for the first (or unnamed) phase and "verb (phase)" after it.
 */
export interface PhasedProgress {
  update(done: number, total: number, phase?: string): void;
  stop(): void;
}

export function createPhasedProgress(io: CliIo, verb: string, enabled = true): PhasedProgress {
  let current: Progress | null = null;
  let currentPhase: string | undefined;
  let phases = 0;
  return {
    update(done, total, phase) {
      if (current === null || phase !== currentPhase) {
        current?.stop();
        current = createProgress(io, phases === 0 || phase === undefined ? verb : `${verb} (${phase})`, enabled);
        currentPhase = phase;
        phases++;
      }
      current.update(done, total);
    },
    stop() {
      current?.stop();
    },
  };
}
