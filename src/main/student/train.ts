import { readFileSync } from 'node:fs';
import { meanOverStructures, scoreStructures, summarizeScores, type PairScores, type SegmentationSummary } from '../metrics/metrics';
import { sha256 } from '../workspace/blobs';
import { labelSchema } from '../workspace/labels';
import { loadLabelMap } from '../workspace/masks';
import { latestSplitId, splitMembers, trainingLabeledIds } from '../workspace/splits';
import {
  bestWeightsBlob,
  runBlobPath,
  createRun,
  finishRun,
  getRun,
  markRunInterrupted,
  markRunResumed,
  whileRunAlive,
  readRunBlob,
  recordEpoch,
  runMetrics,
  storeRunWeights,
} from '../workspace/runs';
import type { Workspace } from '../workspace/workspace';
import { seededRandom, shuffleInPlace } from '../util/random';
import type { Device, InitScheme } from '../../shared/contract';
import { decodeCheckpoint, decodeWeights, encodeCheckpoint, encodeWeights, type CheckpointState } from './checkpoint';
import { applyGeometric, channelMap, channelTargets, DEFAULT_AUGMENT, drawAugment, IMAGENET_MEAN, IMAGENET_STD, loadSamples, normalizeInto, type AugmentConfig, type Sample } from './data';
import { bceDiceFromLogits } from './loss';
import { createPredictor, predictImages, type Engine } from './predict';
import { createTrainer, resolveEngine, resolveTrainDevice, trainBackendName, type StudentTrainer, type TrainEngineSetting } from './trainer';
import { countParams, DEFAULT_INIT_SCHEME, INIT_SCHEMES, initWeights, unetConfig, type UnetConfig, type WeightArrays } from './unetpp';
import { RemedyError } from '../util/errors';


/**
 * Supervised training of the student with the paper's protocol. Every value is a setting, and the
 * full settings (defaults included) are stored with the run:
 *   data      short side → `size` (224) + centre crop; ImageNet mean/std normalisation; the labeled
 *             subset of a split for training, its validation subset for model selection, its test
 *             subset for the final scores (masks of "unlabeled" images are never read)
 *   augment   horizontal flip, vertical flip, rotation by a random multiple of 90° (90/180/270),
 *             transpose — each with p = 0.5, identical for image and mask
 *   structures a channel per structure of the workspace's label schema (values sorted, stored as
 *             `structures`); loss, Dice and IoU per structure, their mean reported; the ignore
 *             region counts in neither
 *   loss      λ·BCE + (1 − λ)·soft Dice, λ = 0.5
 *   optimiser Adam (β 0.9/0.999, ε 1e-8), lr 5e-5, batch 8
 *   schedule  ReduceLROnPlateau on validation loss (factor 0.5, patience 3, min 1e-7; PyTorch's
 *             rule: improvement = below best·(1 − 1e-4)); early stop after 10 epochs without a
 *             new best validation loss; at most 100 epochs
 *   selection the weights of the epoch with the lowest validation loss ("best") are kept and used
 *             for the test scores and for inference
 *   seed      initial weights, shuffling and augmentations derive from `seed`; epoch e re-seeds
 *             its RNG from (seed, e), so a resumed run replays exactly what an unbroken one does
 *             (same engine and backend: two runs with one seed give the same curve).
 *   engine    "onnxruntime" (default when it loads: the training step as an ONNX graph on ORT's
 *             CPU kernels) or "tfjs" (backend picked at start) — trainer.ts; runs.backend records
 *             "onnxruntime-cpu" or the tfjs backend.
 *
 * Rows: one `runs` row (kind "supervised"); per epoch `metrics` rows train_loss, val_loss,
 * val_iou, val_dice, lr (the rate used in that epoch). After every epoch a checkpoint (weights,
 * Adam state, epoch, lr, RNG state, scheduler and best-so-far) is written as one blob, and only
 * then referenced from the run, in one transaction with that epoch's metrics.
 */

