/**
 * Modules the page's build (scripts/webBuild.ts) makes at bundle time, so that the page loads nothing: the bundled
 * targets, 2,000 MNIST test images, 5,000 training images and the worker script's text.
 */
declare module 'virtual:fc2-target' {
  /** The fc2 target (784-500-10) as safetensors bytes (web/fc2.safetensors). */
  const bytes: Uint8Array;
  export default bytes;
}
declare module 'virtual:small-target' {
  /** The small 784-32-10 target of the library example (examples/target.safetensors). */
  const bytes: Uint8Array;
  export default bytes;
}
declare module 'virtual:mnist-test' {
  /** The first 2,000 MNIST test images (2,000 × 784 bytes, row-major) followed by their 2,000 labels. */
  const bytes: Uint8Array;
  export default bytes;
}
declare module 'virtual:mnist-train' {
  /** The first 5,000 MNIST training images (5,000 × 784 bytes, row-major) followed by their 5,000 labels. */
  const bytes: Uint8Array;
  export default bytes;
}
declare module 'virtual:worker-source' {
  /** The bundled worker script (src/web/worker.ts) as JavaScript text. */
  const source: string;
  export default source;
}
