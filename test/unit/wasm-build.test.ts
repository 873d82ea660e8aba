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
