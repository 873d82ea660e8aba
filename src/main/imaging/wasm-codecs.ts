/**
 * The cornerstone WASM codecs (CharLS, libjpeg-turbo 8-bit, OpenJPEG), loaded lazily from Node
 * (their emscripten glue is CommonJS and reads the .wasm with fs). One initialised module per codec
 * is cached; a fresh decoder object is made per frame and deleted afterwards, so a frame that makes
 * the C++ code throw cannot leave state behind for the next one.
 */
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

async function loadFactory(name: WasmCodecName): Promise<(overrides: Record<string, unknown>) => Promise<unknown>> {
  // Literal specifiers so bundlers and vitest can see (and externalise) each package.
  const loaded =
    name === 'charls'
      ? await import('@cornerstonejs/codec-charls/decodewasmjs')
      : name === 'libjpeg-turbo'
        ? await import('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs')
        : await import('@cornerstonejs/codec-openjpeg/decodewasmjs');
  const candidate = loaded as unknown as { default?: unknown };
  // CJS interop can wrap module.exports in one or two `default` layers depending on the loader.
  let factory: unknown = candidate.default ?? candidate;
  if (typeof factory !== 'function') factory = (factory as { default?: unknown }).default;
  if (typeof factory !== 'function') throw new Error(`codec package for ${name} has no factory function`);
  return factory as (overrides: Record<string, unknown>) => Promise<unknown>;
}

const WASM_FILE: Record<WasmCodecName, string> = {
  charls: '@cornerstonejs/codec-charls/decodewasm',
  'libjpeg-turbo': '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasm',
  openjpeg: '@cornerstonejs/codec-openjpeg/decodewasm',
};

/**
 * The glue looks for its .wasm beside itself; should a bundler ever inline the glue, that guess
 * points into the bundle's folder. Resolving the package's own .wasm export works either way.
 */
function locateWasm(name: WasmCodecName): (file: string, prefix: string) => string {
  let resolved: string | null = null;
  try {
    resolved = createRequire(import.meta.url).resolve(WASM_FILE[name]);
  } catch {
    resolved = null;
  }
  return (file, prefix) => (file.endsWith('.wasm') && resolved ? resolved : prefix + file);
}

const modules = new Map<WasmCodecName, Promise<WasmCodecModule>>();
/** Last lines the emscripten runtime printed to stderr, to explain an abort. */
const stderrTail = new Map<WasmCodecName, string[]>();

function loadModule(name: WasmCodecName): Promise<WasmCodecModule> {
  let pending = modules.get(name);
  if (!pending) {
    stderrTail.set(name, []);
    pending = loadFactory(name).then((factory) =>
      factory({
        locateFile: locateWasm(name),
        print: () => {},
        printErr: (line: string) => {
          const tail = stderrTail.get(name)!;
          tail.push(line);
          if (tail.length > 5) tail.shift();
        },
      }),
    ) as Promise<WasmCodecModule>;
    pending.catch(() => modules.delete(name));
    modules.set(name, pending);
  }
  return pending;
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
export async function decodeWithWasm(name: WasmCodecName, encoded: Uint8Array): Promise<WasmDecoded> {
  let module: WasmCodecModule | null = null;
  let decoder: WasmDecoder | null = null;
  try {
    module = await loadModule(name);
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
