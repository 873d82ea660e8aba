import type { ResolvedDevice } from '../../shared/contract';
import type { Ort } from './runtime';

/** Only ORT's fatal messages reach stderr; the failures we expect (a CUDA library absent) we report ourselves. */
export const ORT_LOG_QUIET = 4 as const;

/**
 * Options of every session the app opens, student and teacher (the device is added per session).
 *
 * `session.force_spinning_stop = 1`: onnxruntime's intra-op worker threads busy-wait for more work
 * after each parallel section; within a run that keeps them quick to pick up the next operator, but
 * after the run they go on spinning for tens of ms, on cores the JavaScript that follows needs —
 * mask thresholding after the decoder, the next image's decode and preprocessing, the student's
 * Adam update between training steps. With this entry they stop as soon as the run returns (and
 * spin again in the next one). Measured on 2 cores (fixture decoder, each run followed by ~1.5 ms
 * of JS): per iteration ~5 ms instead of ~8 ms (median), a lone run as fast as with the default;
 * turning spinning off altogether (`session.intra_op.allow_spinning = 0`) spared the JS as well but
 * made lone runs ~10 % slower.
 */
export const SESSION_OPTIONS = {
  graphOptimizationLevel: 'all',
  logSeverityLevel: ORT_LOG_QUIET,
  extra: { session: { force_spinning_stop: '1' } },
} as const satisfies Ort.InferenceSession.SessionOptions;

export interface SessionTuning {
  /** Intra-op threads; onnxruntime's default (one per core) when absent. */
  threads?: number;
}

/** The shared options on one device. */
export function sessionOptions(device: ResolvedDevice, tuning: SessionTuning = {}): Ort.InferenceSession.SessionOptions {
  return { ...SESSION_OPTIONS, executionProviders: [device], ...(tuning.threads ? { intraOpNumThreads: tuning.threads } : {}) };
}
