import type { Device } from '../../shared/contract';
import { resolveDevice } from '../onnx/device';
import { RemedyError } from '../util/errors';
import { seededRandom, shuffleInPlace } from '../util/random';
import { createRun, finishRun, getRun, markRunInterrupted, markRunResumed, readRunBlob, recordEpoch, runMetrics, storeRunWeights, whileRunAlive } from '../workspace/runs';
import { latestSplitId, splitMembers } from '../workspace/splits';
import type { Workspace } from '../workspace/workspace';
import type { AdamState } from './adam';
import { decodeBundle, encodeBundle, encodeWeights, type TensorEntry } from './checkpoint';
import { IMAGENET_MEAN, IMAGENET_STD, loadSamples, normalizeInto } from './data';
import { DEFAULT_VIEW_AUGMENT, isColour, simclrView, type ViewAugment } from './simclr-augment';
import { initHead, SimclrTrainer } from './simclr-engine';
import { headSpecs, type ProjectionHead } from './simclr-graph';
import { epochRandom, TrainingInterrupted } from './train';
import { DEFAULT_INIT_SCHEME, initWeights, paramSpecs, unetConfig, type UnetConfig, type WeightArrays } from './unetpp';

/**
 * SimCLR pre-training of the student's encoder (Chen et al. 2020) on a split's training images,
 * labeled and unlabeled alike (no mask is read). The result is a student weights file whose encoder
 * is pre-trained (the decoder keeps its He initialisation): `train`, `mine` and `experiment` start
 * from it with `--init <run>`.
 *
 * Settings, every one stored with the run; the paper's values where they fit a workstation:
 *   temperature 0.5   the paper's best for batches below ~1024 (B.7, B.9; 0.1 is for 4096+)
 *   head              2-layer MLP, hidden = the encoder's width, 128-d output (§2.1, B.4)
 *   views             see simclr-augment.ts (crop 0.08–1, colour strength 0.5, blur p = 0.5)
 *   batch 32, Adam lr 1e-3   the paper trains batch 256–8192 with LARS (lr 0.3·B/256, weight decay
 *                     1e-6); on a CPU the batch is small, so Adam as in supervised training
 *   epochs 100        the paper's shortest ImageNet schedule
 *   size, model       the student's (224, ResNet34 U-Net++), so the weights fit the supervised run
 * Rows: one `runs` row of kind "pretrain"; per epoch the metrics train_loss (NT-Xent) and lr, and a
 * checkpoint (U-Net, head, Adam, epoch) recorded with them in one transaction; each epoch's weights
 * are the run's result (`best.blob`, the last epoch: contrastive training has no validation loss).
 */

export interface PretrainConfig {
  size: number;
  batch: number;
  lr: number;
  temperature: number;
  maxEpochs: number;
  seed: number;
  head: { hidden: number | null; out: number };
  augment: ViewAugment;
  model: { width: number; blocks: number[]; decoder: number[] };
  splitId: number | null;
  device: Device;
}

export const DEFAULT_PRETRAIN: PretrainConfig = {
  size: 224,
  batch: 32,
  lr: 1e-3,
  temperature: 0.5,
  maxEpochs: 100,
  seed: 1,
  head: { hidden: null, out: 128 },
  augment: DEFAULT_VIEW_AUGMENT,
  model: { width: 64, blocks: [3, 4, 6, 3], decoder: [256, 128, 64, 32, 16] },
  splitId: null,
  device: 'auto',
};

export interface PretrainProgress {
  runId: number;
  phase: 'prepare' | 'train' | 'epoch-end';
  epoch: number;
  maxEpochs: number;
  batch: number;
  batches: number;
  loss: number | null;
}

export interface PretrainResult {
  runId: number;
  epochs: number;
  loss: number;
  /** The weights blob `--init <run>` starts from. */
  weights: string;
  seconds: number;
  history: { epoch: number; train_loss: number; lr: number }[];
}

