import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { initStudentBackend } from '../student/backend';
import { exportOnnx } from '../student/onnx-export';
import { loadStudentFromRun } from '../student/predict';
import { TrainingInterrupted, type TrainConfig } from '../student/train';
import { countParams } from '../student/unetpp';
import { writeFileAtomic } from '../util/atomic-write';
import type { JobProgress, PretrainSettings, TrainOutcome } from '../../shared/contract';
import { runTraining } from '../jobs/training-jobs';
import { ProgressBar } from '../util/progress-bar';
import { sha256 } from '../workspace/blobs';
import { allImageIds, imageRecord } from '../workspace/images';
import { ModeInference, writePredictionPng } from '../mining/inference';
import type { TeacherSpec } from '../mining/teachers';
import { listTeacherModels } from '../teacher/registry';
import type { Workspace } from '../workspace/workspace';
import { TEACHER_OPTIONS, teacherFromFlags } from './mining-commands';
import { idList, interruptSignal, num, UsageError, withWs, type Command, type Flags } from './command';
import { TRAIN_FLAG_OPTIONS, trainSettingsFromFlags } from './train-flags';
import { DEVICE_OPTION } from './device-flag';
import type { PretrainConfig } from '../student/simclr';
import { pretrainSettingsFromRequest, runPretraining } from '../jobs/pretrain-job';

/** Refine mode without --teacher: the most recently installed SAM-family model. */
function latestTeacher(ws: Workspace): TeacherSpec {
  const models = listTeacherModels(ws);
  if (models.length === 0) throw new UsageError('refine mode needs a teacher: install one with "apprentice models add" or pass --teacher');
  return { kind: 'sam', modelId: models.at(-1)!.id };
}

