import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { encodeMaskPng } from '../imaging/mask';
import { BACKEND_ORDER, initStudentBackend, type StudentBackend } from '../student/backend';
import { exportOnnx } from '../student/onnx-export';
import { createPredictor, loadStudentFromRun, predictImages, type Engine } from '../student/predict';
import { resolveSettings, resumeStudent, trainStudent, TrainingInterrupted, type TrainProgress, type TrainResult, type TrainSettings } from '../student/train';
import type { TrainEngineSetting } from '../student/trainer';
import { countParams } from '../student/unetpp';
import { ProgressBar } from '../util/progress-bar';
import { sha256 } from '../workspace/blobs';
import { imageRecord } from '../workspace/images';
import { writeFileAtomic } from '../util/atomic-write';
import { idList, num, UsageError, withWs, type Command, type Flags } from './command';

function intList(flags: Flags, name: string, length: number): number[] | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const xs = String(v)
    .split(',')
    .map((s) => Number(s.trim()));
  if (xs.length !== length || xs.some((x) => !Number.isInteger(x) || x < 1)) throw new UsageError(`--${name} must be ${length} positive integers separated by commas (got ${String(v)})`);
  return xs;
}

function backendFlag(flags: Flags): StudentBackend | undefined {
  const v = flags.backend;
  if (v === undefined) return undefined;
  if (!BACKEND_ORDER.includes(v as StudentBackend)) throw new UsageError(`--backend must be one of ${BACKEND_ORDER.join(', ')} (got ${String(v)})`);
  return v as StudentBackend;
}

function engineFlag(flags: Flags): TrainEngineSetting {
  const v = flags.engine ?? 'auto';
  if (v !== 'auto' && v !== 'onnxruntime' && v !== 'tfjs') throw new UsageError(`--engine must be onnxruntime, tfjs or auto (got ${String(v)})`);
  return v;
}

