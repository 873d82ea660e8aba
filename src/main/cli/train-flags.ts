import { resolve } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { resolveSettings, type TrainConfig } from '../student/train';
import type { InitScheme } from '../../shared/contract';
import { INIT_SCHEMES } from '../student/unetpp';
import { num, UsageError, type Flags } from './command';
import { DEVICE_OPTION, deviceFromFlags } from './device-flag';

/**
 * Student training flags shared by `train`, `mine` and `experiment`; absent flags keep the defaults.
 * `--engine` (onnxruntime|tfjs) is how the training arithmetic is done, `--device` (auto|cpu|cuda)
 * where it runs: two different choices, so two flags.
 */
export const TRAIN_FLAG_OPTIONS: NonNullable<ParseArgsConfig['options']> = {
  epochs: { type: 'string' },
  size: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  seed: { type: 'string' },
  lambda: { type: 'string' },
  width: { type: 'string' },
  blocks: { type: 'string' },
  decoder: { type: 'string' },
  split: { type: 'string' },
  'init-weights': { type: 'string' },
  init: { type: 'string' },
  'init-scheme': { type: 'string' },
  'early-stop': { type: 'string' },
  patience: { type: 'string' },
  'test-engine': { type: 'string' },
  engine: { type: 'string' },
  ...DEVICE_OPTION,
};

function intList(flags: Flags, name: string): number[] | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const list = String(v).split(',').map(Number);
  if (list.some((n) => !Number.isInteger(n) || n <= 0))
    throw new UsageError(`--${name} must be positive integers like 1,1,1,1 (got ${String(v)})`);
  return list;
}

/** Training settings from flags, checked now: a bad value is a usage error before any work starts. */
export function trainSettingsFromFlags(flags: Flags): Partial<TrainConfig> {
  const out: Partial<TrainConfig> = {};
  if (flags.epochs !== undefined) out.maxEpochs = num(flags, 'epochs');
  if (flags.size !== undefined) out.size = num(flags, 'size');
  if (flags.batch !== undefined) out.batch = num(flags, 'batch');
  if (flags.lr !== undefined) out.lr = num(flags, 'lr');
  if (flags.seed !== undefined) out.seed = num(flags, 'seed');
  if (flags.lambda !== undefined) out.lambda = num(flags, 'lambda');
  if (flags.split !== undefined) out.splitId = num(flags, 'split');
  if (typeof flags['init-weights'] === 'string') out.initWeights = resolve(flags['init-weights']);
  // --init <run id> starts from a finished run (a SimCLR pre-training run), --init <file> from a weights file.
  if (typeof flags.init === 'string') {
    if (/^\d+$/.test(flags.init)) out.initRun = Number(flags.init);
    else out.initWeights = resolve(flags.init);
  }
  if (flags['init-scheme'] !== undefined) {
    const scheme = String(flags['init-scheme']);
    if (!(INIT_SCHEMES as readonly string[]).includes(scheme))
      throw new UsageError(`--init-scheme must be ${INIT_SCHEMES.join(', ')} (got ${scheme})`);
    out.initScheme = scheme as InitScheme;
  }
  if (flags['early-stop'] !== undefined) out.earlyStopPatience = num(flags, 'early-stop');
  if (flags.patience !== undefined) out.plateauPatience = num(flags, 'patience');
  const model: Partial<TrainConfig['model']> = {};
  if (flags.width !== undefined) model.width = num(flags, 'width');
  const blocks = intList(flags, 'blocks');
  if (blocks) model.blocks = blocks;
  const decoder = intList(flags, 'decoder');
  if (decoder) model.decoder = decoder;
  if (Object.keys(model).length) out.model = model as TrainConfig['model'];
  const trainEngine = flags.engine;
  if (trainEngine !== undefined) {
    if (trainEngine !== 'auto' && trainEngine !== 'onnxruntime' && trainEngine !== 'tfjs')
      throw new UsageError(`--engine must be auto, onnxruntime or tfjs (got ${String(trainEngine)})`);
    out.engine = trainEngine;
  }
  const device = deviceFromFlags(flags);
  if (device) out.device = device;
  const engine = flags['test-engine'];
  if (engine !== undefined) {
    if (engine !== 'onnx' && engine !== 'tfjs') throw new UsageError(`--test-engine must be onnx or tfjs (got ${String(engine)})`);
    out.testEngine = engine;
  }
  try {
    resolveSettings(out);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  return out;
}
