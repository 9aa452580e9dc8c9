/**
 * Progress of long work, reported by the pure core and drawn by the edge (src/cli/progress.ts): `done` of `total`
 * in the current phase. Work with several long phases names them (`phase`); phases follow each other and each
 * starts again from 0. A listener never changes a result.
 */
export type ProgressListener = (done: number, total: number, phase?: string) => void;
