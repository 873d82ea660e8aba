import type { JobProgress, PretrainOutcome, PretrainSettings } from '../../shared/contract';
import { DEFAULT_PRETRAIN, pretrainStudent, resolvePretrainSettings, resumePretrain, type PretrainConfig, type PretrainProgress } from '../student/simclr';
import type { Workspace } from '../workspace/workspace';
import { withJobSlot } from './workspace-lock';

/** The settings a user gives (contract) as the pre-training settings they override. */
export function pretrainSettingsFromRequest(s: PretrainSettings): Partial<PretrainConfig> {
  const model =
    s.width !== undefined || s.blocks || s.decoder
      ? { model: { ...DEFAULT_PRETRAIN.model, ...(s.width !== undefined ? { width: s.width } : {}), ...(s.blocks ? { blocks: s.blocks } : {}), ...(s.decoder ? { decoder: s.decoder } : {}) } }
      : {};
  const partial: Partial<PretrainConfig> = {
    ...model,
    ...(s.size !== undefined ? { size: s.size } : {}),
    ...(s.seed !== undefined ? { seed: s.seed } : {}),
    ...(s.device ? { device: s.device } : {}),
    ...(s.epochs !== undefined ? { maxEpochs: s.epochs } : {}),
    ...(s.batch !== undefined ? { batch: s.batch } : {}),
    ...(s.lr !== undefined ? { lr: s.lr } : {}),
    ...(s.temperature !== undefined ? { temperature: s.temperature } : {}),
    ...(s.projDim !== undefined ? { head: { hidden: null, out: s.projDim } } : {}),
    ...(s.jitter !== undefined ? { augment: { ...DEFAULT_PRETRAIN.augment, jitterStrength: s.jitter } } : {}),
  };
  resolvePretrainSettings(partial); // refuse bad combinations before a run row exists
  return partial;
}

/** A pre-training run's progress as the contract's JobProgress: one bar over the epochs left. */
export function pretrainProgressReporter(sink: (p: JobProgress) => void): (p: PretrainProgress) => void {
  let start = 0;
  let firstEpoch: number | null = null;
  let lastLoss = '';
  return (p) => {
    const base = { runId: p.runId, epoch: p.epoch, metrics: null };
    if (p.phase === 'prepare') {
      sink({ ...base, phase: 'prepare', done: p.batch, total: Math.max(1, p.batches), message: 'preparing images (resize + crop, once per run)', eta: null });
      return;
    }
    if (firstEpoch === null) {
      firstEpoch = p.epoch;
      start = Date.now();
    }
    const done = (p.epoch - firstEpoch) * p.batches + (p.phase === 'epoch-end' ? p.batches : p.batch);
    const total = (p.maxEpochs - firstEpoch + 1) * p.batches;
    if (p.phase === 'epoch-end' && p.loss !== null) lastLoss = ` | epoch ${p.epoch} NT-Xent ${p.loss.toFixed(4)}`;
    const eta = done > 0 ? ((Date.now() - start) / 1000 / done) * Math.max(0, total - done) : null;
    const message =
      p.phase === 'epoch-end'
        ? `pre-training epoch ${p.epoch}/${p.maxEpochs} done${lastLoss}`
        : `pre-training epoch ${p.epoch}/${p.maxEpochs} batch ${p.batch}/${p.batches} NT-Xent ${p.loss?.toFixed(4) ?? '…'}${lastLoss}`;
    sink({ ...base, phase: p.phase === 'epoch-end' ? 'epoch-end' : 'train', done, total, message, eta });
  };
}

export type PretrainWhat = { settings: Partial<PretrainConfig> } | { resume: number };

/** SimCLR pre-training as a job, for the CLI and the app's worker alike: one job slot, typed progress. */
export function runPretraining(
  ws: Workspace,
  what: PretrainWhat,
  opts: { signal?: AbortSignal; onProgress?: (p: JobProgress) => void; onRaw?: (p: PretrainProgress) => void } = {},
): Promise<PretrainOutcome> {
  return withJobSlot(ws.root, 'pretrain', async (slot) => {
    if ('resume' in what) slot.noteRun(what.resume);
    const report = pretrainProgressReporter((p) => {
      if (p.runId !== null) slot.noteRun(p.runId);
      opts.onProgress?.(p);
    });
    const onProgress = (p: PretrainProgress) => {
      report(p);
      opts.onRaw?.(p);
    };
    const r =
      'resume' in what
        ? await resumePretrain(ws, what.resume, { signal: opts.signal, onProgress })
        : await pretrainStudent(ws, what.settings, { signal: opts.signal, onProgress });
    return { runId: r.runId, epochs: r.epochs, nt_xent: r.loss, seconds: Math.round(r.seconds) };
  });
}
