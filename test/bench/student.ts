/**
 * `npm run bench -- student [--json] [--sizes 128,224] [--batch 8] [--steps 3] [--rounds 2]
 *                           [--no-torch] [--epochs 5] [--epoch-steps 2] [--infer-runs 10]
 *                           [--tfjs-steps 0] [--threads N]`
 *
 * The default student (U-Net++ / ResNet34, 26,078,609 parameters, random He init) beside its peers,
 * measured in the same run on this machine:
 *   train_step_ms_<S>_b8        one training step of the default engine (onnxruntime, trainer.ts)
 *                               exactly as training runs it: forward in training mode,
 *                               λ·BCE + (1−λ)·Dice, all gradients, Adam, BN running statistics, on a
 *                               random 8×S×S batch; median of every timed step, and its range
 *   torch_train_step_ms_<S>_b8  ../shared/bench/unetpp_torch.py (Debian's python3-torch, 2 threads,
 *                               Adam, BCE + Dice) at the same shape, in rounds alternating with ours
 *   train_vs_pytorch_<S>        the ratio of those medians (goal ≤ 1.0)
 *   update_ms                   the part of a step spent in JavaScript after the graph: Adam in place
 *                               on all weights and the refresh of the flipped conv weights, measured
 *                               alone on arrays of the model's sizes
 *   peak_rss_mb_<S>             the process's peak RSS after training at the largest size
 *   rss_mb_per_epoch, rss_drift_mb  RSS after each of --epochs small epochs at the largest size
 *                               (--epoch-steps steps and one eval batch each), each after a full GC;
 *                               drift = last − first (and from the 2nd epoch, past the eval session's
 *                               creation); torch_peak_rss_mb_<S> is the reference process's peak
 *   infer_ms_224_b1_onnx        the fast-mode predictor (our ONNX export on onnxruntime-node, CPU),
 *                               one 224×224 image, NHWC→NCHW copy included
 *   infer_ms_224_b1_bare        a bare onnxruntime session (the app's session options) on the same
 *                               exported graph, fed a ready NCHW tensor; infer_vs_bare_onnxruntime
 *                               is the ratio (goal ≤ 1.0)
 *   infer_ms_224_b1_onnx_torch  bare onnxruntime on the network exported by PyTorch (when available)
 * The machine is shared and its load swings by the second: only same-run ratios mean anything, and
 * load_before/after say how loaded it was. --tfjs-steps N adds the tfjs engine's step at the first size.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import ort from 'onnxruntime-node';
import { adamUpdateArray } from '../../src/main/student/adam';
import { exportOnnx } from '../../src/main/student/onnx-export';
import { flipTransposeInto, oihwShape } from '../../src/main/student/ort-graph';
import { createPredictor } from '../../src/main/student/predict';
import { createTrainer, type StudentTrainer } from '../../src/main/student/trainer';
import { countParams, initWeights, paramSpecs, RESNET34_UNETPP } from '../../src/main/student/unetpp';
import { seededRandom } from '../../src/main/util/random';
import { sessionOptions } from '../../src/main/onnx/session-options';

const TORCH_SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/bench/unetpp_torch.py');
const PYTHON = '/usr/bin/python3';

function torchAvailable(): string | null {
  if (!existsSync(TORCH_SCRIPT)) return `${TORCH_SCRIPT} missing`;
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  return r.status === 0 ? null : 'python3-torch not installed (see ../shared/bench/README.md)';
}

// Runs the reference script as its own __main__ and then prints the process's peak RSS (kB on Linux).
const WITH_PEAK_RSS = `import resource, runpy, sys
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
print("peak_rss_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)`;

/** The PyTorch reference's median train step at size×size, batch, and the peak RSS of its process. */
function torchTrain(size: number, batch: number, steps: number): { ms: number; peakRssMb: number | null } | null {
  const r = spawnSync(PYTHON, ['-c', WITH_PEAK_RSS, TORCH_SCRIPT, '--size', String(size), '--batch', String(batch), '--steps', String(steps), '--threads', '2'], {
    encoding: 'utf8',
  });
  const m = /train step .* median ([\d.]+) ms/.exec(r.stdout ?? '');
  if (!m) note(`torch reference failed: ${(r.stderr ?? '').split('\n').slice(-3).join(' ')}`);
  const rss = /peak_rss_kb (\d+)/.exec(r.stdout ?? '');
  return m ? { ms: Number(m[1]), peakRssMb: rss ? mb(Number(rss[1]) * 1024) : null } : null;
}

