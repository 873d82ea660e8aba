/**
 * Compiles one of the app's own WebAssembly modules (base64 bytes generated from a .wat source).
 * They use 128-bit SIMD, which every x86-64 CPU with SSE4.1 and every ARM64 CPU offers to Node and
 * Electron; where it is missing the compile error would name no cause, so this one does.
 */
export function compileWasm(base64: string, what: string): WebAssembly.Module {
  try {
    return new WebAssembly.Module(Buffer.from(base64, 'base64'));
  } catch (e) {
    throw new Error(`${what} could not start: it needs WebAssembly SIMD, which this runtime or CPU may not offer (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** Grows a module's memory (whole 64 KiB pages) until it holds `bytes`; views made before a growth are detached. */
export function growMemoryTo(memory: WebAssembly.Memory, bytes: number): void {
  const short = bytes - memory.buffer.byteLength;
  if (short > 0) memory.grow(Math.ceil(short / 65536));
}