export function resolvePretrainSettings(partial: Partial<PretrainConfig> = {}): PretrainConfig {
  const s: PretrainConfig = {
    ...DEFAULT_PRETRAIN,
    ...partial,
    head: { ...DEFAULT_PRETRAIN.head, ...(partial.head ?? {}) },
    augment: { ...DEFAULT_PRETRAIN.augment, ...(partial.augment ?? {}) },
    model: { ...DEFAULT_PRETRAIN.model, ...(partial.model ?? {}) },
  };
  const check = (ok: boolean, msg: string) => {
    if (!ok) throw new Error(msg);
  };
  check(Number.isInteger(s.size) && s.size >= 32 && s.size % 32 === 0, `size must be a multiple of 32 (got ${s.size})`);
  check(Number.isInteger(s.batch) && s.batch >= 2, `batch must be at least 2 images: the others are the negatives (got ${s.batch})`);
  check(s.lr > 0, `lr must be positive (got ${s.lr})`);
  check(s.temperature > 0, `temperature must be positive (got ${s.temperature})`);
  check(Number.isInteger(s.maxEpochs) && s.maxEpochs >= 1, `epochs must be a positive integer (got ${s.maxEpochs})`);
  check(Number.isInteger(s.head.out) && s.head.out >= 1, 'head.out must be a positive integer');
  const a = s.augment;
  check(a.cropScale[0] > 0 && a.cropScale[0] <= a.cropScale[1] && a.cropScale[1] <= 1, 'crop scale: 0 < min ≤ max ≤ 1');
  check(a.jitterStrength >= 0, 'colour jitter strength must be ≥ 0');
  unetConfig(s.model);
  return s;
}

function headOf(cfg: UnetConfig, s: PretrainConfig): ProjectionHead {
  return { hidden: s.head.hidden ?? cfg.encoderChannels[4], out: s.head.out };
}

const CHECKPOINT_FORMAT = 'apprentice-simclr-checkpoint';

interface PretrainState {
  epoch: number;
  weightsBlob: string | null;
  loss: number;
}

function encodeCheckpoint(cfg: UnetConfig, weights: WeightArrays, head: WeightArrays, adam: AdamState, state: PretrainState): Buffer {
  const tensors: TensorEntry[] = [];
  const shapes = [...paramSpecs(cfg), ...headSpecs(cfg, { hidden: head.get('proj.0.bias')!.length, out: head.get('proj.2.bias')!.length })];
  for (const s of shapes) {
    tensors.push({ name: `w/${s.name}`, shape: s.shape, data: weights.get(s.name) ?? head.get(s.name)! });
    const m = adam.m.get(s.name);
    const v = adam.v.get(s.name);
    if (m && v) tensors.push({ name: `adam.m/${s.name}`, shape: s.shape, data: m }, { name: `adam.v/${s.name}`, shape: s.shape, data: v });
  }
  return encodeBundle({ format: CHECKPOINT_FORMAT, version: 1, config: cfg, adamStep: adam.step, state }, tensors);
}

function decodeCheckpoint(bytes: Uint8Array, cfg: UnetConfig, head: ProjectionHead) {
  const b = decodeBundle(bytes);
  if (b.meta.format !== CHECKPOINT_FORMAT) throw new Error('not a SimCLR pre-training checkpoint');
  const weights: WeightArrays = new Map();
  const headW: WeightArrays = new Map();
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  for (const s of [...paramSpecs(cfg), ...headSpecs(cfg, head)]) {
    const t = b.tensors.get(`w/${s.name}`);
    if (!t) throw new Error(`the checkpoint lacks "${s.name}"`);
    (s.name.startsWith('proj.') ? headW : weights).set(s.name, t.data);
    const tm = b.tensors.get(`adam.m/${s.name}`);
    const tv = b.tensors.get(`adam.v/${s.name}`);
    if (tm && tv) {
      m.set(s.name, tm.data);
      v.set(s.name, tv.data);
    }
  }
  return { weights, head: headW, adam: { step: b.meta.adamStep as number, m, v }, state: b.meta.state as PretrainState };
}

