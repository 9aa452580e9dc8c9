// Builds the static page into dist/web/ (npm run web:build): index.html, style.css and one app.js that holds
// everything — the page's code (src/web/main.ts and the toolkit's pure folders), the worker script's text
// (src/web/worker.ts), the bundled fc2 target (web/fc2.safetensors, made by `lottery train --arch fc2 --seed 1`),
// the small target of the library example (examples/target.safetensors), the first 2,000 MNIST test images and
// the first 5,000 training images (for the MLP trained in the page).
// The page opens from file:// or any static server and loads nothing. esbuild bundles the TypeScript sources
// directly; a `node:` import reachable from the page fails the build.
//   node dist/scripts/webBuild.js [outDir]          (default dist/web)
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { loadMnist } from '../src/io/mnist.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Test images shipped with the page (verification), and training images (the MLP trained in the page). */
export const PAGE_IMAGES = 2000;
export const PAGE_TRAIN_IMAGES = 5000;

/** The page's assets as modules (see src/web/assets.d.ts). */
function assetsPlugin(workerSource: string): esbuild.Plugin {
  const binary = (file: string): Uint8Array => readFileSync(join(root, file));
  const mnist = (split: 'test' | 'train', count: number): Uint8Array => {
    const set = loadMnist(split);
    const out = new Uint8Array(count * 785);
    out.set(set.images.subarray(0, count * 784));
    out.set(set.labels.subarray(0, count), count * 784);
    return out;
  };
  const modules: Record<string, () => esbuild.OnLoadResult> = {
    'virtual:fc2-target': () => ({ contents: binary('web/fc2.safetensors'), loader: 'binary' }),
    'virtual:small-target': () => ({ contents: binary('examples/target.safetensors'), loader: 'binary' }),
    'virtual:mnist-test': () => ({ contents: mnist('test', PAGE_IMAGES), loader: 'binary' }),
    'virtual:mnist-train': () => ({ contents: mnist('train', PAGE_TRAIN_IMAGES), loader: 'binary' }),
    'virtual:worker-source': () => ({ contents: workerSource, loader: 'text' }),
  };
  return {
    name: 'lottery-page-assets',
    setup(build) {
      build.onResolve({ filter: /^virtual:/ }, (args) => ({ path: args.path, namespace: 'lottery-asset' }));
      build.onLoad({ filter: /.*/, namespace: 'lottery-asset' }, (args) => {
        const make = modules[args.path];
        if (!make) throw new Error(`no page asset ${args.path}`);
        return make();
      });
    },
  };
}

const common: esbuild.BuildOptions = {
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: true,
  legalComments: 'none',
  logLevel: 'silent',
  write: false,
};

/** Builds the page into outDir; returns the size of app.js in bytes. */
export async function buildWeb(outDir = join(root, 'dist', 'web')): Promise<{ appBytes: number }> {
  const worker = await esbuild.build({ ...common, entryPoints: [join(root, 'src/web/worker.ts')] });
  const workerSource = worker.outputFiles![0]!.text;
  const app = await esbuild.build({ ...common, entryPoints: [join(root, 'src/web/main.ts')], plugins: [assetsPlugin(workerSource)] });
  for (const message of [...worker.warnings, ...app.warnings]) throw new Error(`web build: ${message.text} (${message.location?.file ?? ''}:${message.location?.line ?? ''})`);
  mkdirSync(outDir, { recursive: true });
  const appBytes = app.outputFiles![0]!.contents;
  writeFileSync(join(outDir, 'app.js'), appBytes);
  for (const file of ['index.html', 'style.css']) copyFileSync(join(root, 'web', file), join(outDir, file));
  return { appBytes: appBytes.length };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = resolve(process.argv[2] ?? join(root, 'dist', 'web'));
  const { appBytes } = await buildWeb(outDir);
  process.stdout.write(`wrote ${join(outDir, 'index.html')} (app.js ${(appBytes / 1e6).toFixed(1)} MB: code, two targets, ${PAGE_IMAGES.toLocaleString('en-US')} test and ${PAGE_TRAIN_IMAGES.toLocaleString('en-US')} training images); open it from the file system or any static server\n`);
}
