import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { initStudentBackend } from '../student/backend';
import { exportOnnx } from '../student/onnx-export';
import { loadStudentFromRun } from '../student/predict';
import {
  resumeStudent,
  trainStudent,
  TrainingInterrupted,
  type TrainProgress,
  type TrainResult,
  type TrainSettings,
} from '../student/train';
import { countParams } from '../student/unetpp';
import { writeFileAtomic } from '../util/atomic-write';
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

/** Refine mode without --teacher: the most recently installed SAM-family model. */
function latestTeacher(ws: Workspace): TeacherSpec {
  const models = listTeacherModels(ws);
  if (models.length === 0) throw new UsageError('refine mode needs a teacher: install one with "apprentice models add" or pass --teacher');
  return { kind: 'sam', modelId: models.at(-1)!.id };
}

function trainSummary(r: TrainResult) {
  return {
    run: r.runId,
    backend: r.backend,
    epochs: r.epochs,
    stopped: r.stopped,
    best_epoch: r.best.epoch,
    best_val_loss: r.best.valLoss,
    best_val_dice: r.best.valDice,
    best_val_iou: r.best.valIou,
    test_n: r.test?.n ?? 0,
    test_iou_mean: r.test?.iou.mean ?? null,
    test_iou_std: r.test?.iou.std ?? null,
    test_dice_mean: r.test?.dice.mean ?? null,
    test_dice_std: r.test?.dice.std ?? null,
    test_std_kind: 'sample (n-1)',
    seconds: Math.round(r.seconds),
  };
}

export function studentCommands(): Record<string, Command> {
  return {
    train: {
      summary:
        'train <ws> [--epochs 100 --size 224 --batch 8 --lr 5e-5 --seed 1 --lambda 0.5 --width 64 --blocks 3,4,6,3 --decoder 256,128,64,32,16\n' +
        '           --split <id> --init-weights file --engine onnxruntime|tfjs --device auto|cpu|cuda --threads N] | train <ws> --resume <run>\n' +
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
        const partial: Partial<TrainSettings> = resume === null ? trainSettingsFromFlags(flags) : {};
        return withWs(pos, async (ws) => {
          // one bar per phase, so each ETA counts only its own work
          let phase = 'prepare';
          let bar = new ProgressBar('prepare');
          const enter = (name: string) => {
            if (phase === name) return;
            bar.done();
            phase = name;
            bar = new ProgressBar(name);
          };
          let sessionDone = 0;
          let sessionTotal = 1;
          let firstEpoch: number | null = null;
          let lastVal = '';
          const onProgress = (p: TrainProgress) => {
            if (p.phase === 'prepare') {
              enter('prepare');
              bar.update(p.batch, Math.max(1, p.batches), 'preparing images (resize + crop, once per run)');
              return;
            }
            if (p.phase === 'train' && p.batches > 0) {
              enter('train');
              if (firstEpoch === null) firstEpoch = p.epoch;
              sessionDone = (p.epoch - firstEpoch) * p.batches + p.batch;
              sessionTotal = (p.maxEpochs - firstEpoch + 1) * p.batches;
              bar.update(
                sessionDone,
                sessionTotal,
                `epoch ${p.epoch}/${p.maxEpochs} batch ${p.batch}/${p.batches} loss ${p.loss?.toFixed(4)}${lastVal}`,
                {
                  run: p.runId,
                  epoch: p.epoch,
                  batch: p.batch,
                  batches: p.batches,
                  loss: p.loss,
                  eta_epoch: p.etaEpoch,
                  eta_run_max: p.etaRun,
                },
              );
            } else if (p.phase === 'epoch-end' && p.metrics) {
              const m = p.metrics;
              lastVal = ` | val loss ${m.val_loss.toFixed(4)} dice ${m.val_dice.toFixed(3)}`;
              if (!json && !process.stderr.isTTY)
                process.stderr.write(
                  `epoch ${m.epoch}: train_loss ${m.train_loss.toFixed(4)} val_loss ${m.val_loss.toFixed(4)} val_iou ${m.val_iou.toFixed(3)} val_dice ${m.val_dice.toFixed(3)} lr ${m.lr.toExponential(2)}\n`,
                );
              bar.update(sessionDone, Math.max(sessionDone, sessionTotal), `epoch ${m.epoch} done${lastVal}`, { run: p.runId, ...m });
            } else if (p.phase === 'test') {
              enter('test');
              bar.update(p.batch, Math.max(1, p.batches), 'test images at source resolution');
            }
          };
          const { signal, release } = interruptSignal();
          try {
            const r =
              resume !== null
                ? await resumeStudent(ws, resume, { signal, onProgress })
                : await trainStudent(ws, partial, { signal, onProgress });
            bar.done();
            return trainSummary(r);
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
        const r = result as ReturnType<typeof trainSummary>;
        console.log(
          `run ${r.run} on ${r.backend}: ${r.epochs} epochs (${r.stopped}), best epoch ${r.best_epoch} val Dice ${r.best_val_dice.toFixed(3)}`,
        );
        if (r.test_n > 0)
          console.log(
            `test (${r.test_n} images, source resolution): IoU ${r.test_iou_mean!.toFixed(3)} ± ${r.test_iou_std!.toFixed(3)}, Dice ${r.test_dice_mean!.toFixed(3)} ± ${r.test_dice_std!.toFixed(3)} (mean ± sample std)`,
          );
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
            run: model.runId,
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
