import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { describe } from '../util/errors';
import { identityModel } from './onnx-proto';

export type TeacherProvider = 'cuda' | 'cpu';
/** 'auto': CUDA when it loads, else CPU. 'cuda': CUDA or an error. 'cpu': CPU only. */
export type ProviderPreference = 'auto' | TeacherProvider;

export interface TeacherSession {
  session: Ort.InferenceSession;
  provider: TeacherProvider;
  /** Why a preferred provider was not used, if it was not. */
  notes: string[];
}

const require = createRequire(import.meta.url);

let ortModule: typeof Ort | null = null;

/**
 * onnxruntime-node, loaded on first use: its native binding loads at require time, and a machine
 * where it cannot load should still open the app (and `doctor` should be able to say why).
 */
export function loadOrt(): typeof Ort {
  if (!ortModule) {
    try {
      ortModule = require('onnxruntime-node') as typeof Ort;
    } catch (e) {
      throw new Error(`onnxruntime-node does not load here, so the teacher cannot run (${firstLine(e)}); see "apprentice doctor"`);
    }
  }
  return ortModule;
}

/** The preference from APPRENTICE_TEACHER_PROVIDER (auto | cuda | cpu), default 'auto'. */
export function defaultProviderPreference(): ProviderPreference {
  const v = process.env.APPRENTICE_TEACHER_PROVIDER;
  return v === 'cuda' || v === 'cpu' || v === 'auto' ? v : 'auto';
}

// Only ORT errors (level 3) and fatal ones (4) reach stderr; the CUDA attempt logs an error line
// when the provider library is absent, which we report ourselves instead.
const QUIET = 4 as const;

/**
 * Options of every teacher session (the execution provider is added per session).
 *
 * `session.force_spinning_stop = 1`: onnxruntime's intra-op worker threads busy-wait for more work
 * after each parallel section; within a run that keeps them quick to pick up the next operator, but
 * after the run they go on spinning for tens of ms, on cores the JavaScript that follows needs —
 * mask thresholding after the decoder, the next image's decode and preprocessing, the student's
 * training steps in mining. With this entry they stop as soon as the run returns (and spin again in
 * the next one). Measured on 2 cores (fixture decoder, each run followed by ~1.5 ms of JS): per
 * iteration ~5 ms instead of ~8 ms (median), a lone run as fast as with the default; turning
 * spinning off altogether (`session.intra_op.allow_spinning = 0`) spared the JS as well but made lone
 * runs ~10 % slower.
 */
export const TEACHER_SESSION_OPTIONS = {
  graphOptimizationLevel: 'all',
  logSeverityLevel: QUIET,
  extra: { session: { force_spinning_stop: '1' } },
} as const satisfies Ort.InferenceSession.SessionOptions;

/** The reason CUDA failed in this process, once known: we do not retry it for every session. */
let cudaFailure: string | null = null;

/** Forgets a remembered CUDA failure (tests; or after the user installed the CUDA libraries). */
export function resetProviderMemory(): void {
  cudaFailure = null;
}

function ortBinDir(): string | null {
  try {
    const pkg = require.resolve('onnxruntime-node/package.json');
    return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return null;
  }
}

function cudaLibraryNames(): string[] {
  if (process.platform === 'win32') return ['onnxruntime_providers_cuda.dll', 'onnxruntime_providers_shared.dll'];
  return ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'];
}

/**
 * Static check for `apprentice doctor` (no session is created): CPU always; CUDA when this
 * onnxruntime-node build lists it and its provider libraries are installed next to the binding.
 * `probeTeacherProviders` is the authoritative (async) check — it really opens a CUDA session.
 */