/** The PyTorch-exported network (the README's way), for onnxruntime to run beside ours. */
function torchOnnxFile(dir: string): string | null {
  const file = join(dir, 'unetpp_torch.onnx');
  spawnSync(PYTHON, [TORCH_SCRIPT, '--size', '224', '--no-bench', '--export-onnx', file], { encoding: 'utf8' });
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

// RSS is sampled after a full collection, so drift is memory kept, not garbage not yet collected.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

const note = (s: string) => process.stderr.write(s + '\n');
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
const round = (v: number | null, digits = 0) => (v !== null && Number.isFinite(v) ? Math.round(v * 10 ** digits) / 10 ** digits : null);

function randomBatch(batch: number, size: number, seed: number): { x: Float32Array; y: Float32Array } {
  const random = seededRandom(seed);
  return {
    x: Float32Array.from({ length: batch * size * size * 3 }, () => random() * 4 - 2),
    y: Float32Array.from({ length: batch * size * size }, () => (random() > 0.8 ? 1 : 0)),
  };
}

async function timedSteps(trainer: StudentTrainer, x: Float32Array, y: Float32Array, batch: number, size: number, steps: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    await trainer.step(x, y, batch, size, 0.5);
    ms.push(performance.now() - t);
  }
  return ms;
}

/** What a step spends in JavaScript after the graph (ort-engine.ts): Adam on every weight, then the flipped copies. */
function updateMs(runs: number): number {
  const specs = paramSpecs(RESNET34_UNETPP).filter((s) => s.trainable);
  const arrays = specs.map((s) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    return { s, p: new Float32Array(n).fill(0.01), g: new Float32Array(n).fill(1e-3), m: new Float32Array(n), v: new Float32Array(n), f: s.shape.length === 4 ? new Float32Array(n) : null };
  });
  const ms: number[] = [];
  for (let r = 1; r <= runs + 1; r++) {
    const t = performance.now();
    for (const a of arrays) adamUpdateArray(a.p, a.g, a.m, a.v, r, { lr: 5e-5, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    for (const a of arrays) if (a.f) flipTransposeInto(a.f, a.p, oihwShape(a.s.shape));
    if (r > 1) ms.push(performance.now() - t);
  }
  return median(ms);
}

export async function run(args: string[], _json: boolean): Promise<Record<string, unknown>> {
  const threads = opt(args, 'threads') ? Number(opt(args, 'threads')) : undefined;
  const sizes = (opt(args, 'sizes') ?? '128,224').split(',').map(Number);
  const batch = Number(opt(args, 'batch') ?? 8);
  const steps = Number(opt(args, 'steps') ?? 3);
  const rounds = Number(opt(args, 'rounds') ?? 2);
  const epochs = Number(opt(args, 'epochs') ?? 5);
  const epochSteps = Number(opt(args, 'epoch-steps') ?? 2);
  const inferRuns = Number(opt(args, 'infer-runs') ?? 10);
  const tfjsSteps = Number(opt(args, 'tfjs-steps') ?? 0);
  const torchMissing = args.includes('--no-torch') ? 'skipped (--no-torch)' : torchAvailable();
  const load0 = loadavg()[0]!;
  note(`${cpus().length} cores, load ${load0.toFixed(2)}; PyTorch reference: ${torchMissing ?? 'measured in this run'}`);
  const cfg = RESNET34_UNETPP;
  const arrays = initWeights(cfg, 1);
  const out: Record<string, unknown> = { params: countParams(cfg).trainable, batch, pytorch_reference: torchMissing ?? 'measured in this run' };

  // ---- training steps: ours and PyTorch's in alternating rounds, per size
  let backend = '';
  const last = sizes[sizes.length - 1]!;
  for (const size of sizes) {
    const { x, y } = randomBatch(batch, size, 5);
    const trainer = await createTrainer('onnxruntime', cfg, arrays, { lr: 5e-5, threads });
    backend = trainer.backend;
    const ours: number[] = [];
    const torch: number[] = [];
    let torchPeakRss: number | null = null;
    try {
      await timedSteps(trainer, x, y, batch, size, 2); // warm-up: session build, arena growth
      for (let r = 0; r < rounds; r++) {
        const ms = await timedSteps(trainer, x, y, batch, size, steps);
        ours.push(...ms);
        note(`${size}² round ${r + 1}: onnxruntime train steps ${ms.map((v) => v.toFixed(0)).join(', ')} ms`);
        if (!torchMissing) {
          const tm = torchTrain(size, batch, steps);
          if (tm) {
            torch.push(tm.ms);
            torchPeakRss = Math.max(torchPeakRss ?? 0, tm.peakRssMb ?? 0) || null;
          }
          note(`${size}² round ${r + 1}: PyTorch train step (median of ${steps}): ${tm?.ms} ms`);
        }
      }
      if (size === last) {
        out[`peak_rss_mb_${size}`] = mb(process.resourceUsage().maxRSS * 1024);
        out[`torch_peak_rss_mb_${size}`] = torchPeakRss;
        // small epochs at this size: steps and an eval batch each, RSS after every epoch
        const rss: number[] = [];
        for (let e = 0; e < epochs; e++) {
          await timedSteps(trainer, x, y, batch, size, epochSteps);
          await trainer.evalLogits(x, batch, size);
          collect();
          rss.push(mb(process.memoryUsage().rss));
        }
        note(`RSS after each of ${epochs} epochs at ${size}²: ${rss.join(', ')} MB`);
        out.rss_mb_per_epoch = rss;
        out.rss_drift_mb = rss.length ? rss[rss.length - 1]! - rss[0]! : null;
        // the first epoch also opens the eval session and grows onnxruntime's arena to its peak
        out.rss_drift_after_epoch1_mb = rss.length > 1 ? rss[rss.length - 1]! - rss[1]! : null;
        out.peak_rss_mb_after_epochs = mb(process.resourceUsage().maxRSS * 1024);
      }
    } finally {
      await trainer.dispose();
    }
    const mine = median(ours);
    const theirs = torch.length ? median(torch) : null;
    out[`train_step_ms_${size}_b${batch}`] = round(mine);
    out[`train_step_ms_${size}_b${batch}_range`] = [round(Math.min(...ours)), round(Math.max(...ours))];
    out[`torch_train_step_ms_${size}_b${batch}`] = round(theirs);
    out[`torch_train_step_ms_${size}_b${batch}_runs`] = torch.map((v) => round(v));
    out[`train_vs_pytorch_${size}`] = theirs ? round(mine / theirs, 2) : null;
  }
  out.backend = backend;
  out.update_ms = round(updateMs(3));

  if (tfjsSteps > 0) {
    const size = sizes[0]!;
    const { x, y } = randomBatch(batch, size, 5);
    const trainer = await createTrainer('tfjs', cfg, arrays, { lr: 5e-5 });
    try {
      await timedSteps(trainer, x, y, batch, size, 1);
      out[`train_step_ms_${size}_b${batch}_tfjs`] = round(median(await timedSteps(trainer, x, y, batch, size, tfjsSteps)));
      out.tfjs_backend = trainer.backend;
    } finally {
      await trainer.dispose();
    }
  }

  // ---- inference, 224×224, batch 1: the predictor, bare onnxruntime on the same graph, and on PyTorch's export; run by run interleaved
  const random = seededRandom(6);
  const model = { config: cfg, weights: arrays, size: 224, runId: null };
  const input = Float32Array.from({ length: 224 * 224 * 3 }, () => random() * 4 - 2);
  const infer: Record<string, number[]> = { onnx: [], bare: [], torch: [] };
  const predictor = await createPredictor(model, 'onnx', { intraOpThreads: threads });
  // The app's own session options (as the teacher bench does): the comparison is about the
  // predictor around the run, not about onnxruntime settings such as its spinning policy.
  const bareOptions = sessionOptions('cpu', { threads });
  const bare = await ort.InferenceSession.create(exportOnnx(cfg, arrays, { size: 224 }), bareOptions);
  const dir = mkdtempSync(join(tmpdir(), 'apprentice-bench-'));
  const torchFile = torchMissing ? null : torchOnnxFile(dir);
  const torchSession = torchFile ? await ort.InferenceSession.create(torchFile, bareOptions) : null;
  const nchw = new ort.Tensor('float32', new Float32Array(3 * 224 * 224).fill(0.1), [1, 3, 224, 224]);
  // In blocks, one engine at a time (2 rounds), each block's first run untimed: a session whose
  // threads still spin after its run would otherwise slow whichever engine runs next.
  const engines: [string, () => Promise<unknown>][] = [
    ['onnx', () => predictor.run(input, 1)],
    ['bare', () => bare.run({ [bare.inputNames[0]!]: nchw })],
    ...(torchSession ? [['torch', () => torchSession.run({ [torchSession.inputNames[0]!]: nchw })] as [string, () => Promise<unknown>]] : []),
  ];
  try {
    for (let round = 0; round < 2; round++)
      for (const [key, f] of engines)
        for (let i = 0; i < 1 + inferRuns; i++) {
          const t = performance.now();
          await f();
          if (i >= 1) infer[key]!.push(performance.now() - t);
        }
  } finally {
    await predictor.close();
    await bare.release();
    await torchSession?.release();
    rmSync(dir, { recursive: true, force: true });
  }
  for (const [k, v] of Object.entries(infer)) if (v.length) note(`infer ${k}: ${v.map((t) => t.toFixed(0)).join(', ')} ms`);
  const m = (k: string) => (infer[k]!.length ? median(infer[k]!) : null);
  out.infer_ms_224_b1_onnx = round(m('onnx'), 1);
  out.infer_ms_224_b1_bare = round(m('bare'), 1);
  out.infer_vs_bare_onnxruntime = round(m('onnx')! / m('bare')!, 2);
  out.infer_ms_224_b1_onnx_torch = round(m('torch'), 1);
  out.infer_vs_torch_export = m('torch') ? round(m('onnx')! / m('torch')!, 2) : null;
  out.runs = { rounds, train_steps_per_round: steps, warmup_steps: 2, epochs, epoch_steps: epochSteps, infer: `2 blocks of 1 + ${inferRuns} per engine` };
  out.load_before = round(load0, 2);
  out.load_after = round(loadavg()[0]!, 2);
  out.gpu = 'unmeasured (no GPU here)';
  return out;
}
