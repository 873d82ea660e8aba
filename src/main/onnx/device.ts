import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Device, type ResolvedDevice } from '../../shared/contract';
import { describe } from '../util/errors';
import { identityModel } from './proto-writer';
import { loadOrt, type Ort } from './runtime';
import { ORT_LOG_QUIET, sessionOptions, type SessionTuning } from './session-options';

/**
 * The device choice for every onnxruntime session, student and teacher. CUDA is used only after a
 * real session opened on it in this process; a CUDA failure is remembered for the rest of the
 * process, so nothing retries a doomed load per session.
 */

export { Device, type ResolvedDevice };

export interface DeviceSession {
  session: Ort.InferenceSession;
  device: ResolvedDevice;
  /** Why CUDA was not used, when it was not. */
  notes: string[];
}

export interface DeviceReport {
  usable: ResolvedDevice[];
  notes: string[];
}

/** The environment's choice (APPRENTICE_DEVICE = auto | cpu | cuda), default "auto". */
export const DEVICE_ENV = 'APPRENTICE_DEVICE';

export function defaultDevice(): Device {
  const v = Device.safeParse(process.env[DEVICE_ENV]);
  return v.success ? v.data : 'auto';
}

/** A device word from a flag or setting; the error names `what` and the words allowed. */
export function parseDevice(value: unknown, what = '--device'): Device {
  const v = Device.safeParse(value);
  if (!v.success) throw new Error(`${what} must be ${Device.options.join(', ')} (got ${String(value)})`);
  return v.data;
}

// Not named `require`: electron-vite's ESM shim declares its own in every bundled chunk that calls require().
const nodeRequire = createRequire(import.meta.url);

/** The reason CUDA failed in this process, once known. */
let cudaFailure: string | null = null;
/** A CUDA session has opened in this process. */
let cudaProven = false;

/** Forgets what was learnt about CUDA (tests; or after the user installed the CUDA libraries). */
export function resetDeviceMemory(): void {
  cudaFailure = null;
  cudaProven = false;
}

function ortBinDir(): string | null {
  try {
    const pkg = nodeRequire.resolve('onnxruntime-node/package.json');
    return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return null;
  }
}

function cudaLibraryNames(): string[] {
  if (process.platform === 'win32') return ['onnxruntime_providers_cuda.dll', 'onnxruntime_providers_shared.dll'];
  return ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'];
}

function firstLine(e: unknown): string {
  return describe(e).split('\n')[0]!;
}

/**
 * Static check (no session is opened): CPU whenever onnxruntime loads; CUDA when this build lists
 * it and its provider libraries are installed next to the binding. `probeDevices` is the
 * authoritative check.
 */
export async function deviceReport(): Promise<DeviceReport> {
  let backends: { name: string }[];
  try {
    backends = (await loadOrt()).listSupportedBackends?.() ?? [{ name: 'cpu' }];
  } catch (e) {
    return { usable: [], notes: [firstLine(e)] };
  }
  const notes: string[] = [];
  const usable: ResolvedDevice[] = [];
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
async function cudaUnavailable(): Promise<string | null> {
  const r = await deviceReport();
  return r.usable.includes('cuda') ? null : (r.notes.find((n) => n.startsWith('cuda')) ?? 'cuda: unavailable');
}

/** Like `deviceReport`, but proves CUDA by opening a one-node session on it (once per process). */
export async function probeDevices(): Promise<DeviceReport> {
  const fast = await deviceReport();
  if (!fast.usable.includes('cuda') || cudaProven) return fast;
  try {
    const s = await (await loadOrt()).InferenceSession.create(identityModel(), { executionProviders: ['cuda'], logSeverityLevel: ORT_LOG_QUIET });
    await s.release();
    cudaProven = true;
    return fast;
  } catch (e) {
    cudaFailure = firstLine(e);
    return { usable: fast.usable.filter((p) => p !== 'cuda'), notes: [...fast.notes, `cuda: session creation failed (${cudaFailure})`] };
  }
}

/**
 * The device a run will use, decided before its first session: "auto" → CUDA if proven here, else
 * CPU; "cuda" → CUDA or an error saying why not.
 */
export async function resolveDevice(device: Device): Promise<ResolvedDevice> {
  if (device === 'cpu') return 'cpu';
  const probed = await probeDevices();
  if (probed.usable.includes('cuda')) return 'cuda';
  if (device === 'cuda') throw new Error(`the CUDA provider was requested but failed: ${probed.notes.filter((n) => n.startsWith('cuda')).join('; ') || 'unavailable'}`);
  return 'cpu';
}

/**
 * Opens a session on the requested device. onnxruntime-node throws (rather than falling back) when
 * the CUDA provider cannot load, even with ['cuda', 'cpu']; with "auto" we catch that, remember it
 * for the rest of the process, and open the session on CPU — the result says which was used.
 * `staticCheck: false` makes "auto" really try CUDA even when its libraries look absent (tests).
 */
export async function createSession(
  model: string | Uint8Array,
  device: Device = defaultDevice(),
  opts: SessionTuning & { staticCheck?: boolean } = {},
): Promise<DeviceSession> {
  const notes: string[] = [];
  if (device !== 'cpu') {
    // "auto" skips the attempt when the CUDA libraries are plainly absent (no doomed load, no ORT error line).
    const staticNote = device === 'auto' && !cudaFailure && opts.staticCheck !== false ? await cudaUnavailable() : null;
    if (device === 'auto' && (cudaFailure || staticNote)) {
      notes.push(cudaFailure ? `cuda: not used (${cudaFailure})` : `cuda: not used (${staticNote!.replace(/^cuda: /, '').replace(/;.*$/, '')}; see apprentice doctor)`);
    } else {
      try {
        const session = await open(model, sessionOptions('cuda', opts));
        cudaProven = true;
        return { session, device: 'cuda', notes };
      } catch (e) {
        const reason = firstLine(e);
        if (device === 'cuda') throw new Error(`the CUDA provider was requested but failed: ${reason}`);
        if (isModelError(reason)) throw e;
        cudaFailure = reason;
        notes.push(`cuda: not used (${reason})`);
      }
    }
  }
  return { session: await open(model, sessionOptions('cpu', opts)), device: 'cpu', notes };
}

async function open(model: string | Uint8Array, options: Ort.InferenceSession.SessionOptions): Promise<Ort.InferenceSession> {
  const { InferenceSession } = await loadOrt();
  return typeof model === 'string' ? InferenceSession.create(model, options) : InferenceSession.create(model, options);
}

/** A failure that is about the model file, not the device: do not blame (and disable) CUDA for it. */
function isModelError(reason: string): boolean {
  return /protobuf parsing failed|Load model|No such file|INVALID_GRAPH|INVALID_PROTOBUF|NO_SUCHFILE/i.test(reason);
}