export interface TrainConfig {
  size: number;
  batch: number;
  lr: number;
  lambda: number;
  maxEpochs: number;
  seed: number;
  plateauFactor: number;
  plateauPatience: number;
  minLr: number;
  earlyStopPatience: number;
  augment: AugmentConfig;
  /** Encoder base width (64 = ResNet34), BasicBlocks per stage, decoder channels. */
  model: { width: number; blocks: number[]; decoder: number[] };
  /** null: the latest split at start (the resolved id is stored). */
  splitId: number | null;
  /** Optional weights file to start from instead of fresh weights. */
  initWeights: string | null;
  /** How fresh weights are drawn (see unetpp.ts INIT_SCHEMES); unused when starting from weights. */
  initScheme: InitScheme;
  /**
   * A finished run whose weights to start from (a SimCLR "pretrain" run, or any student run);
   * resolved to its weights file at start. A weights file given as well wins (mining starts from
   * its supervised base, which itself started from this run).
   */
  initRun: number | null;
  /** Engine for the final test scores at source resolution. */
  testEngine: Engine;
  /** Training engine: onnxruntime (CPU kernels, default when it loads) or tfjs (trainer.ts). */
  engine: TrainEngineSetting;
  /**
   * Schema values of the student's channels, sorted; null: the workspace's schema at start (the
   * resolved list is stored). A run stored before channels per structure had one: [1].
   */
  structures: number[] | null;
  /** Where it trains (auto|cpu|cuda); the run stores the device it resolved to. */
  device: Device;
}

export const DEFAULT_SETTINGS: TrainConfig = {
  size: 224,
  batch: 8,
  lr: 5e-5,
  lambda: 0.5,
  maxEpochs: 100,
  seed: 1,
  plateauFactor: 0.5,
  plateauPatience: 3,
  minLr: 1e-7,
  earlyStopPatience: 10,
  augment: DEFAULT_AUGMENT,
  model: { width: 64, blocks: [3, 4, 6, 3], decoder: [256, 128, 64, 32, 16] },
  splitId: null,
  initWeights: null,
  initScheme: DEFAULT_INIT_SCHEME,
  initRun: null,
  testEngine: 'onnx',
  engine: 'auto',
  device: 'auto',
  structures: null,
};

export interface TrainProgress {
  runId: number;
  phase: 'prepare' | 'train' | 'validate' | 'test' | 'epoch-end';
  epoch: number; // 1-based
  maxEpochs: number;
  batch: number; // batches done in this epoch (train phase)
  batches: number;
  loss: number | null; // running mean train loss of this epoch
  /** Seconds left in this epoch (train phase), and for the rest of the run if it ran to maxEpochs. */
  etaEpoch: number | null;
  etaRun: number | null;
  metrics?: EpochMetrics;
  /** At epoch-end: what the scheduler and early stopping decided, so progress can announce it. */
  decision?: EpochDecision;
}

export interface EpochDecision {
  nextLr: number;
  best: { epoch: number; valDice: number };
  epochsWithoutImprovement: number;
  earlyStopPatience: number;
  plateauPatience: number;
  earlyStop: boolean;
}

export interface EpochMetrics {
  epoch: number;
  train_loss: number;
  val_loss: number;
  /** Mean over structures (one structure: its score). */
  val_iou: number;
  val_dice: number;
  lr: number;
  /** Several structures: "val_dice/<value>" and "val_iou/<value>" per structure. */
  [perStructure: `val_${'dice' | 'iou'}/${number}`]: number;
}

export interface TrainResult {
  runId: number;
  backend: string;
  epochs: number; // epochs completed
  stopped: 'early-stop' | 'max-epochs';
  best: { epoch: number; valLoss: number; valDice: number; valIou: number; blob: string | null };
  test: (SegmentationSummary & { resolution: 'source'; engine: Engine }) | null;
  seconds: number;
  history: EpochMetrics[];
}

