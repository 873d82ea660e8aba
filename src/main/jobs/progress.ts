import type { EpochMetrics, JobProgress } from '../../shared/contract';
import type { MineProgress } from '../mining/mine';
import type { TrainProgress } from '../student/train';

export type ProgressSink = (p: JobProgress) => void;

/** Seconds left from the pace so far; the clock restarts with every phase, so each ETA counts only its own work. */
function etaClock(): (phase: string, done: number, total: number) => number | null {
  let phase = '';
  let start = 0;
  return (next, done, total) => {
    const now = Date.now();
    if (next !== phase) {
      phase = next;
      start = now;
    }
    return done > 0 ? ((now - start) / 1000 / done) * Math.max(0, total - done) : null;
  };
}

/**
 * A training run's progress as the contract's JobProgress. Training reports batches within epochs;
 * a job shows one bar over every epoch left in this session (a resumed run starts where it stopped).
 */
export function trainProgressReporter(sink: ProgressSink): (p: TrainProgress) => void {
  let sessionDone = 0;
  let sessionTotal = 1;
  let firstEpoch: number | null = null;
  let lastVal = '';
  const eta = etaClock();
  const base = (p: TrainProgress) => ({ runId: p.runId, epoch: p.epoch, metrics: null });
  return (p) => {
    if (p.phase === 'prepare') {
      const total = Math.max(1, p.batches);
      sink({ ...base(p), phase: 'prepare', done: p.batch, total, message: 'preparing images (resize + crop, once per run)', eta: eta('prepare', p.batch, total) });
    } else if (p.phase === 'train' && p.batches > 0) {
      if (firstEpoch === null) firstEpoch = p.epoch;
      sessionDone = (p.epoch - firstEpoch) * p.batches + p.batch;
      sessionTotal = (p.maxEpochs - firstEpoch + 1) * p.batches;
      const message = `epoch ${p.epoch}/${p.maxEpochs} batch ${p.batch}/${p.batches} loss ${p.loss?.toFixed(4)}${lastVal}`;
      sink({ ...base(p), phase: 'train', done: sessionDone, total: sessionTotal, message, eta: p.etaRun ?? eta('train', sessionDone, sessionTotal) });
    } else if (p.phase === 'epoch-end' && p.metrics) {
      const m = p.metrics;
      lastVal = ` | val loss ${m.val_loss.toFixed(4)} dice ${m.val_dice.toFixed(3)}`;
      sink({
        ...base(p),
        phase: 'epoch-end',
        done: sessionDone,
        total: Math.max(sessionDone, sessionTotal),
        message: `epoch ${m.epoch} done${lastVal}`,
        metrics: m,
        eta: p.etaRun,
      });
    } else if (p.phase === 'test') {
      const total = Math.max(1, p.batches);
      sink({ ...base(p), phase: 'test', done: p.batch, total, message: 'test images at source resolution', eta: eta('test', p.batch, total) });
    }
  };
}

const METRIC_NAMES = ['train_loss', 'val_loss', 'val_iou', 'val_dice', 'lr'] as const;

/** The epoch's numbers, when a mining progress detail carries a finished epoch. */
function metricsOf(detail: MineProgress['detail']): EpochMetrics | null {
  if (!detail || typeof detail.epoch !== 'number') return null;
  const m: Record<string, number> = { epoch: detail.epoch };
  for (const name of METRIC_NAMES) {
    const v = detail[name];
    if (typeof v !== 'number') return null;
    m[name] = v;
  }
  return m as EpochMetrics;
}

/** Mining (and experiment) progress as JobProgress; an experiment names its cell in the message. */
export function mineProgressReporter(sink: ProgressSink): (p: MineProgress & { cell?: string }) => void {
  const eta = etaClock();
  return (p) => {
    const runId = p.detail?.run_id;
    const epoch = p.detail?.epoch;
    sink({
      phase: p.phase,
      done: p.done,
      total: p.total,
      message: `${p.cell ? p.cell + ' · ' : ''}${p.phase}: ${p.message}`,
      runId: typeof runId === 'number' ? runId : null,
      epoch: typeof epoch === 'number' ? epoch : null,
      metrics: metricsOf(p.detail),
      eta: eta(`${p.cell ?? ''}/${p.phase}`, p.done, p.total),
    });
  };
}