/** Ctrl-C → abort the work (it checkpoints or stops cleanly); a second Ctrl-C exits at once. */
function sigintController(): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  let count = 0;
  const onSigint = () => {
    count += 1;
    if (count === 1) {
      process.stderr.write('\nstopping after the current batch (the last checkpoint is kept); Ctrl-C again to quit now\n');
      controller.abort();
    } else process.exit(130);
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, release: () => process.off('SIGINT', onSigint) };
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
        '           --split <id> --init-weights file --engine onnxruntime|tfjs --backend wasm|cpu --threads N] | train <ws> --resume <run>\n' +
        '                                          train the U-Net++ student (paper protocol); Ctrl-C keeps the last checkpoint',
      options: {
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
        'early-stop': { type: 'string' },
        patience: { type: 'string' },
        engine: { type: 'string' },
        backend: { type: 'string' },
        threads: { type: 'string' },
        resume: { type: 'string' },
      },
      async run(pos, flags, json) {
        const backend = backendFlag(flags);
        const threads = flags.threads !== undefined ? num(flags, 'threads') : undefined;
        if (backend || threads) await initStudentBackend({ prefer: backend, wasmThreads: threads });
        const resume = flags.resume !== undefined ? num(flags, 'resume') : null;
        let partial: Partial<TrainSettings> = {};
        if (resume === null) {
          const d = resolveSettings();
          partial = {
            maxEpochs: num(flags, 'epochs', d.maxEpochs),
            size: num(flags, 'size', d.size),
            batch: num(flags, 'batch', d.batch),
            lr: num(flags, 'lr', d.lr),
            seed: num(flags, 'seed', d.seed),
            lambda: num(flags, 'lambda', d.lambda),
            earlyStopPatience: num(flags, 'early-stop', d.earlyStopPatience),
            plateauPatience: num(flags, 'patience', d.plateauPatience),
            splitId: flags.split !== undefined ? num(flags, 'split') : null,
            initWeights: typeof flags['init-weights'] === 'string' ? resolve(flags['init-weights']) : null,
            engine: engineFlag(flags),
            model: {
              width: num(flags, 'width', d.model.width),
              blocks: intList(flags, 'blocks', 4) ?? d.model.blocks,
              decoder: intList(flags, 'decoder', 5) ?? d.model.decoder,
            },
          };
          try {
            resolveSettings(partial);
          } catch (e) {
            throw new UsageError(e instanceof Error ? e.message : String(e));
          }
        }
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
              bar.update(sessionDone, sessionTotal, `epoch ${p.epoch}/${p.maxEpochs} batch ${p.batch}/${p.batches} loss ${p.loss?.toFixed(4)}${lastVal}`, {
                run: p.runId,
                epoch: p.epoch,
                batch: p.batch,
                batches: p.batches,
                loss: p.loss,
                eta_epoch: p.etaEpoch,
                eta_run_max: p.etaRun,
              });
            } else if (p.phase === 'epoch-end' && p.metrics) {
              const m = p.metrics;
              lastVal = ` | val loss ${m.val_loss.toFixed(4)} dice ${m.val_dice.toFixed(3)}`;
              if (!json && !process.stderr.isTTY)
                process.stderr.write(`epoch ${m.epoch}: train_loss ${m.train_loss.toFixed(4)} val_loss ${m.val_loss.toFixed(4)} val_iou ${m.val_iou.toFixed(3)} val_dice ${m.val_dice.toFixed(3)} lr ${m.lr.toExponential(2)}\n`);
              bar.update(sessionDone, Math.max(sessionDone, sessionTotal), `epoch ${m.epoch} done${lastVal}`, { run: p.runId, ...m });
            } else if (p.phase === 'test') {
              enter('test');
              bar.update(p.batch, Math.max(1, p.batches), 'test images at source resolution');
            }
          };
          const { signal, release } = sigintController();
          try {
            const r =
              resume !== null ? await resumeStudent(ws, resume, { signal, onProgress }) : await trainStudent(ws, partial, { signal, onProgress });
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
        console.log(`run ${r.run} on ${r.backend}: ${r.epochs} epochs (${r.stopped}), best epoch ${r.best_epoch} val Dice ${r.best_val_dice.toFixed(3)}`);
        if (r.test_n > 0)
          console.log(
            `test (${r.test_n} images, source resolution): IoU ${r.test_iou_mean!.toFixed(3)} ± ${r.test_iou_std!.toFixed(3)}, Dice ${r.test_dice_mean!.toFixed(3)} ± ${r.test_dice_std!.toFixed(3)} (mean ± sample std)`,
          );
      },
    },
    predict: {
      summary:
        'predict <ws> --mode fast [--run <id>] [--images 1,2,3]\n                                          student masks at source resolution (PNG) under <ws>/exports/; fast = ONNX Runtime',
      options: { mode: { type: 'string' }, run: { type: 'string' }, images: { type: 'string' } },
      async run(pos, flags, json) {
        const mode = (flags.mode as string | undefined) ?? 'fast';
        if (mode !== 'fast' && mode !== 'tfjs') throw new UsageError(`--mode must be fast (ONNX Runtime) or tfjs (got ${mode})`);
        const engine: Engine = mode === 'fast' ? 'onnx' : 'tfjs';
        const runId = flags.run !== undefined ? num(flags, 'run') : undefined;
        return withWs(pos, async (ws) => {
          const model = loadStudentFromRun(ws, runId);
          const ids = idList(flags, 'images') ?? (ws.db.prepare('SELECT id FROM images ORDER BY id').all() as { id: number }[]).map((r) => r.id);
          for (const id of ids) imageRecord(ws, id); // unknown ids fail before any work
          const dir = join(ws.root, 'exports', `predict-run${model.runId}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
          mkdirSync(dir, { recursive: true });
          const bar = json ? null : new ProgressBar('predict');
          const { signal, release } = sigintController();
          const predictor = await createPredictor(model, engine);
          const t0 = performance.now();
          try {
            const written: { id: number; file: string; width: number; height: number; area: number }[] = [];
            let done = 0;
            for (const id of ids) {
              signal.throwIfAborted();
              const [p] = await predictImages(ws, predictor, [id], { signal });
              const rec = imageRecord(ws, id);
              const file = join(dir, `${id}-${basename(rec.source_path, extname(rec.source_path))}${rec.frames > 1 ? `-f${rec.frame_index + 1}` : ''}.mask.png`);
              writeFileAtomic(file, encodeMaskPng({ width: p!.width, height: p!.height, data: p!.mask }));
              let area = 0;
              for (let i = 0; i < p!.mask.length; i++) area += p!.mask[i]!;
              written.push({ id, file, width: p!.width, height: p!.height, area });
              bar?.update(++done, ids.length);
            }
            bar?.done();
            return {
              run: model.runId,
              mode,
              engine,
              size: model.size,
              dir,
              images: written,
              ms_per_image: Math.round(((performance.now() - t0) / Math.max(1, ids.length)) * 10) / 10,
            };
          } finally {
            release();
            await predictor.close();
          }
        });
      },
      print(result) {
        const r = result as { dir: string; images: unknown[]; ms_per_image: number; engine: string };
        console.log(`${r.images.length} masks written to ${r.dir} (${r.engine}, ${r.ms_per_image} ms per image)`);
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
          writeFileSync(file, bytes);
          return {
            run: model.runId,
            file,
            bytes: bytes.length,
            sha256: sha256(bytes),
            input: { name: 'input', shape: ['batch', 3, model.size, model.size], layout: 'NCHW', normalization: 'ImageNet mean/std on RGB/255' },
            output: { name: 'probs', shape: ['batch', 1, model.size, model.size], activation: 'sigmoid' },
            params: countParams(model.config).trainable,
          };
        });
      },
    },
  };
}
