import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assembleWat, generatedModulePath, generatedModuleText, WASM_SOURCES } from '../helpers/build-wasm';

describe('committed WebAssembly modules', () => {
  it('are the bytes their .wat sources assemble to (run `npm run build:wasm` after editing one)', async () => {
    expect(WASM_SOURCES.length).toBeGreaterThan(0);
    for (const wat of WASM_SOURCES) {
      const bytes = await assembleWat(wat);
      expect(readFileSync(generatedModulePath(wat), 'utf8'), generatedModulePath(wat)).toBe(generatedModuleText(wat, bytes));
    }
  });
});

describe('compiling them at run time', () => {
  it('compiles each committed module; a module that does not compile is refused with what needs it and why', async () => {
    const { compileWasm } = await import('../../src/main/util/wasm-module');
    const { PIL_RESIZE_SIMD_WASM } = await import('../../src/main/imaging/geometry/pil-resize-simd.wasm');
    const { ADAM_SIMD_WASM } = await import('../../src/main/student/adam-simd.wasm');
    for (const bytes of [PIL_RESIZE_SIMD_WASM, ADAM_SIMD_WASM]) expect(compileWasm(bytes, 'x')).toBeInstanceOf(WebAssembly.Module);
    expect(() => compileWasm(Buffer.from('not a module').toString('base64'), 'the test kernel')).toThrow(
      /the test kernel could not start: it needs WebAssembly SIMD.*\(.+\)/,
    );
  });
});
