import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Device } from '../../shared/contract';
import { positiveEnv } from '../util/env';
import { conv2dFilterGrad } from './ops';
import { nodeRequire, tf, type Tensor4D } from './tf';

/**
 * Picks the student's tfjs backend once per process: tensorflow-gpu (tfjs-node-gpu) → tensorflow
 * (tfjs-node) → wasm → cpu. Every step is guarded: the native packages are optional and usually
 * absent, and a missing or broken one only adds a note. The chosen name is stored with each run.
 * The device word narrows the order: "cuda" is tensorflow-gpu only, "cpu" everything else.
 */

export type StudentBackend = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_ORDER: readonly StudentBackend[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export interface BackendInfo {
  name: StudentBackend;
  /** The tfjs backend name (tfjs-node registers "tensorflow" for both CPU and GPU builds). */
  tfName: string;
  simd: boolean | null;
  threads: number | null;
  notes: string[];
}

export interface BackendOptions {
  /** Try only this backend and the ones after it (e.g. "wasm" skips the native ones). */
  prefer?: StudentBackend;
  /**
   * wasm only: use the multi-threaded SIMD build with this many threads (> 1). tfjs disables
   * threads in Node; `wasm-threads.ts` enables them. Default: single-threaded SIMD.
   */
  wasmThreads?: number;
  /** Where tfjs may run (default "auto": the whole order). */
  device?: Device;
}

function onDevice(name: StudentBackend, device: Device = 'auto'): boolean {
  return device === 'auto' || (device === 'cuda') === (name === 'tensorflow-gpu');
}

let current: BackendInfo | null = null;
let pending: Promise<BackendInfo> | null = null;

export function currentBackend(): BackendInfo | null {
  return current;
}

/** Initialises a backend (idempotent: later calls return the first choice unless `force`). */
export async function initStudentBackend(opts: BackendOptions = {}): Promise<BackendInfo> {
  if (current?.name === 'wasm' && opts.wasmThreads && opts.wasmThreads > 1 && current.threads !== opts.wasmThreads) {
    // The wasm module starts once per process, with or without its thread pool.
    current.notes.push(`wasm: already started with ${current.threads} thread(s); ${opts.wasmThreads} threads need a new process`);
  }
  const fits = (b: BackendInfo | null): b is BackendInfo => !!b && onDevice(b.name, opts.device);
  if (fits(current) && !opts.prefer) return current;
  if (fits(current) && opts.prefer && current.name === opts.prefer) return current;
  if (pending && !opts.prefer && !opts.device) return pending;
  pending = choose(opts);
  try {
    current = await pending;
    return current;
  } finally {
    pending = null;
  }
}

async function choose(opts: BackendOptions): Promise<BackendInfo> {
  const notes: string[] = [];
  const start = opts.prefer ? BACKEND_ORDER.indexOf(opts.prefer) : 0;
  if (start < 0) throw new Error(`unknown student backend "${String(opts.prefer)}"; one of ${BACKEND_ORDER.join(', ')}`);
  for (const name of BACKEND_ORDER.slice(start).filter((b) => onDevice(b, opts.device))) {
    try {
      const info = await tryBackend(name, opts, notes);
      if (info) return info;
    } catch (e) {
      notes.push(`${name}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
  }
  throw new Error(`no tfjs backend could start${opts.device === 'cuda' ? ' on CUDA' : ''}: ${notes.join('; ')}`);
}

async function tryBackend(name: StudentBackend, opts: BackendOptions, notes: string[]): Promise<BackendInfo | null> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      const pkg = name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
      let manifest: string;
      try {
        manifest = nodeRequire.resolve(`${pkg}/package.json`);
      } catch {
        notes.push(`${name}: ${pkg} is not installed`);
        return null;
      }
      if (!nativeBindingPresent(manifest)) {
        // Requiring it anyway registers every kernel before failing, and the next package then
        // registers them again: a page of "already registered" warnings for nothing.
        notes.push(`${name}: ${pkg} is installed without its native binding (its install step failed or was skipped)`);
        return null;
      }
      nodeRequire(pkg); // registers the "tensorflow" backend; throws when libtensorflow cannot load
      if (!(await tf.setBackend('tensorflow'))) {
        notes.push(`${name}: the tensorflow backend did not initialise`);
        return null;
      }
      return { name, tfName: 'tensorflow', simd: null, threads: null, notes };
    }
    case 'wasm': {
      const threads = opts.wasmThreads && opts.wasmThreads > 1 ? opts.wasmThreads : 1;
      const wasm = nodeRequire('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
      const distDir = join(dirname(nodeRequire.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
      wasm.setWasmPaths(distDir);
      registerWasmGradients();
      let ok: boolean;
      if (threads > 1) {
        const { enableWasmThreadsInNode, withLogicalCores } = await import('./wasm-threads');
        enableWasmThreadsInNode(threads);
        try {
          ok = await withLogicalCores(threads, () => startsWithin(tf.setBackend('wasm'), wasmPoolStartMs(), threads));
        } catch (e) {
          // tfjs refuses every op while a backend's start is pending, even once another backend is
          // set; removing wasm makes that start obsolete (the module cannot start twice anyway).
          tf.removeBackend('wasm');
          throw e;
        }
        if (ok) unrefWasmWorkers();
      } else ok = await tf.setBackend('wasm');
      if (!ok) {
        notes.push('wasm: the backend did not initialise');
        return null;
      }
      const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
      const mt = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) as boolean;
      return { name, tfName: 'wasm', simd, threads: mt ? wasm.getThreadsCount() : 1, notes };
    }
    case 'cpu': {
      if (!(await tf.setBackend('cpu'))) return null;
      return { name, tfName: 'cpu', simd: null, threads: 1, notes };
    }
  }
}

/**
 * The threaded module resolves only once every pthread worker has answered "loaded"; a worker that
 * never does (seen once in CI under load, never reproduced) would leave the caller waiting forever.
 * Past the deadline the choice moves on to the next backend with a note, after removing wasm so that
 * tfjs drops the start still pending. APPRENTICE_WASM_POOL_START_MS overrides it (tests drive the
 * fallback with it).
 */
const WASM_POOL_START_MS = 30_000;

function wasmPoolStartMs(): number {
  return positiveEnv('APPRENTICE_WASM_POOL_START_MS') ?? WASM_POOL_START_MS;
}

export async function startsWithin(start: Promise<boolean>, ms: number, threads: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the ${threads}-thread pool did not start within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([start, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether a tfjs-node package's compiled binding is where its package.json says node-pre-gyp put it. */
export function nativeBindingPresent(manifestPath: string): boolean {
  try {
    const { binary } = JSON.parse(readFileSync(manifestPath, 'utf8')) as { binary?: { module_name?: string; module_path?: string; napi_versions?: number[] } };
    if (!binary?.module_name || !binary.module_path) return true; // no layout to check: let require decide
    const dir = dirname(manifestPath);
    return (binary.napi_versions ?? [0]).some((v) =>
      existsSync(join(dir, binary.module_path!.replace('{napi_build_version}', String(v)), `${binary.module_name}.node`)),
    );
  } catch {
    return true;
  }
}

/** The pthread workers must not keep the process alive once the work is done (CLI exit). */
function unrefWasmWorkers(): void {
  const pthread = (tf.backend() as unknown as { wasm?: { PThread?: { unusedWorkers: { unref?: () => void }[]; runningWorkers: { unref?: () => void }[] } } })
    .wasm?.PThread;
  for (const w of [...(pthread?.unusedWorkers ?? []), ...(pthread?.runningWorkers ?? [])]) w.unref?.();
}

let wasmGradientsRegistered = false;

/**
 * Registers the kernels the wasm backend lacks for training: Conv2DBackpropFilter (one matMul per
 * filter tap, see ops.ts). Safe to call more than once.
 */
export function registerWasmGradients(): void {
  if (wasmGradientsRegistered) return;
  wasmGradientsRegistered = true;
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const x = inputs.x as unknown as Tensor4D;
      const dy = inputs.dy as unknown as Tensor4D;
      const a = attrs as unknown as {
        strides: number | [number, number];
        pad: 'valid' | 'same' | number | number[][];
        dataFormat: 'NHWC' | 'NCHW';
        dimRoundingMode?: 'floor' | 'round' | 'ceil';
        filterShape: [number, number, number, number];
      };
      if (a.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter (wasm): only NHWC is supported');
      const info = tf.backend_util.computeConv2DInfo(
        x.shape,
        a.filterShape,
        a.strides,
        1,
        a.pad as Parameters<typeof tf.backend_util.computeConv2DInfo>[4],
        a.dimRoundingMode,
        false,
        'channelsLast',
      );
      // Tensors made here with tf ops are returned as the kernel's output (the engine accepts a
      // Tensor from a kernel function); intermediates are freed by the tidy in conv2dFilterGrad.
      return conv2dFilterGrad(x, dy, info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, {
        top: info.padInfo.top,
        bottom: info.padInfo.bottom,
        left: info.padInfo.left,
        right: info.padInfo.right,
      }) as unknown as ReturnType<Parameters<typeof tf.registerKernel>[0]['kernelFunc']>;
    },
  });
}

/** Frees tfjs memory held by the current backend's caches (used between tests and runs). */
export function backendMemory(): { tensors: number; bytes: number } {
  const m = tf.memory();
  return { tensors: m.numTensors, bytes: m.numBytes };
}