export interface TrainOptions {
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
  /** runs.kind of a new run (default "supervised"); mining runs reuse this loop. */
  kind?: string;
  /** Recorded with the run's settings (e.g. the mining schedule and teacher). */
  extraConfig?: Record<string, unknown>;
  /** Knowledge mining: unlabeled images trained on teacher targets (see src/main/mining). */
  pseudo?: PseudoTargets;
}

/** What the training loop can ask of the student while it trains (continuous mining). */
export interface StudentView {
  /** Each structure's probabilities at size×size of the whole image (inference geometry, planes [K, size, size]), current weights. */
  predictWhole(rgb: Uint8Array): Promise<Float32Array>;
}

export interface PseudoTargets {
  imageIds: readonly number[];
  /** Factor on the loss of pseudo-labeled images. */
  weight: number;
  /** Once the run id is known, before the first epoch (and again on resume): one-time labelling. */
  onStart?(runId: number): Promise<void>;
  /**
   * The target of an unlabeled image each time it is drawn into a batch: size×size 0/1 in the
   * training frame (short side → size, centre crop), made on the un-augmented image — the batch
   * augments image and target together. null leaves the image out of this batch.
   */
  target(sample: Sample, epoch: number, student: StudentView): Promise<Uint8Array | null>;
  /** The unlabeled samples of a batch, before `target` is asked for each of them. */
  upcoming?(samples: readonly Sample[]): void;
  /** After each epoch's checkpoint (e.g. to record pseudo-label versions of that epoch). */
  onEpochEnd?(epoch: number): void;
}

export class TrainingInterrupted extends Error {
  constructor(readonly runId: number, readonly epochsDone: number) {
    super(`training run ${runId} interrupted after ${epochsDone} completed epoch(s); resume it with --resume ${runId}`);
  }
}

/** Settings from partial user input, validated. */
export function resolveSettings(partial: Partial<TrainConfig> = {}): TrainConfig {
  const s: TrainConfig = {
    ...DEFAULT_SETTINGS,
    ...partial,
    augment: { ...DEFAULT_SETTINGS.augment, ...(partial.augment ?? {}) },
    model: { ...DEFAULT_SETTINGS.model, ...(partial.model ?? {}) },
  };
  const check = (ok: boolean, msg: string) => {
    if (!ok) throw new Error(msg);
  };
  check(Number.isInteger(s.size) && s.size >= 32 && s.size % 32 === 0, `size must be a multiple of 32 (got ${s.size})`);
  check(Number.isInteger(s.batch) && s.batch >= 1, `batch must be a positive integer (got ${s.batch})`);
  check(s.lr > 0, `lr must be positive (got ${s.lr})`);
  check(s.lambda >= 0 && s.lambda <= 1, `lambda must be in [0, 1] (got ${s.lambda})`);
  check(Number.isInteger(s.maxEpochs) && s.maxEpochs >= 1, `epochs must be a positive integer (got ${s.maxEpochs})`);
  check(Number.isInteger(s.seed), `seed must be an integer (got ${s.seed})`);
  check(s.plateauFactor > 0 && s.plateauFactor < 1, 'plateauFactor must be in (0, 1)');
  check((INIT_SCHEMES as readonly string[]).includes(s.initScheme), `initScheme must be one of ${INIT_SCHEMES.join(', ')} (got ${String(s.initScheme)})`);
  unetConfig(s.model); // validates width/blocks/decoder
  return s;
}

/** The schema values of a run's channels: stored with the run, or the one structure of runs from before. */
export function runStructures(s: Pick<TrainConfig, 'structures'>): number[] {
  return s.structures ?? [1];
}

function modelConfig(s: TrainConfig): UnetConfig {
  return { ...unetConfig(s.model), classes: runStructures(s).length };
}

