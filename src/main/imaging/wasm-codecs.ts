/**
 * The cornerstone WASM codecs (CharLS, libjpeg-turbo 8-bit, OpenJPEG), loaded lazily from Node
 * (their emscripten glue is CommonJS). One initialised module per codec is cached; a fresh decoder
 * object is made per frame and deleted afterwards, so a frame that makes the C++ code throw cannot
 * leave state behind for the next one.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export type WasmCodecName = 'charls' | 'libjpeg-turbo' | 'openjpeg';

interface WasmFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}

interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): WasmFrameInfo;
  getInterleaveMode?(): number;
  delete?(): void;
}

interface WasmCodecModule {
  getExceptionMessage?: (pointer: number) => unknown;
  [decoderClass: string]: unknown;
}

export interface WasmDecoded {
  /** A copy (the decoder's buffer lives in WASM memory and dies with the decoder). */
  bytes: Uint8Array;
  info: WasmFrameInfo;
  /** CharLS only: 0 means the components come as separate planes. */
  interleaveMode: number | null;
}

const DECODER_CLASS: Record<WasmCodecName, string> = {
  charls: 'JpegLSDecoder',
  'libjpeg-turbo': 'JPEGDecoder',
  openjpeg: 'J2KDecoder',
};

const GLUE: Record<WasmCodecName, string> = {
  charls: '@cornerstonejs/codec-charls/decodewasmjs',
  'libjpeg-turbo': '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs',
  openjpeg: '@cornerstonejs/codec-openjpeg/decodewasmjs',
};

function loadFactory(name: WasmCodecName): (overrides: Record<string, unknown>) => unknown {
  const loaded = createRequire(import.meta.url)(GLUE[name]) as { default?: unknown };
  // CJS interop can wrap module.exports in one or two `default` layers depending on the loader.
  let factory: unknown = loaded.default ?? loaded;
  if (typeof factory !== 'function') factory = (factory as { default?: unknown }).default;
  if (typeof factory !== 'function') throw new Error(`codec package for ${name} has no factory function`);
  return factory as (overrides: Record<string, unknown>) => unknown;
}

const WASM_FILE: Record<WasmCodecName, string> = {
  charls: '@cornerstonejs/codec-charls/decodewasm',
  'libjpeg-turbo': '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasm',
  openjpeg: '@cornerstonejs/codec-openjpeg/decodewasm',
};

const modules = new Map<WasmCodecName, WasmCodecModule>();
/** Last lines the emscripten runtime printed to stderr, to explain an abort. */
const stderrTail = new Map<WasmCodecName, string[]>();

/**
 * The module is compiled and instantiated synchronously (the glue's `instantiateWasm` hook), so a
 * JPEG decodes inside a synchronous call like a PNG does: decodeRaster has one decoder for both
 * rasters and DICOM, and no caller has to wait for a codec to load. The .wasm is found through the
 * package's own export, wherever a bundler puts the glue.
 */
function loadModule(name: WasmCodecName): WasmCodecModule {
  const loaded = modules.get(name);
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const compiled = new WebAssembly.Module(readFileSync(require.resolve(WASM_FILE[name])));
  const tail: string[] = [];
  stderrTail.set(name, tail);
  const module: WasmCodecModule = {
    print: () => {},
    printErr: (line: string) => {
      tail.push(line);
      if (tail.length > 5) tail.shift();
    },
    instantiateWasm: (imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) => {
      const instance = new WebAssembly.Instance(compiled, imports);
      receive(instance, compiled);
      return instance.exports;
    },
  };
  // The glue fills in the object it is given (`var Module = moduleArg`); its promise is not needed.
  const ready = loadFactory(name)(module) as Promise<unknown> | undefined;
  ready?.catch?.(() => undefined);
  if (typeof module[DECODER_CLASS[name]] !== 'function') throw new Error(`${name} did not initialise synchronously`);
  modules.set(name, module);
  return module;
}

function explainWasmError(name: WasmCodecName, module: WasmCodecModule | null, thrown: unknown): string {
  if (typeof thrown === 'number') {
    // C++ exceptions surface as a pointer; newer glue can turn it into [type, message].
    try {
      const described = module?.getExceptionMessage?.(thrown);
      if (Array.isArray(described)) return described.filter(Boolean).join(': ');
      if (typeof described === 'string') return described;
    } catch {
      // fall through to the generic text
    }
    return `${name} raised an internal exception`;
  }
  if (thrown instanceof WebAssembly.RuntimeError) {
    const printed = stderrTail.get(name)?.join(' ').trim();
    return `${name} aborted (${thrown.message}${printed ? `; ${printed}` : ''})`;
  }
  if (thrown instanceof Error) return thrown.message;
  return String(thrown);
}

/** Decodes one encoded frame; throws an Error whose message says what the codec objected to. */
export function decodeWithWasmSync(name: WasmCodecName, encoded: Uint8Array): WasmDecoded {
  let module: WasmCodecModule | null = null;
  let decoder: WasmDecoder | null = null;
  try {
    module = loadModule(name);
    const DecoderClass = module[DECODER_CLASS[name]] as new () => WasmDecoder;
    decoder = new DecoderClass();
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    decoder.decode();
    const info = { ...decoder.getFrameInfo() };
    const decoded = decoder.getDecodedBuffer();
    if (!info.width || !info.height || decoded.length === 0) throw new Error(`${name} produced no image`);
    return {
      bytes: decoded.slice(),
      info,
      interleaveMode: decoder.getInterleaveMode ? decoder.getInterleaveMode() : null,
    };
  } catch (thrown) {
    if (thrown instanceof WebAssembly.RuntimeError) {
      // An aborted emscripten runtime refuses all further calls: start afresh next time.
      modules.delete(name);
      decoder = null;
    }
    throw new Error(explainWasmError(name, module, thrown));
  } finally {
    try {
      decoder?.delete?.();
    } catch {
      modules.delete(name);
    }
  }
}

/** decodeWithWasmSync for callers that await each frame (the DICOM codecs). */
export async function decodeWithWasm(name: WasmCodecName, encoded: Uint8Array): Promise<WasmDecoded> {
  return decodeWithWasmSync(name, encoded);
}