export function teacherProviders(): { usable: string[]; notes: string[] } {
  const notes: string[] = [];
  const usable: string[] = [];
  let backends: { name: string; bundled?: boolean }[];
  try {
    backends = loadOrt().listSupportedBackends?.() ?? [{ name: 'cpu' }];
  } catch (e) {
    return { usable: [], notes: [describe(e)] };
  }
  if (!backends.some((b) => b.name === 'cuda')) {
    notes.push('cuda: not in this onnxruntime-node build');
  } else if (cudaFailure) {
    notes.push(`cuda: failed in this process (${cudaFailure})`);
  } else {
    const dir = ortBinDir();
    const missing = dir ? cudaLibraryNames().filter((f) => !existsSync(join(dir, f))) : cudaLibraryNames();
    if (missing.length === 0) usable.push('cuda');
    else
      notes.push(
        `cuda: provider libraries not installed (${missing.join(', ')} missing${dir ? ` in ${dir}` : ''}); reinstall onnxruntime-node with --onnxruntime-node-install=cuda12 and CUDA 12 + cuDNN 9 present`,
      );
  }
  usable.push('cpu');
  return { usable, notes };
}

/** Why CUDA cannot be used here, from the static check (null when it may work). */
function cudaUnavailable(): string | null {
  const r = teacherProviders();
  return r.usable.includes('cuda') ? null : (r.notes.find((n) => n.startsWith('cuda')) ?? 'cuda: unavailable');
}

/** Like `teacherProviders`, but proves CUDA by opening a one-node session on it. */
export async function probeTeacherProviders(): Promise<{ usable: string[]; notes: string[] }> {
  const fast = teacherProviders();
  if (!fast.usable.includes('cuda')) return fast;
  try {
    const s = await loadOrt().InferenceSession.create(identityModel(), { executionProviders: ['cuda'], logSeverityLevel: QUIET });
    await s.release();
    return fast;
  } catch (e) {
    cudaFailure = firstLine(e);
    return { usable: fast.usable.filter((p) => p !== 'cuda'), notes: [...fast.notes, `cuda: session creation failed (${cudaFailure})`] };
  }
}

function firstLine(e: unknown): string {
  return describe(e).split('\n')[0]!;
}

/**
 * Opens a session on the preferred provider. onnxruntime-node throws (rather than falling back)
 * when the CUDA provider cannot load, even with ['cuda', 'cpu']; with 'auto' we catch that, remember
 * it for the rest of the process, and open the session on CPU — the result says which was used.
 */
export async function createTeacherSession(
  model: string | Uint8Array,
  preference: ProviderPreference = defaultProviderPreference(),
  opts: { staticCheck?: boolean } = {},
): Promise<TeacherSession> {
  const notes: string[] = [];
  const options = TEACHER_SESSION_OPTIONS;
  if (preference !== 'cpu') {
    // 'auto' skips the attempt when the CUDA libraries are plainly absent (no doomed load, no ORT error line).
    const staticNote = preference === 'auto' && !cudaFailure && opts.staticCheck !== false ? cudaUnavailable() : null;
    if (preference === 'auto' && (cudaFailure || staticNote)) {
      notes.push(cudaFailure ? `cuda: not used (${cudaFailure})` : `cuda: not used (${staticNote!.replace(/^cuda: /, '').replace(/;.*$/, '')}; see apprentice doctor)`);
    } else {
      try {
        const session = await open(model, { ...options, executionProviders: ['cuda'] });
        return { session, provider: 'cuda', notes };
      } catch (e) {
        const reason = firstLine(e);
        if (preference === 'cuda') throw new Error(`the CUDA provider was requested but failed: ${reason}`);
        if (!isModelError(reason)) {
          cudaFailure = reason;
          notes.push(`cuda: not used (${reason})`);
        } else throw e;
      }
    }
  }
  const session = await open(model, { ...options, executionProviders: ['cpu'] });
  return { session, provider: 'cpu', notes };
}

function open(model: string | Uint8Array, options: Ort.InferenceSession.SessionOptions): Promise<Ort.InferenceSession> {
  const { InferenceSession } = loadOrt();
  return typeof model === 'string' ? InferenceSession.create(model, options) : InferenceSession.create(model, options);
}

/** A failure that is about the model file, not the provider: do not blame (and disable) CUDA for it. */
function isModelError(reason: string): boolean {
  return /protobuf parsing failed|Load model|No such file|INVALID_GRAPH|INVALID_PROTOBUF|NO_SUCHFILE/i.test(reason);
}

export type { Ort };