/** Starts a new supervised run and trains it to the end (or until aborted). */
export async function trainStudent(ws: Workspace, partial: Partial<TrainConfig> = {}, opts: TrainOptions = {}): Promise<TrainResult> {
  const kind = opts.kind ?? 'supervised';
  const settings = resolveSettings(partial);
  settings.engine = await resolveEngine(settings.engine, settings.device);
  settings.device = await resolveTrainDevice(settings.engine, settings.device);
  const backend = await trainBackendName(settings.engine, settings.device);
  settings.structures ??= labelSchema(ws).map((st) => st.value).sort((a, b) => a - b);
  const splitId = settings.splitId ?? latestSplitId(ws);
  if (splitId === null)
    throw new RemedyError('the workspace has no split', { cli: 'make one first ("apprentice split")', app: 'make one first (Images tab, "Make split")' });
  const labeled = trainingLabeledIds(ws, splitId);
  const val = splitMembers(ws, splitId, 'val');
  const test = splitMembers(ws, splitId, 'test');
  if (labeled.length === 0) throw new Error(`split ${splitId} has no labeled images to train on`);
  if (val.length === 0) throw new Error(`split ${splitId} has no validation images (the schedule and model selection need them)`);
  const cfg = modelConfig(settings);
  const stored = {
    ...settings,
    splitId,
    counts: { labeled: labeled.length, val: val.length, test: test.length },
    params: countParams(cfg).trainable,
    architecture: 'U-Net++ / ResNet encoder (segmentation_models_pytorch UnetPlusPlus layout)',
    geometry: 'short side → size, centre crop (training/validation); whole image → size×size (inference)',
    normalization: { kind: 'imagenet', mean: IMAGENET_MEAN, std: IMAGENET_STD },
    augmentation: 'hflip, vflip, rotation by a random multiple of 90° (90/180/270), transpose; each with its probability; same for image and mask',
    loss: 'lambda·BCE + (1 − lambda)·soft Dice (smooth 1, per image), a sigmoid channel per structure, averaged; ignore region weighted 0',
    optimizer: { kind: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-8 },
    scheduler: { kind: 'ReduceLROnPlateau', monitor: 'val_loss', threshold: 1e-4, thresholdMode: 'rel' },
    selection: 'lowest val_loss',
    initWeightsSha256: null as string | null,
    initRunKind: null as string | null,
    ...(opts.extraConfig ?? {}),
  };
  if (settings.initRun !== null) {
    const init = getRun(ws, settings.initRun);
    const blob = init ? bestWeightsBlob(init) : null;
    if (!init || init.status !== 'done' || !blob)
      throw new Error(`run ${settings.initRun} is not a finished run with weights to start from (status ${init?.status ?? 'none'})`);
    stored.initRunKind = init.kind;
    if (!settings.initWeights) stored.initWeights = settings.initWeights = runBlobPath(ws, blob);
  }
  if (settings.initWeights) {
    stored.initWeightsSha256 = sha256(readFileSync(settings.initWeights));
  }
  const runId = createRun(ws, { kind, splitId, backend, config: stored });
  return whileRunAlive(ws, runId, () => runLoop(ws, runId, settings, splitId, opts));
}

/** Continues a run from its last checkpoint (or from the start if it never finished an epoch). */
export async function resumeStudent(ws: Workspace, runId: number, opts: TrainOptions = {}): Promise<TrainResult> {
  const row = getRun(ws, runId);
  if (!row) throw new Error(`no run with id ${runId}`);
  if (row.kind !== (opts.kind ?? 'supervised')) throw new Error(`run ${runId} is a "${row.kind}" run, not a ${opts.kind ?? 'supervised'} student run`);
  if (row.status === 'done') throw new Error(`run ${runId} is already done`);
  const settings = resolveSettings(row.config as Partial<TrainConfig>);
  settings.engine = await resolveEngine(settings.engine, settings.device);
  settings.device = await resolveTrainDevice(settings.engine, settings.device);
  const backend = await trainBackendName(settings.engine, settings.device);
  markRunResumed(ws, runId, row.backend !== backend ? `${row.backend ?? '?'} → ${backend}` : null);
  return whileRunAlive(ws, runId, () => runLoop(ws, runId, settings, row.splitId!, opts));
}

