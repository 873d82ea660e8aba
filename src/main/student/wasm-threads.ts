import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeRequire, tf } from './tf';

/**
 * Multi-threaded wasm (XNNPACK over an Emscripten pthread pool) in Node.
 *
 * tfjs-backend-wasm 4.22 switches threads off in Node (WASM_HAS_MULTITHREAD_SUPPORT is false when
 * IS_NODE), because its Emscripten glue starts pthread workers from `blob:` URLs, which Node's
 * Worker refuses. This shim makes the browser path work in Node:
 *   - the two scripts tfjs wraps in Blobs (the pthread worker and the module factory it imports)
 *     are captured as text when their Blob is built and written to a private temp folder;
 *   - URL.createObjectURL returns that file's path for them, so `new Worker(path)` works;
 *   - the worker script gets a prelude that (a) points its "load" message at the factory file
 *     instead of a Blob and (b) defines the bundle-level names the factory's source refers to
 *     (commonjsGlobal, require$$0…4), which exist in the main bundle but not in a fresh worker.
 * It touches only Blobs whose text is one of those two scripts; every other Blob is left alone.
 * Call before the wasm backend initialises, and initialise it inside `withLogicalCores`: the wasm
 * code caps its pool at (logical cores / 2), assuming hyper-threading, read once when the module
 * starts — on a 2-core machine that is 1 thread.
 */

let installed = false;

const FACTORY_PREFIX = 'var WasmBackendModuleThreadedSimd = ';

export function enableWasmThreadsInNode(threads: number): void {
  if (!(threads > 1)) throw new Error(`threads must be > 1 (got ${threads})`);
  const wasm = nodeRequire('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  wasm.setThreadsCount(threads);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  if (installed) return;
  installed = true;

  const dir = mkdtempSync(join(tmpdir(), 'apprentice-wasm-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const factoryFile = join(dir, 'tfjs-backend-wasm-threaded-simd.js');
  const texts = new WeakMap<Blob, string>();
  const OrigBlob = globalThis.Blob;

  class CapturingBlob extends OrigBlob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      if (parts && parts.length === 1 && typeof parts[0] === 'string') {
        const text = parts[0];
        if (text.startsWith(FACTORY_PREFIX)) {
          writeFileSync(factoryFile, text);
          texts.set(this, factoryFile);
        } else if (text.includes('ENVIRONMENT_IS_PTHREAD') && text.includes('nodeWorkerThreads')) {
          const workerFile = join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js');
          writeFileSync(workerFile, workerPrelude(factoryFile) + text);
          texts.set(this, workerFile);
        }
      }
    }
  }
  globalThis.Blob = CapturingBlob as typeof Blob;
  const origCreate = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (obj: Blob) => texts.get(obj) ?? origCreate(obj);
}

function workerPrelude(factoryFile: string): string {
  return `"use strict";
var commonjsGlobal = globalThis; globalThis.commonjsGlobal = globalThis;
globalThis.require$$0 = require('fs'); globalThis.require$$1 = require('path');
globalThis.require$$3 = require('perf_hooks'); globalThis.require$$4 = require('os');
(function () {
  var wt = require('worker_threads');
  var on = wt.parentPort.on.bind(wt.parentPort);
  wt.parentPort.on = function (ev, fn) {
    if (ev !== 'message') return on(ev, fn);
    return on(ev, function (d) { if (d && d.cmd === 'load') d.urlOrBlob = ${JSON.stringify(factoryFile)}; fn(d); });
  };
})();
`;
}

/** Runs `init` while os.cpus() reports 2·threads logical cores (see above), then restores it. */
export async function withLogicalCores<T>(threads: number, init: () => Promise<T>): Promise<T> {
  const real = os.cpus;
  const cpus = real.call(os);
  const fake = Array.from({ length: 2 * threads }, (_, i) => cpus[i % Math.max(1, cpus.length)]!);
  os.cpus = () => fake;
  try {
    return await init();
  } finally {
    os.cpus = real;
  }
}
