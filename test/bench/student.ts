/**
 * `npm run bench -- student [--json] [--backend wasm|cpu] [--threads N] [--steps 3] [--tfjs-steps 2]
 *                           [--infer-runs 5] [--batch 8] [--size 128]`
 *
 * The default student (U-Net++ / ResNet34, 26,078,609 parameters, random He init) on this machine:
 *   train_step_ms_128_b8   one training step of the default training engine ("backend":
 *                          onnxruntime-cpu, trainer.ts) exactly as training runs it: forward in
 *                          training mode, λ·BCE + (1−λ)·Dice, all gradients, Adam, BN running
 *                          statistics, on a random 8×128×128 batch
 *   train_step_ms_128_b8_tfjs  the same step on the tfjs engine ("tfjs_backend"; --tfjs-steps 0 skips it)
 *   infer_ms_224_b1_tfjs   the tfjs predictor (conv+BN folded) on one 224×224 image, input tensor to
 *                          probabilities read back
 *   infer_ms_224_b1_onnx   the fast-mode predictor (the model exported to ONNX, onnxruntime-node CPU)
 *                          on the same input, including the NHWC→NCHW copy
 * All medians after warm-up (2 training steps, 2 inference runs). Peers on this kind of machine,
 * from ../shared/bench/README.md (PyTorch 2 threads): training step 1750 ms at 128×128 batch 8;
 * goals: training ≤ 2× PyTorch, inference ≤ 1.1× onnxruntime.
 *
 * --torch also measures the peers in the same run (needs Debian's python3-torch, see that README):
 *   torch_train_step_ms          ../shared/bench/unetpp_torch.py, 2 threads, same shape, in
 *                                rounds alternating with ours (--rounds, default 2)
 *   infer_ms_224_b1_onnx_torch   onnxruntime on the network exported by PyTorch (the README's way),
 *                                run by run alternating with our engines
 * and the ratios are then taken against those, not the README's quiet-machine figures. On a shared,
 * loaded machine only same-run ratios mean anything; load_before/after say how loaded it was.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { BACKEND_ORDER, initStudentBackend, type StudentBackend } from '../../src/main/student/backend';
import { createPredictor } from '../../src/main/student/predict';
import { createTrainer, type TrainEngine } from '../../src/main/student/trainer';
import { countParams, initWeights, RESNET34_UNETPP } from '../../src/main/student/unetpp';
import { seededRandom } from '../../src/main/util/random';

const PYTORCH_TRAIN_MS_128_B8 = 1750;
const TORCH_SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/bench/unetpp_torch.py');

/** Runs the PyTorch reference; returns the median train step at size×size, batch. */
function torchTrainMs(size: number, batch: number, steps: number): number | null {
  const r = spawnSync('/usr/bin/python3', [TORCH_SCRIPT, '--size', String(size), '--batch', String(batch), '--steps', String(steps), '--threads', '2'], {
    encoding: 'utf8',
  });
  const m = /train step .* median ([\d.]+) ms/.exec(r.stdout ?? '');
  if (!m) note(`torch reference failed: ${(r.stderr ?? '').split('\n').slice(-3).join(' ')}`);
  return m ? Number(m[1]) : null;
}

/** The PyTorch-exported network (the README's way), for onnxruntime to run beside ours. */
function torchOnnxFile(dir: string): string | null {
  const file = join(dir, 'unetpp_torch.onnx');
  spawnSync('/usr/bin/python3', [TORCH_SCRIPT, '--size', '224', '--no-bench', '--export-onnx', file], { encoding: 'utf8' });
  return existsSync(file) ? file : null;
}