/** Starts a pre-training run and runs it to the end (or until aborted: then it resumes with `resumePretrain`). */
export async function pretrainStudent(
  ws: Workspace,
  partial: Partial<PretrainConfig> = {},
  opts: { signal?: AbortSignal; onProgress?: (p: PretrainProgress) => void } = {},
): Promise<PretrainResult> {
  const s = resolvePretrainSettings(partial);
  s.device = await resolveDevice(s.device);
  const splitId = s.splitId ?? latestSplitId(ws);
  if (splitId === null)
    throw new RemedyError('the workspace has no split', { cli: 'make one first ("apprentice split")', app: 'make one first (Images tab, "Make split")' });
  const ids = trainingImages(ws, splitId);
  if (ids.length < s.batch) throw new Error(`split ${splitId} has ${ids.length} training image(s); a SimCLR batch needs ${s.batch}`);
  const cfg = unetConfig(s.model);
  const stored = {
    ...s,
    splitId,
    images: ids.length,
    method: 'SimCLR (Chen et al. 2020): two views per image, encoder → global average pool → 2-layer MLP head → NT-Xent',
    head: headOf(cfg, s),
    initScheme: DEFAULT_INIT_SCHEME,
    normalization: { kind: 'imagenet', mean: IMAGENET_MEAN, std: IMAGENET_STD },
    optimizer: { kind: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-8 },
    engine: 'onnxruntime',
  };
  const runId = createRun(ws, { kind: 'pretrain', splitId, backend: `onnxruntime-${s.device}`, config: stored });
  return whileRunAlive(ws, runId, () => loop(ws, runId, s, splitId, opts));
}

export async function resumePretrain(
  ws: Workspace,
  runId: number,
  opts: { signal?: AbortSignal; onProgress?: (p: PretrainProgress) => void } = {},
): Promise<PretrainResult> {
  const row = getRun(ws, runId);
  if (!row) throw new Error(`no run with id ${runId}`);
  if (row.kind !== 'pretrain') throw new Error(`run ${runId} is a "${row.kind}" run, not a pre-training run`);
  if (row.status === 'done') throw new Error(`run ${runId} is already done`);
  const { head: _h, ...config } = row.config as PretrainConfig;
  const s = resolvePretrainSettings(config);
  s.device = await resolveDevice(s.device);
  markRunResumed(ws, runId, null);
  return whileRunAlive(ws, runId, () => loop(ws, runId, s, row.splitId!, opts));
}

/** The split's training images, labeled and unlabeled: pre-training reads no mask. */
function trainingImages(ws: Workspace, splitId: number): number[] {
  return [...splitMembers(ws, splitId, 'labeled'), ...splitMembers(ws, splitId, 'unlabeled')].sort((a, b) => a - b);
}

const tick = () => new Promise<void>((r) => setImmediate(r));

