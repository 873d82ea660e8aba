import type { EpochMetrics, JobPhase, JobProgress } from '../../shared/contract';
import type { MineProgress } from '../mining/mine';
import type { EpochDecision, TrainProgress } from '../student/train';

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

function lrText(lr: number): string {
  return lr.toExponential(1);
}

/**
 * What an epoch's end decided, in words a user must not miss: a learning-rate drop and an early
 * stop (which is why a 20-epoch run may end after 11). Undefined when nothing changed.
 */
export function epochNotice(metrics: EpochMetrics, decision: EpochDecision): string | undefined {
  const said: string[] = [];
  if (decision.nextLr < metrics.lr)
    said.push(
      `learning rate lowered to ${lrText(decision.nextLr)} (from ${lrText(metrics.lr)}) after epoch ${metrics.epoch}: validation loss did not improve for ${decision.plateauPatience + 1} epochs`,
    );
  if (decision.earlyStop)
    said.push(
      `early stop after epoch ${metrics.epoch}: validation loss did not improve for ${decision.epochsWithoutImprovement} epochs; ` +
        `the weights of the best validation Dice ${decision.best.valDice.toFixed(3)} (epoch ${decision.best.epoch}) are kept`,
    );
  return said.length ? said.join('; ') : undefined;
}

/**
 * A training run's progress as the contract's JobProgress. Training reports batches within epochs;
 * a job shows one bar over every epoch left in this session (a resumed run starts where it stopped).
 * `stage` names the training inside a longer job (a mining run's supervised or mining phase).
 */
export function trainProgressReporter(sink: ProgressSink, stage?: { phase: JobPhase; prefix: string }): (p: TrainProgress) => void {
  let sessionDone = 0;
  let sessionTotal = 1;
  let firstEpoch: number | null = null;
  let lastVal = '';
  let best = '';
  const eta = etaClock();
  const prefix = stage?.prefix ?? '';
  // Batches of a mining run's training show under the mining phase; preparation and test keep their own.
  const trainPhase = (phase: 'train' | 'epoch-end'): JobPhase => stage?.phase ?? phase;
  const base = (p: TrainProgress) => ({ runId: p.runId, epoch: p.epoch, metrics: null });
  return (p) => {
    if (p.phase === 'prepare') {
      const total = Math.max(1, p.batches);
      sink({ ...base(p), phase: 'prepare', done: p.batch, total, message: `${prefix}preparing images (resize + crop, once per run)`, eta: eta('prepare', p.batch, total) });
    } else if (p.phase === 'train' && p.batches > 0) {
      if (firstEpoch === null) firstEpoch = p.epoch;
      sessionDone = (p.epoch - firstEpoch) * p.batches + p.batch;
      sessionTotal = (p.maxEpochs - firstEpoch + 1) * p.batches;
      const message = `${prefix}epoch ${p.epoch}/${p.maxEpochs} batch ${p.batch}/${p.batches} loss ${p.loss?.toFixed(4)}${lastVal}${best}`;
      sink({ ...base(p), phase: trainPhase('train'), done: sessionDone, total: sessionTotal, message, eta: p.etaRun ?? eta('train', sessionDone, sessionTotal) });
    } else if (p.phase === 'epoch-end' && p.metrics) {
      const m = p.metrics;
      lastVal = ` | val loss ${m.val_loss.toFixed(4)} dice ${m.val_dice.toFixed(3)}`;
      if (p.decision) best = ` | best validation Dice ${p.decision.best.valDice.toFixed(3)} (epoch ${p.decision.best.epoch})`;
      const notice = p.decision ? epochNotice(m, p.decision) : undefined;
      sink({
        ...base(p),
        phase: trainPhase('epoch-end'),
        done: sessionDone,
        total: Math.max(sessionDone, sessionTotal),
        message: `${prefix}epoch ${m.epoch}/${p.maxEpochs} done${lastVal}${best}`,
        metrics: m,
        eta: p.decision?.earlyStop ? 0 : p.etaRun,
        ...(notice ? { notice: `${prefix}${notice}` } : {}),
      });
    } else if (p.phase === 'test') {
      const total = Math.max(1, p.batches);
      sink({ ...base(p), phase: 'test', done: p.batch, total, message: `${prefix}test images at source resolution`, eta: eta('test', p.batch, total) });
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

/** How a mining job's phases read in its progress line. */
const PHASE_WORDS: Record<MineProgress['phase'], string> = { supervised: 'supervised', 'pseudo-labelling': 'teacher pass', mining: 'mining' };

/**
 * Mining (and experiment) progress as JobProgress; an experiment names its cell in the message.
 * While the student trains (the supervised and mining phases) it reports batch by batch with the
 * epoch's announcements, as a training job does; the teacher pass reports image by image.
 */
export function mineProgressReporter(sink: ProgressSink): (p: MineProgress & { cell?: string }) => void {
  const eta = etaClock();
  let training: { key: string; report: (p: TrainProgress) => void } | null = null;
  return (p) => {
    const cellPrefix = p.cell ? p.cell + ' · ' : '';
    if (p.train) {
      const key = `${p.cell ?? ''}/${p.phase}/${p.train.runId}`;
      if (training?.key !== key)
        training = { key, report: trainProgressReporter(sink, { phase: p.phase, prefix: `${cellPrefix}${PHASE_WORDS[p.phase]}: ` }) };
      training.report(p.train);
      return;
    }
    const runId = p.detail?.run_id;
    const epoch = p.detail?.epoch;
    sink({
      phase: p.phase,
      done: p.done,
      total: p.total,
      message: `${cellPrefix}${PHASE_WORDS[p.phase]}: ${p.message}`,
      runId: typeof runId === 'number' ? runId : null,
      epoch: typeof epoch === 'number' ? epoch : null,
      metrics: metricsOf(p.detail),
      eta: eta(`${p.cell ?? ''}/${p.phase}`, p.done, p.total),
    });
  };
}