function opt(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const note = (s: string) => process.stderr.write(s + '\n');

export async function run(args: string[], _json: boolean): Promise<Record<string, unknown>> {
  const backendName = opt(args, 'backend') as StudentBackend | undefined;
  if (backendName && !BACKEND_ORDER.includes(backendName)) throw new Error(`--backend: one of ${BACKEND_ORDER.join(', ')}`);
  const threads = opt(args, 'threads') ? Number(opt(args, 'threads')) : undefined;
  const steps = Number(opt(args, 'steps') ?? 3);
  const tfjsSteps = Number(opt(args, 'tfjs-steps') ?? 2);
  const inferRuns = Number(opt(args, 'infer-runs') ?? 5);
  const batch = Number(opt(args, 'batch') ?? 8);
  const size = Number(opt(args, 'size') ?? 128);
  const load0 = loadavg()[0]!;
  const withTorch = args.includes('--torch');

  const backend = await initStudentBackend({ prefer: backendName, wasmThreads: threads });
  note(`backend ${backend.name} (simd ${backend.simd}, threads ${backend.threads}); ${cpus().length} cores, load ${load0.toFixed(2)}`);
  const cfg = RESNET34_UNETPP;
  const arrays = initWeights(cfg, 1);

  // ---- training step. The machine is shared: load swings by the second, so the peers are measured
  // in alternating rounds (ours, then PyTorch's, --rounds times) and only same-run ratios are reported.
  const rounds = Number(opt(args, 'rounds') ?? (withTorch ? 2 : 1));
  const random = seededRandom(5);
  const x = Float32Array.from({ length: batch * size * size * 3 }, () => random() * 4 - 2);
  const y = Float32Array.from({ length: batch * size * size }, () => (random() > 0.8 ? 1 : 0));
  const trainMs: Record<TrainEngine, number[]> = { onnxruntime: [], tfjs: [] };
  const torchMs: number[] = [];
  const trainBackend: Record<TrainEngine, string> = { onnxruntime: '', tfjs: '' };
  const ortTrainer = steps > 0 ? await createTrainer('onnxruntime', cfg, arrays, { lr: 5e-5 }) : null;
  try {
    if (ortTrainer) {
      trainBackend.onnxruntime = ortTrainer.backend;
      for (let i = 0; i < 2; i++) await ortTrainer.step(x, y, batch, size, 0.5); // warm-up
    }
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; ortTrainer && i < steps; i++) {
        const t = performance.now();
        await ortTrainer.step(x, y, batch, size, 0.5);
        trainMs.onnxruntime.push(performance.now() - t);
      }
      note(`round ${r + 1}: onnxruntime train steps ${trainMs.onnxruntime.slice(-steps).map((v) => v.toFixed(0)).join(', ')} ms`);
      if (withTorch) {
        const tm = torchTrainMs(size, batch, steps);
        if (tm !== null) torchMs.push(tm);
        note(`round ${r + 1}: PyTorch train step (median of ${steps}): ${tm} ms`);
      }
    }
  } finally {
    await ortTrainer?.dispose();
  }
  if (tfjsSteps > 0) {
    const trainer = await createTrainer('tfjs', cfg, arrays, { lr: 5e-5 });
    trainBackend.tfjs = trainer.backend;
    try {
      for (let i = 0; i < 1 + tfjsSteps; i++) {
        const t = performance.now();
        await trainer.step(x, y, batch, size, 0.5);
        if (i >= 1) trainMs.tfjs.push(performance.now() - t);
      }
      note(`tfjs (${trainer.backend}) train steps: ${trainMs.tfjs.map((v) => v.toFixed(0)).join(', ')} ms`);
    } finally {
      await trainer.dispose();
    }
  }

  // ---- inference, 224×224, batch 1: engines interleaved run by run
  const model = { config: cfg, weights: arrays, size: 224, runId: null };
  const input = Float32Array.from({ length: 224 * 224 * 3 }, () => random() * 4 - 2);
  const infer: Record<string, number[]> = { tfjs: [], onnx: [], torch: [] };
  const tfjsP = await createPredictor(model, 'tfjs');
  const onnxP = await createPredictor(model, 'onnx');
  const dir = mkdtempSync(join(tmpdir(), 'apprentice-bench-'));
  const torchFile = withTorch ? torchOnnxFile(dir) : null;
  const torchSession = torchFile ? await ort.InferenceSession.create(torchFile, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' }) : null;
  const nchw = new ort.Tensor('float32', new Float32Array(3 * 224 * 224).fill(0.1), [1, 3, 224, 224]);
  try {
    for (let i = 0; i < 2 + inferRuns; i++) {
      const timed = async (key: string, f: () => Promise<unknown>) => {
        const t = performance.now();
        await f();
        if (i >= 2) infer[key]!.push(performance.now() - t);
      };
      await timed('tfjs', () => tfjsP.run(input, 1));
      await timed('onnx', () => onnxP.run(input, 1));
      if (torchSession) await timed('torch', () => torchSession.run({ [torchSession.inputNames[0]!]: nchw }));
    }
  } finally {
    await tfjsP.close();
    await onnxP.close();
    await torchSession?.release();
    rmSync(dir, { recursive: true, force: true });
  }
  for (const [k, v] of Object.entries(infer)) if (v.length) note(`infer ${k}: ${v.map((t) => t.toFixed(0)).join(', ')} ms`);
  const torchTrain = torchMs.length ? median(torchMs) : null;
  const torchInfer = infer.torch!.length ? median(infer.torch!) : null;

  const is128b8 = size === 128 && batch === 8;
  const train = trainMs.onnxruntime.length ? median(trainMs.onnxruntime) : NaN;
  const trainTfjs = trainMs.tfjs.length ? median(trainMs.tfjs) : NaN;
  const round = (v: number) => (Number.isFinite(v) ? Math.round(v) : null);
  return {
    backend: trainBackend.onnxruntime || null,
    params: countParams(cfg).trainable,
    train_step_ms_128_b8: is128b8 ? round(train) : null,
    train_step_ms_128_b8_tfjs: is128b8 ? round(trainTfjs) : null,
    train_step_ms: round(train),
    train_step_ms_tfjs: round(trainTfjs),
    train_shape: `${batch}x${size}x${size}`,
    train_vs_pytorch:
      Number.isFinite(train) && (torchTrain || is128b8) ? Math.round((train / (torchTrain ?? PYTORCH_TRAIN_MS_128_B8)) * 100) / 100 : null,
    pytorch_reference: torchTrain ? 'measured in this run' : 'README figure, quiet machine (1750 ms)',
    torch_train_step_ms: torchTrain !== null ? Math.round(torchTrain) : null,
    tfjs_backend: trainBackend.tfjs || backend.name,
    wasm_threads: backend.threads,
    simd: backend.simd,
    infer_ms_224_b1_tfjs: Math.round(median(infer.tfjs!) * 10) / 10,
    infer_ms_224_b1_onnx: Math.round(median(infer.onnx!) * 10) / 10,
    infer_ms_224_b1_onnx_torch: torchInfer !== null ? Math.round(torchInfer * 10) / 10 : null,
    infer_vs_onnxruntime: torchInfer !== null ? Math.round((median(infer.onnx!) / torchInfer) * 100) / 100 : null,
    runs: { rounds, train_steps_per_round: steps, train_steps_tfjs: tfjsSteps, infer: inferRuns, warmup: '2 (tfjs training: 1)' },
    load_before: Math.round(load0 * 100) / 100,
    load_after: Math.round(loadavg()[0]! * 100) / 100,
  };
}