// ---------------------------------------------------------------------------------------------

/** The RNG of epoch `e` (1-based): seededRandom of a mix of the run seed and the epoch. */
export function epochRandom(seed: number, epoch: number): () => number {
  return seededRandom((Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(epoch, 0xc2b2ae35)) >>> 0);
}

interface Plateau {
  best: number;
  badEpochs: number;
}

/** torch.optim.lr_scheduler.ReduceLROnPlateau(mode='min', threshold=1e-4 rel, cooldown 0) */
function plateauStep(p: Plateau, metric: number, lr: number, s: TrainConfig): { plateau: Plateau; lr: number } {
  let { best, badEpochs } = p;
  if (metric < best * (1 - 1e-4)) {
    best = metric;
    badEpochs = 0;
  } else badEpochs += 1;
  if (badEpochs > s.plateauPatience) {
    const next = Math.max(lr * s.plateauFactor, s.minLr);
    if (lr - next > 1e-8) lr = next;
    badEpochs = 0;
  }
  return { plateau: { best, badEpochs }, lr };
}

function makeBatch(samples: readonly Sample[], idx: number[], size: number, channels: number, augment: AugmentConfig | null, random: (() => number) | null) {
  const n = idx.length;
  const plane = size * size;
  const x = new Float32Array(n * plane * 3);
  const maps: Uint8Array[] = [];
  idx.forEach((k, b) => {
    const s = samples[k]!;
    let rgb = s.rgb;
    let mask = s.mask!;
    if (augment && random) {
      const g = drawAugment(augment, random);
      rgb = applyGeometric(rgb, size, 3, g);
      mask = applyGeometric(mask, size, 1, g);
    }
    normalizeInto(rgb, x, b * plane * 3);
    maps.push(mask);
  });
  const { y, m } = channelTargets(maps, channels, plane);
  return { x, y, m: m ?? undefined, n, maps };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

async function evaluate(
  trainer: StudentTrainer,
  samples: Sample[],
  size: number,
  lambda: number,
  batch: number,
  channels: number,
  signal?: AbortSignal,
): Promise<{ loss: number; scores: PairScores[][] }> {
  let lossSum = 0;
  const scores: PairScores[][] = [];
  const plane = size * size;
  for (let i = 0; i < samples.length; i += batch) {
    signal?.throwIfAborted();
    const idx = Array.from({ length: Math.min(batch, samples.length - i) }, (_, k) => i + k);
    const { x, y, m, n, maps } = makeBatch(samples, idx, size, channels, null, null);
    const logits = await trainer.evalLogits(x, n, size);
    lossSum += bceDiceFromLogits(logits, y, n, lambda, 1, channels, m) * n;
    for (let b = 0; b < n; b++) {
      // each channel is its own sigmoid: σ(z) > 0.5 is z > 0
      const pred = Array.from({ length: channels }, (_, c) => Uint8Array.from(logits.subarray((b * channels + c) * plane, (b * channels + c + 1) * plane), (z) => (z > 0 ? 1 : 0)));
      scores.push(scoreStructures(pred, maps[b]!));
    }
    await tick();
  }
  return { loss: lossSum / samples.length, scores };
}

/** Per-image scores of every structure → the mean over structures, and each structure's own when there are several. */
function structureSummaries(scores: readonly PairScores[][], structures: readonly number[]): { dice: number; iou: number; perStructure: Record<string, number> } {
  const perStructure: Record<string, number> = {};
  const means = structures.map((_, c) => summarizeScores(scores.map((s) => s[c]!)));
  if (structures.length > 1)
    structures.forEach((v, c) => {
      perStructure[`val_dice/${v}`] = means[c]!.dice.mean;
      perStructure[`val_iou/${v}`] = means[c]!.iou.mean;
    });
  return { dice: meanOverStructures(means.map((m) => m.dice.mean)), iou: meanOverStructures(means.map((m) => m.iou.mean)), perStructure };
}

async function runLoop(
  ws: Workspace,
  runId: number,
  s: TrainConfig,
  splitId: number,
  opts: TrainOptions,
): Promise<TrainResult> {
  const t0 = Date.now();
  const cfg = modelConfig(s);
  const structures = runStructures(s);
  const progress = (p: Omit<TrainProgress, 'runId' | 'maxEpochs'>) => opts.onProgress?.({ runId, maxEpochs: s.maxEpochs, ...p });
  const markInterrupted = (epochsDone: number): never => {
    markRunInterrupted(ws, runId);
    throw new TrainingInterrupted(runId, epochsDone);
  };

  // ---- state: fresh or from the checkpoint
  const row = getRun(ws, runId)!;
  let weightsArrays: WeightArrays;
  let state: CheckpointState;
  let adamState: ReturnType<typeof decodeCheckpoint>['adam'] | null = null;
  if (row.checkpointBlob) {
    const ck = decodeCheckpoint(readRunBlob(ws, row.checkpointBlob));
    weightsArrays = ck.weights;
    state = ck.state;
    adamState = ck.adam;
  } else {
    weightsArrays = s.initWeights ? decodeWeights(readFileSync(s.initWeights), cfg).weights : initWeights(cfg, s.seed, s.initScheme);
    state = {
      epoch: 0,
      lr: s.lr,
      rng: { seed: s.seed, nextEpoch: 1 },
      plateau: { best: Infinity, badEpochs: 0 },
      best: { epoch: 0, valLoss: Infinity, valDice: 0, valIou: 0, blob: null },
      epochsWithoutImprovement: 0,
    };
  }
  const history: EpochMetrics[] = runMetrics(ws, runId).reduce<EpochMetrics[]>((acc, r) => {
    let e = acc.find((m) => m.epoch === r.epoch);
    if (!e) acc.push((e = { epoch: r.epoch, train_loss: NaN, val_loss: NaN, val_iou: NaN, val_dice: NaN, lr: NaN }));
    (e as unknown as Record<string, number>)[r.name] = r.value;
    return acc;
  }, []);

  // ---- data, once per run
  progress({ phase: 'prepare', epoch: state.epoch, batch: 0, batches: 0, loss: null, etaEpoch: null, etaRun: null });
  const labeledIds = trainingLabeledIds(ws, splitId);
  const valIds = splitMembers(ws, splitId, 'val');
  const testIds = splitMembers(ws, splitId, 'test');
  const toPrepare = labeledIds.length + valIds.length + (opts.pseudo?.imageIds.length ?? 0);
  let prepared = 0;
  const onImage = () =>
    progress({ phase: 'prepare', epoch: state.epoch, batch: ++prepared, batches: toPrepare, loss: null, etaEpoch: null, etaRun: null });
  const train = loadSamples(ws, labeledIds, 'labeled', s.size, onImage, structures);
  const val = loadSamples(ws, valIds, 'val', s.size, onImage, structures);
  const pseudo = opts.pseudo ? loadSamples(ws, opts.pseudo.imageIds, 'unlabeled', s.size, onImage, structures) : [];
  const pool = [...train, ...pseudo]; // indices ≥ train.length are pseudo-labeled
  opts.signal?.throwIfAborted();
  try {
    await opts.pseudo?.onStart?.(runId);
  } catch (e) {
    if (opts.signal?.aborted) markInterrupted(state.epoch);
    throw e;
  }

  const engine = await resolveEngine(s.engine, s.device);
  const device = await resolveTrainDevice(engine, s.device);
  const trainer = await createTrainer(engine, cfg, weightsArrays, { lr: state.lr, adam: adamState, device });
  const batches = Math.ceil(pool.length / s.batch);
  const view: StudentView = {
    async predictWhole(rgb) {
      const x = new Float32Array(s.size * s.size * 3);
      normalizeInto(rgb, x, 0);
      const logits = await trainer.evalLogits(x, 1, s.size);
      return Float32Array.from(logits, (z) => 1 / (1 + Math.exp(-z)));
    },
  };
  let stepSeconds: number | null = null;
  let stopped: TrainResult['stopped'] = 'max-epochs';

  try {
    for (let epoch = state.epoch + 1; epoch <= s.maxEpochs; epoch++) {
      if (state.epochsWithoutImprovement >= s.earlyStopPatience) {
        stopped = 'early-stop';
        break;
      }
      const random = epochRandom(s.seed, epoch);
      const order = shuffleInPlace(
        pool.map((_, i) => i),
        random,
      );
      trainer.lr = state.lr;
      let lossSum = 0;
      let seen = 0;
      for (let b = 0; b < batches; b++) {
        if (opts.signal?.aborted) markInterrupted(epoch - 1);
        const ts = Date.now();
        let idx = order.slice(b * s.batch, (b + 1) * s.batch);
        let batchSamples: readonly Sample[] = pool;
        let sampleWeights: Float32Array | undefined;
        if (opts.pseudo && idx.some((k) => k >= train.length)) {
          // Targets of unlabeled images come from the teacher now, on the un-augmented image.
          const withTargets: Sample[] = [];
          const weightsOf: number[] = [];
          opts.pseudo.upcoming?.(idx.filter((k) => k >= train.length).map((k) => pool[k]!));
          for (const k of idx) {
            const sample = pool[k]!;
            const mask = k < train.length ? sample.mask : await opts.pseudo.target(sample, epoch, view);
            if (!mask) continue;
            withTargets.push({ ...sample, mask });
            weightsOf.push(k < train.length ? 1 : opts.pseudo.weight);
          }
          if (withTargets.length === 0) continue;
          batchSamples = withTargets;
          idx = withTargets.map((_, i) => i);
          sampleWeights = Float32Array.from(weightsOf);
        }
        const { x, y, m, n } = makeBatch(batchSamples, idx, s.size, structures.length, s.augment, random);
        const l = await trainer.step(x, y, n, s.size, s.lambda, sampleWeights, m);
        if (!Number.isFinite(l)) throw new Error(`training diverged: loss ${l} at epoch ${epoch}, batch ${b + 1}`);
        lossSum += l * n;
        seen += n;
        const dt = (Date.now() - ts) / 1000;
        stepSeconds = stepSeconds === null ? dt : 0.8 * stepSeconds + 0.2 * dt;
        const left = batches - b - 1;
        progress({
          phase: 'train',
          epoch,
          batch: b + 1,
          batches,
          loss: lossSum / seen,
          etaEpoch: stepSeconds * left,
          etaRun: stepSeconds * (left + batches * (s.maxEpochs - epoch)),
        });
        await tick();
      }
      if (opts.signal?.aborted) markInterrupted(epoch - 1);

      progress({ phase: 'validate', epoch, batch: batches, batches, loss: lossSum / seen, etaEpoch: null, etaRun: null });
      let ev: Awaited<ReturnType<typeof evaluate>>;
      try {
        ev = await evaluate(trainer, val, s.size, s.lambda, s.batch, structures.length, opts.signal);
      } catch (e) {
        if (opts.signal?.aborted) markInterrupted(epoch - 1);
        throw e;
      }
      const summary = structureSummaries(ev.scores, structures);
      const metrics: EpochMetrics = {
        epoch,
        train_loss: lossSum / seen,
        val_loss: ev.loss,
        val_iou: summary.iou,
        val_dice: summary.dice,
        lr: state.lr,
        ...summary.perStructure,
      };

      // scheduler, selection, early stopping
      const sched = plateauStep(state.plateau, ev.loss, state.lr, s);
      const improved = ev.loss < state.best.valLoss;
      const prevBestBlob = state.best.blob;
      let bestBlob = state.best.blob;
      const current = trainer.weightArrays();
      if (improved) bestBlob = storeRunWeights(ws, encodeWeights(cfg, current, { runId, epoch, size: s.size, valLoss: ev.loss, valDice: metrics.val_dice }));
      const next: CheckpointState = {
        epoch,
        lr: sched.lr,
        rng: { seed: s.seed, nextEpoch: epoch + 1 },
        plateau: sched.plateau,
        best: improved ? { epoch, valLoss: ev.loss, valDice: metrics.val_dice, valIou: metrics.val_iou, blob: bestBlob } : state.best,
        epochsWithoutImprovement: improved ? 0 : state.epochsWithoutImprovement + 1,
      };
      const { epoch: _e, ...values } = metrics;
      recordEpoch(ws, runId, {
        epoch,
        metrics: values,
        checkpoint: encodeCheckpoint(cfg, current, trainer.adamState(), next),
        result: { inProgress: true, epochs: epoch, best: next.best },
        replaced: improved && prevBestBlob !== bestBlob ? prevBestBlob : null,
      });
      state = next;
      history.push(metrics);
      opts.pseudo?.onEpochEnd?.(epoch);
      const earlyStop = state.epochsWithoutImprovement >= s.earlyStopPatience && epoch < s.maxEpochs;
      const decision: EpochDecision = {
        nextLr: state.lr,
        best: { epoch: state.best.epoch, valDice: state.best.valDice },
        epochsWithoutImprovement: state.epochsWithoutImprovement,
        earlyStopPatience: s.earlyStopPatience,
        plateauPatience: s.plateauPatience,
        earlyStop,
      };
      progress({ phase: 'epoch-end', epoch, batch: batches, batches, loss: metrics.train_loss, etaEpoch: 0, etaRun: stepSeconds! * batches * (s.maxEpochs - epoch), metrics, decision });
      if (earlyStop) {
        stopped = 'early-stop';
        break;
      }
    }
  } finally {
    await trainer.dispose();
  }

  // ---- final scores of the best weights on the test subset, at source resolution
  let test: TrainResult['test'] = null;
  if (testIds.length > 0 && state.best.blob) {
    progress({ phase: 'test', epoch: state.epoch, batch: 0, batches: testIds.length, loss: null, etaEpoch: null, etaRun: null });
    const { weights: best } = decodeWeights(readRunBlob(ws, state.best.blob), cfg);
    // A CPU run tests on the CPU; a CUDA run lets onnxruntime prove CUDA itself (a tfjs run's CUDA is TensorFlow's).
    const testDevice = device === 'cpu' ? 'cpu' : 'auto';
    const predictor = await createPredictor({ config: cfg, weights: best, size: s.size, runId, structures }, s.testEngine, { device: testDevice });
    try {
      const preds = await predictImages(ws, predictor, testIds, {
        signal: opts.signal,
        onImage: (done, total) => progress({ phase: 'test', epoch: state.epoch, batch: done, batches: total, loss: null, etaEpoch: null, etaRun: null }),
      });
      // an image's score is the mean over structures (one structure: its score)
      const scores = preds.map((p) => {
        const truth = channelMap(loadLabelMap(ws, p.imageId!)!.data, structures);
        const perStructure = scoreStructures(structures.map((v) => Uint8Array.from(p.labelMap, (l) => (l === v ? 1 : 0))), truth);
        return { dice: meanOverStructures(perStructure.map((q) => q.dice)), iou: meanOverStructures(perStructure.map((q) => q.iou)) };
      });
      test = { ...summarizeScores(scores), resolution: 'source', engine: s.testEngine };
    } catch (e) {
      if (opts.signal?.aborted) markInterrupted(state.epoch);
      throw e;
    } finally {
      await predictor.close();
    }
  }
  const result: TrainResult = {
    runId,
    backend: trainer.backend,
    epochs: state.epoch,
    stopped,
    best: state.best,
    test,
    seconds: (Date.now() - t0) / 1000,
    history,
  };
  const { history: _h, ...stored } = result;
  finishRun(ws, runId, stored);
  return result;
}
