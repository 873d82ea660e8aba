import { describe, expect, it } from 'vitest';
import { epochNotice, mineProgressReporter, trainProgressReporter } from '../../src/main/jobs/progress';
import type { EpochDecision, TrainProgress } from '../../src/main/student/train';
import { formatSeconds, progressLine } from '../../src/main/util/progress-bar';
import { JobEvent, type JobProgress } from '../../src/shared/contract';

const metrics = (epoch: number, lr: number) => ({ epoch, train_loss: 0.5, val_loss: 0.4, val_iou: 0.6, val_dice: 0.7, lr });
const decision = (d: Partial<EpochDecision>): EpochDecision => ({
  nextLr: 5e-5,
  best: { epoch: 1, valDice: 0.7 },
  epochsWithoutImprovement: 0,
  earlyStopPatience: 10,
  plateauPatience: 3,
  earlyStop: false,
  ...d,
});
const epochEnd = (epoch: number, lr: number, d: Partial<EpochDecision>): TrainProgress => ({
  runId: 3,
  phase: 'epoch-end',
  epoch,
  maxEpochs: 20,
  batch: 4,
  batches: 4,
  loss: 0.5,
  etaEpoch: 0,
  etaRun: 30,
  metrics: metrics(epoch, lr),
  decision: decision(d),
});

describe('epoch announcements', () => {
  it('says nothing when the rate stays and training goes on', () => {
    expect(epochNotice(metrics(2, 5e-5), decision({ epochsWithoutImprovement: 1 }))).toBeUndefined();
  });

  it('announces a learning-rate drop with the old and new rate and why', () => {
    const seen: JobProgress[] = [];
    trainProgressReporter((p) => seen.push(p))(epochEnd(6, 5e-5, { nextLr: 2.5e-5, epochsWithoutImprovement: 4 }));
    expect(seen[0]!.notice).toBe('learning rate lowered to 2.5e-5 (from 5.0e-5) after epoch 6: validation loss did not improve for 4 epochs');
  });

  it('announces an early stop before max epochs, naming the best validation Dice and its epoch, and ends the ETA', () => {
    const seen: JobProgress[] = [];
    trainProgressReporter((p) => seen.push(p))(
      epochEnd(11, 1.25e-5, { nextLr: 1.25e-5, epochsWithoutImprovement: 10, earlyStop: true, best: { epoch: 1, valDice: 0.4123 } }),
    );
    expect(seen[0]!.notice).toContain('early stop after epoch 11: validation loss did not improve for 10 epochs');
    expect(seen[0]!.notice).toContain('best validation Dice 0.412 (epoch 1)');
    expect(seen[0]!.message).toContain('epoch 11/20 done');
    expect(seen[0]!.message).toContain('best validation Dice 0.412 (epoch 1)');
    expect(seen[0]!.eta).toBe(0);
    expect(JobEvent.parse({ type: 'progress', jobId: 'j', kind: 'train', ...seen[0]! })).toMatchObject({ notice: seen[0]!.notice });
  });
});

describe('mining progress', () => {
  it('reports the teacher pass image by image, and the mining phase batch by batch with its announcements', () => {
    const seen: JobProgress[] = [];
    const report = mineProgressReporter((p) => seen.push(p));
    report({ phase: 'pseudo-labelling', done: 0, total: 2, message: 'loading the supervised student (run 1)', detail: { run_id: 2 } });
    report({ phase: 'pseudo-labelling', done: 1, total: 2, message: 'image 1/2 (#5) · encoder', detail: { run_id: 2 } });
    const train = { runId: 2, maxEpochs: 3, batches: 2, loss: 0.3, etaEpoch: 1, etaRun: 5 };
    report({ phase: 'mining', done: 1, total: 3, message: 'one-time epoch 1', train: { ...train, phase: 'train', epoch: 1, batch: 1 } });
    report({ phase: 'mining', done: 1, total: 3, message: 'one-time epoch 1', train: { ...epochEnd(1, 5e-5, { nextLr: 2.5e-5 }), runId: 2, maxEpochs: 3, batches: 2, batch: 2 } });
    expect(seen.map((p) => [p.phase, p.done, p.total, p.runId])).toEqual([
      ['pseudo-labelling', 0, 2, 2],
      ['pseudo-labelling', 1, 2, 2],
      ['mining', 1, 6, 2],
      ['mining', 1, 6, 2],
    ]);
    expect(seen[1]!.message).toBe('teacher pass: image 1/2 (#5) · encoder');
    expect(seen[2]!.message).toMatch(/^mining: epoch 1\/3 batch 1\/2 loss 0\.3000/);
    expect(seen[3]!.notice).toMatch(/^mining: learning rate lowered to 2\.5e-5/);
  });

  it('names the experiment cell, and starts a fresh bar when the cell or its phase changes', () => {
    const seen: JobProgress[] = [];
    const report = mineProgressReporter((p) => seen.push(p));
    const train = (runId: number, epoch: number): TrainProgress => ({ runId, phase: 'train', epoch, maxEpochs: 2, batch: 1, batches: 1, loss: 0.2, etaEpoch: 0, etaRun: 1 });
    report({ phase: 'supervised', done: 0, total: 2, message: '', train: train(1, 1), cell: 'seed 1, 50 % labeled, supervised' });
    report({ phase: 'supervised', done: 0, total: 2, message: '', train: train(1, 2), cell: 'seed 1, 50 % labeled, supervised' });
    report({ phase: 'mining', done: 0, total: 2, message: '', train: train(2, 2), cell: 'seed 1, 50 % labeled, one-time' });
    expect(seen.map((p) => `${p.phase} ${p.done}/${p.total}`)).toEqual(['supervised 1/2', 'supervised 2/2', 'mining 1/1']);
    expect(seen[2]!.message).toMatch(/^seed 1, 50 % labeled, one-time · mining: epoch 2\/2/);
  });
});

describe('the CLI progress line', () => {
  it('shows done/total, elapsed and the ETA', () => {
    expect(progressLine('mine', 3, 10, 63, 130)).toBe(`mine [${'#'.repeat(9)}${'.'.repeat(21)}] 3/10 elapsed 1m03s ETA 2m10s`);
    expect(progressLine('mine', 0, 10, 2, null)).toContain('0/10 elapsed 2s ETA --');
    expect(formatSeconds(119.7)).toBe('1m59s');
    expect(formatSeconds(7260)).toBe('2h01m');
  });
});