export function studentCommands(): Record<string, Command> {
  return {
    train: {
      summary:
        'train <ws> [--epochs 100 --size 224 --batch 8 --lr 5e-5 --seed 1 --lambda 0.5 --width 64 --blocks 3,4,6,3 --decoder 256,128,64,32,16\n' +
        '           --split <id> --init <pretrain run|weights file> --init-scheme pytorch|smp|he --engine onnxruntime|tfjs --device auto|cpu|cuda --threads N] | train <ws> --resume <run>\n' +
        '                                          train the U-Net++ student (paper protocol); Ctrl-C keeps the last checkpoint',
      options: {
        ...TRAIN_FLAG_OPTIONS,
        threads: { type: 'string' },
        resume: { type: 'string' },
      },
      async run(pos, flags, json) {
        // tfjs's wasm backend starts its thread pool once per process: size it before training starts.
        const threads = flags.threads !== undefined ? num(flags, 'threads') : undefined;
        if (threads) await initStudentBackend({ wasmThreads: threads });
        const resume = flags.resume !== undefined ? num(flags, 'resume') : null;
        const partial: Partial<TrainConfig> = resume === null ? trainSettingsFromFlags(flags) : {};
        return withWs(pos, async (ws) => {
          // one bar per phase, so each ETA counts only its own work
          let phase = 'prepare';
          let bar = new ProgressBar('prepare');
          const onProgress = (p: JobProgress) => {
            if (p.phase === 'validate') return;
            const shown = p.phase === 'epoch-end' ? 'train' : p.phase;
            if (shown !== phase) {
              bar.done();
              phase = shown;
              bar = new ProgressBar(shown);
            }
            const m = p.metrics;
            if (m && !json && !process.stderr.isTTY)
              process.stderr.write(
                `epoch ${m.epoch}: train_loss ${m.train_loss.toFixed(4)} val_loss ${m.val_loss.toFixed(4)} val_iou ${m.val_iou.toFixed(3)} val_dice ${m.val_dice.toFixed(3)} lr ${m.lr.toExponential(2)}\n`,
              );
            bar.show(p);
          };
          const { signal, release } = interruptSignal();
          try {
            const r = await runTraining(ws, resume !== null ? { resume } : { settings: partial }, { signal, onProgress });
            bar.done();
            return r;
          } catch (e) {
            bar.done();
            if (e instanceof TrainingInterrupted) throw new Error(e.message);
            throw e;
          } finally {
            release();
          }
        });
      },
      print(result) {
        const r = result as TrainOutcome;
        console.log(
          `run ${r.runId} on ${r.backend}: ${r.epochs} epochs (${r.stopped}), best epoch ${r.best_epoch} val Dice ${r.best_val_dice.toFixed(3)}`,
        );
        if (r.test_n > 0)
          console.log(
            `test (${r.test_n} images, source resolution): IoU ${r.test_iou_mean!.toFixed(3)} ± ${r.test_iou_std!.toFixed(3)}, Dice ${r.test_dice_mean!.toFixed(3)} ± ${r.test_dice_std!.toFixed(3)} (mean ± sample std)`,
          );
      },
    },
    pretrain: {
      summary:
        'pretrain <ws> [--epochs 100 --size 224 --batch 32 --lr 1e-3 --temperature 0.5 --proj-dim 128 --jitter 0.5 --seed 1\n' +
        '           --width 64 --blocks 3,4,6,3 --decoder 256,128,64,32,16 --split <id> --device auto|cpu|cuda] | pretrain <ws> --resume <run>\n' +
        "                                          SimCLR pre-training of the student's encoder on the training images; prints runId for --init",
      options: {
        epochs: { type: 'string' },
        size: { type: 'string' },
        batch: { type: 'string' },
        lr: { type: 'string' },
        temperature: { type: 'string' },
        'proj-dim': { type: 'string' },
        jitter: { type: 'string' },
        seed: { type: 'string' },
        width: { type: 'string' },
        blocks: { type: 'string' },
        decoder: { type: 'string' },
        split: { type: 'string' },
        resume: { type: 'string' },
        ...DEVICE_OPTION,
      },
      async run(pos, flags, json) {
        const resume = flags.resume !== undefined ? num(flags, 'resume') : null;
        const train = trainSettingsFromFlags({ ...flags, epochs: undefined, batch: undefined, lr: undefined });
        const optional = (name: string) => (flags[name] !== undefined ? num(flags, name) : undefined);
        // The same settings the app sends, mapped by the one function the job uses; the split is the CLI's own.
        const settings: PretrainSettings = {
          size: train.size,
          seed: train.seed,
          device: train.device,
          width: train.model?.width,
          blocks: train.model?.blocks,
          decoder: train.model?.decoder,
          epochs: optional('epochs'),
          batch: optional('batch'),
          lr: optional('lr'),
          temperature: optional('temperature'),
          projDim: optional('proj-dim'),
          jitter: optional('jitter'),
        };
        let partial: Partial<PretrainConfig>;
        try {
          partial = { ...pretrainSettingsFromRequest(settings), ...(train.splitId !== undefined ? { splitId: train.splitId } : {}) };
        } catch (e) {
          throw new UsageError(e instanceof Error ? e.message : String(e));
        }
        return withWs(pos, async (ws) => {
          const bar = json ? null : new ProgressBar('pretrain');
          const onProgress = (p: JobProgress) => bar?.update(p.done, p.total, p.message);
          const { signal, release } = interruptSignal();
          try {
            const r = await runPretraining(ws, resume !== null ? { resume } : { settings: partial }, { signal, onProgress });
            bar?.done();
            return r;
          } catch (e) {
            bar?.done();
            if (e instanceof TrainingInterrupted) throw new Error(e.message.replace('--resume', 'apprentice pretrain <ws> --resume'));
            throw e;
          } finally {
            release();
          }
        });
      },
      print(result) {
        const r = result as { runId: number; epochs: number; nt_xent: number };
        console.log(`pre-training run ${r.runId}: ${r.epochs} epochs, NT-Xent ${r.nt_xent.toFixed(4)}; start a student from it with --init ${r.runId}`);
      },
    },
    predict: {
      summary:
        'predict <ws> --mode fast|refine [--run <id>] [--images 1,2,3] [--engine onnx|tfjs] [--teacher <model id|oracle>]\n' +
        '                                          masks at source resolution (PNG) under <ws>/exports/, with per-image latency;\n' +
        '                                          fast = the student alone, refine = student → prompts → SAM',
      options: {
        mode: { type: 'string' },
        run: { type: 'string' },
        images: { type: 'string' },
        engine: { type: 'string' },
        ...TEACHER_OPTIONS,
      },
      async run(pos, flags, json) {
        const mode = (flags.mode as string | undefined) ?? 'fast';
        if (mode !== 'fast' && mode !== 'refine') throw new UsageError(`--mode must be fast or refine (got ${mode})`);
        const engine = (flags.engine as string | undefined) ?? 'onnx';
        if (engine !== 'onnx' && engine !== 'tfjs') throw new UsageError(`--engine must be onnx or tfjs (got ${engine})`);
        const runId = flags.run !== undefined ? num(flags, 'run') : undefined;
        return withWs(pos, async (ws) => {
          const ids =
            idList(flags, 'images') ?? allImageIds(ws);
          for (const id of ids) imageRecord(ws, id); // unknown ids fail before any work
          const teacher = mode === 'refine' ? (flags.teacher !== undefined ? teacherFromFlags(flags) : latestTeacher(ws)) : null;
          const inference = await ModeInference.open(ws, { runId, engine, teacher });
          const dir = join(ws.root, 'exports', `predict-${mode}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
          const bar = json ? null : new ProgressBar('predict');
          const { signal, release } = interruptSignal();
          try {
            const images: {
              id: number;
              file: string;
              width: number;
              height: number;
              area: number;
              latency_ms: number;
              student_ms: number;
              teacher_ms: number;
            }[] = [];
            for (const id of ids) {
              signal.throwIfAborted();
              const p = await inference.predict(id, mode);
              const file = writePredictionPng(ws, dir, p);
              const r1 = (x: number) => Math.round(x * 10) / 10;
              images.push({
                id,
                file,
                width: p.mask.width,
                height: p.mask.height,
                area: p.area,
                latency_ms: r1(p.latencyMs),
                student_ms: r1(p.studentMs),
                teacher_ms: r1(p.teacherMs),
              });
              bar?.update(images.length, ids.length);
            }
            bar?.done();
            const mean = images.reduce((a, b) => a + b.latency_ms, 0) / Math.max(1, images.length);
            return { mode, engine, teacher: teacher ?? null, dir, images, ms_per_image: Math.round(mean * 10) / 10 };
          } finally {
            release();
            await inference.close();
          }
        });
      },
      print(result) {
        const r = result as { dir: string; images: unknown[]; ms_per_image: number; mode: string };
        console.log(`${r.images.length} masks written to ${r.dir} (${r.mode}, ${r.ms_per_image} ms per image)`);
      },
    },
    'export-student': {
      summary: 'export-student <ws> --run <id> out.onnx   the student as ONNX (BN folded; input NCHW ImageNet-normalised, output sigmoid)',
      options: { run: { type: 'string' } },
      async run(pos, flags) {
        const out = pos[1];
        if (!out) throw new UsageError('export-student needs an output file, e.g. student.onnx');
        const runId = num(flags, 'run');
        return withWs(pos, (ws) => {
          const model = loadStudentFromRun(ws, runId);
          const bytes = exportOnnx(model.config, model.weights, { size: model.size });
          const file = resolve(out);
          mkdirSync(dirname(file), { recursive: true });
          writeFileAtomic(file, bytes);
          return {
            runId: model.runId,
            file,
            bytes: bytes.length,
            sha256: sha256(bytes),
            input: {
              name: 'input',
              shape: ['batch', 3, model.size, model.size],
              layout: 'NCHW',
              normalization: 'ImageNet mean/std on RGB/255',
            },
            output: { name: 'probs', shape: ['batch', 1, model.size, model.size], activation: 'sigmoid' },
            params: countParams(model.config).trainable,
          };
        });
      },
    },
  };
}
