/** Multi-threaded wasm in Node: not available yet. */
export function enableWasmThreadsInNode(_threads: number): void {
  throw new Error('multi-threaded wasm is not supported in Node yet');
}