async function loop(
  ws: Workspace,
  runId: number,
  s: PretrainConfig,
  splitId: number,
  opts: { signal?: AbortSignal; onProgress?: (p: PretrainProgress) => void },
): Promise<PretrainResult> {
  const t0 = Date.now();
  const cfg = unetConfig(s.model);
  const head = headOf(cfg, s);
  const progress = (p: Omit<PretrainProgress, 'runId' | 'maxEpochs'>) => opts.onProgress?.({ runId, maxEpochs: s.maxEpochs, ...p });
  const row = getRun(ws, runId)!;
  let state: PretrainState = { epoch: 0, weightsBlob: null, loss: NaN };
  let trainer: SimclrTrainer;
  const trainerOpts = { lr: s.lr, temperature: s.temperature, head, device: s.device as 'cpu' | 'cuda' };
  if (row.checkpointBlob) {
    const ck = decodeCheckpoint(readRunBlob(ws, row.checkpointBlob), cfg, head);
    state = ck.state;
    trainer = new SimclrTrainer(cfg, ck.weights, ck.head, { ...trainerOpts, adam: ck.adam });
  } else {
    trainer = new SimclrTrainer(cfg, initWeights(cfg, s.seed), initHead(cfg, head, seededRandom(s.seed ^ 0x5eed)), trainerOpts);
  }
  const history = runMetrics(ws, runId)
    .filter((m) => m.name === 'train_loss')
    .map((m) => ({ epoch: m.epoch, train_loss: m.value, lr: s.lr }));

  const ids = trainingImages(ws, splitId);
  progress({ phase: 'prepare', epoch: state.epoch, batch: 0, batches: ids.length, loss: null });
  const samples = loadSamples(ws, ids, 'unlabeled', s.size, (done, total) =>
    progress({ phase: 'prepare', epoch: state.epoch, batch: done, batches: total, loss: null }),
  );
  const colour = samples.map((x) => isColour(x.rgb));
  // Whole batches only: NT-Xent's negatives are the batch, so a short last batch would change the task.
  const batches = Math.floor(samples.length / s.batch);
  const plane = s.size * s.size * 3;
  try {
    for (let epoch = state.epoch + 1; epoch <= s.maxEpochs; epoch++) {
      const random = epochRandom(s.seed, epoch);
      const order = shuffleInPlace(
        samples.map((_, i) => i),
        random,
      );
      let lossSum = 0;
      for (let b = 0; b < batches; b++) {
        if (opts.signal?.aborted) {
          markRunInterrupted(ws, runId);
          throw new TrainingInterrupted(runId, epoch - 1);
        }
        const idx = order.slice(b * s.batch, (b + 1) * s.batch);
        const x = new Float32Array(2 * idx.length * plane);
        idx.forEach((k, i) => {
          const smp = samples[k]!;
          normalizeInto(simclrView(smp.rgb, s.size, s.augment, random, colour[k]), x, i * plane);
          normalizeInto(simclrView(smp.rgb, s.size, s.augment, random, colour[k]), x, (idx.length + i) * plane);
        });
        const l = await trainer.trainStep(x, idx.length, s.size);
        if (!Number.isFinite(l)) throw new Error(`pre-training diverged: loss ${l} at epoch ${epoch}, batch ${b + 1}`);
        lossSum += l;
        progress({ phase: 'train', epoch, batch: b + 1, batches, loss: lossSum / (b + 1) });
        await tick();
      }
      const loss = lossSum / batches;
      const weights = trainer.weightArrays();
      const blob = storeRunWeights(ws, encodeWeights(cfg, weights, { runId, epoch, size: s.size, pretrain: 'simclr', ntXent: loss }));
      const prev = state.weightsBlob;
      state = { epoch, weightsBlob: blob, loss };
      recordEpoch(ws, runId, {
        epoch,
        metrics: { train_loss: loss, lr: s.lr },
        checkpoint: encodeCheckpoint(cfg, weights, trainer.headArrays(), trainer.adamState(), state),
        result: { inProgress: true, epochs: epoch, loss, best: { epoch, blob } },
        replaced: prev !== blob ? prev : null,
      });
      history.push({ epoch, train_loss: loss, lr: s.lr });
      progress({ phase: 'epoch-end', epoch, batch: batches, batches, loss });
    }
  } finally {
    await trainer.dispose();
  }
  const result: PretrainResult = { runId, epochs: state.epoch, loss: state.loss, weights: state.weightsBlob!, seconds: (Date.now() - t0) / 1000, history };
  const { history: _h, ...stored } = result;
  finishRun(ws, runId, { ...stored, best: { epoch: state.epoch, blob: state.weightsBlob } });
  return result;
}
