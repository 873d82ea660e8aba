import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Ort from 'onnxruntime-node';
import { describe } from '../util/errors';

/**
 * The only place that loads onnxruntime-node. Its native binding loads at import time, so a static
 * import would let a broken install stop the whole app — and `doctor`, which should say why — before
 * anything runs. Everything else gets the module from `loadOrt()` and imports its types only.
 */

export type OrtModule = typeof Ort;
export type { Ort };

export type OrtStatus = { ok: true; ort: OrtModule; version: string } | { ok: false; reason: string };

/**
 * Loads this module (a package name or a file path) instead of onnxruntime-node. It exists so tests,
 * and a user checking a suspect install, can see what the app does when the runtime does not load.
 */
export const ORT_MODULE_ENV = 'APPRENTICE_ORT_MODULE';

let status: Promise<OrtStatus> | null = null;

async function importOrt(): Promise<OrtStatus> {
  const spec = process.env[ORT_MODULE_ENV] || 'onnxruntime-node';
  try {
    const mod = (await import(/* @vite-ignore */ isAbsolute(spec) ? pathToFileURL(spec).href : spec)) as OrtModule & { default?: OrtModule };
    // A CommonJS package arrives as the namespace's default export.
    const ort = mod.default?.InferenceSession ? mod.default : mod;
    if (typeof ort.InferenceSession?.create !== 'function') return { ok: false, reason: `${spec} loaded but is not onnxruntime (no InferenceSession)` };
    return { ok: true, ort, version: ort.env?.versions?.node ?? '?' };
  } catch (e) {
    return { ok: false, reason: describe(e).split('\n')[0]! };
  }
}

/** Loads onnxruntime-node once per process; never throws — a failed load is a reason. */
export function ortStatus(): Promise<OrtStatus> {
  status ??= importOrt();
  return status;
}

export class OrtUnavailable extends Error {
  constructor(readonly reason: string) {
    super(`onnxruntime-node does not load here (${reason}); see "apprentice doctor"`);
  }
}

/** onnxruntime-node, or an OrtUnavailable error naming why it does not load. */
export async function loadOrt(): Promise<OrtModule> {
  const s = await ortStatus();
  if (!s.ok) throw new OrtUnavailable(s.reason);
  return s.ort;
}

/** Forgets the load result, so the next call tries again (tests that change ORT_MODULE_ENV). */
export function resetOrtRuntime(): void {
  status = null;
}
