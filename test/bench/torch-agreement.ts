// `npm run -s bench -- torch-agreement [--json] [--steps 3] [--size 128] [--lr 5e-5] [--seed 1]
//                                      [--python /usr/bin/python3]`
// Implementation agreement of the default student (ResNet34 U-Net++) with the PyTorch reference
// (../shared/bench/unetpp_torch.py, the loss of torch_kvasir.py), with the same weights on the same
// batch: 8 real Kvasir pairs through the app's own import and training preprocessing (short side →
// size, centre crop, ImageNet normalisation; the first 8 training images of torch_kvasir.py's split
// of the seed), the app's He initialisation of that seed sent to PyTorch by state_dict name.
// The app side is its training engine (OrtTrainer of ort-engine.ts: `gradients`, `trainStep`,
// `evalLogits`); the training-mode logits come from the same tape ops its training graph is built of.
// Each tensor is compared by its relative error ‖app − torch‖₂ / ‖torch‖₂; printed are the largest
// per kind and the tensor it belongs to:
//   logits (training mode, before any update), loss (λ = 0.5 BCE + Dice), every parameter gradient
//   (also both sides against PyTorch in float64, and per tensor the ratio of the app's float64 error
//   to PyTorch's: deep BN networks are ill-conditioned, float32 alone moves some gradients by ~1 %),
//   after step 1 and after --steps Adam steps (lr 5e-5, the same batch each step): the weight
//   updates (w_k − w_0: the weights themselves would hide an update error behind their own size),
//   the BN running statistics and the eval-mode logits (running statistics: what validation sees).
// Needs Debian's python3-torch; without it `torch_missing` says why and nothing is compared.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createSession } from '../../src/main/onnx/device';
import { loadOrt } from '../../src/main/onnx/runtime';
import { encodeModel, ONNX_FLOAT, type ValueInfo } from '../../src/main/onnx/proto-writer';
import { channelTargets, loadSamples, normalizeInto } from '../../src/main/student/data';
import { nhwcToNchw, OrtTrainer } from '../../src/main/student/ort-engine';
import { GraphWriter, oihwShape, tapeGraph } from '../../src/main/student/ort-graph';
import { buildGraph, initWeights, paramSpecs, RESNET34_UNETPP, type UnetConfig } from '../../src/main/student/unetpp';
import { listImages } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { Workspace } from '../../src/main/workspace/workspace';
import { KVASIR_IMAGES, KVASIR_MASKS, SHARED_DATA, tempDir } from '../helpers/data';
import { torchMissing } from './kvasir';
import { torchKvasirSplit } from './kvasir-split';

const REFERENCE_DIR = join(SHARED_DATA, '..', 'bench');
const HELPER = join(dirname(fileURLToPath(import.meta.url)), 'torch_agreement.py');
const BATCH = 8;

type Tensors = Map<string, Float32Array>;

/** Tensors laid end to end in one float32 file, described by name, shape and offset (the helper's format). */
function writeTensors(file: string, tensors: Tensors, shapes: Map<string, number[]>): { name: string; shape: number[]; offset: number }[] {
  const total = [...tensors.values()].reduce((s, a) => s + a.length, 0);
  const flat = new Float32Array(total);
  const entries = [];
  let offset = 0;
  for (const [name, a] of tensors) {
    flat.set(a, offset);
    entries.push({ name, shape: shapes.get(name)!, offset });
    offset += a.length;
  }
  writeFileSync(file, flat);
  return entries;
}

function readTensors(spec: { data: string; tensors: { name: string; shape: number[]; offset: number }[] }): Tensors {
  const buf = readFileSync(spec.data);
  const flat = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const out: Tensors = new Map();
  for (const t of spec.tensors) out.set(t.name, flat.slice(t.offset, t.offset + t.shape.reduce((a, b) => a * b, 1)));
  return out;
}

/** ‖a − b‖₂ / ‖b‖₂ in float64 (‖a − b‖₂ when b is all zeros). */
export function relativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`sizes differ: ${a.length} vs ${b.length}`);
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i]! - b[i]!) ** 2;
    n += b[i]! ** 2;
  }
  return n > 0 ? Math.sqrt(d / n) : Math.sqrt(d);
}

interface Worst {
  max_rel_err: number;
  worst: string;
  median_rel_err: number;
  tensors: number;
}

function worstOf(errors: Map<string, number>): Worst {
  const sorted = [...errors].sort((a, b) => b[1] - a[1]);
  const values = sorted.map(([, e]) => e).sort((a, b) => a - b);
  return { max_rel_err: sorted[0]![1], worst: sorted[0]![0], median_rel_err: values[values.length >> 1]!, tensors: sorted.length };
}

const minus = (a: Float32Array, b: Float32Array) => Float32Array.from(a, (v, i) => v - b[i]!);

/**
 * Training-mode logits of the app's network on onnxruntime: the forward half of the training-step
 * graph (the same tape ops over the same graph builder), with nothing differentiated.
 */
async function trainModeLogits(cfg: UnetConfig, params: Tensors, xNchw: Float32Array, size: number): Promise<Float32Array> {
  const G = new GraphWriter();
  const { ops } = tapeGraph(G, cfg, BATCH);
  const logits = buildGraph(cfg, ops, { name: 'x', c: cfg.inChannels, h: size, w: size }, [size, size]);
  G.nodes.push({ op: 'Identity', name: G.fresh('out'), inputs: [logits.name], outputs: ['logits'] });
  const trainable = paramSpecs(cfg).filter((s) => s.trainable);
  const bytes = encodeModel({
    producer: 'apprentice',
    producerVersion: '0.1.0',
    opset: 17,
    name: 'unetpp_train_forward',
    nodes: G.nodes,
    initializers: G.inits,
    inputs: [
      { name: 'x', elemType: ONNX_FLOAT, shape: [BATCH, cfg.inChannels, size, size] },
      ...trainable.map((s): ValueInfo => ({ name: s.name, elemType: ONNX_FLOAT, shape: oihwShape(s.shape) })),
    ],
    outputs: [{ name: 'logits', elemType: ONNX_FLOAT, shape: [BATCH, cfg.classes, size, size] }],
  });
  const { session } = await createSession(bytes, 'cpu');
  const ort = await loadOrt();
  try {
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = { x: new ort.Tensor('float32', xNchw, [BATCH, cfg.inChannels, size, size]) };
    for (const s of trainable) feeds[s.name] = new ort.Tensor('float32', params.get(s.name)!, oihwShape(s.shape));
    return (await session.run(feeds)).logits!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** The batch: the first 8 training images of torch_kvasir.py's split, imported and prepared as training does (no augmentation). */
async function kvasirBatch(size: number, seed: number): Promise<{ x: Float32Array; y: Float32Array; stems: string[] }> {
  const all = readdirSync(KVASIR_IMAGES);
  const stems = torchKvasirSplit(all.map((f) => f.replace(/\.[^.]+$/, '')), seed).train.slice(0, BATCH);
  const ws = Workspace.open(join(tempDir('torch-agreement'), 'ws'), { create: true });
  try {
    const r = await importImages(ws, { paths: stems.map((s) => join(KVASIR_IMAGES, `${s}.jpg`)), masks: KVASIR_MASKS });
    if (r.failed.length > 0 || r.masks !== BATCH) throw new Error(`importing the batch failed: ${JSON.stringify(r.failed)}`);
    const idOf = new Map(listImages(ws).images.map((row) => [basename(row.sourcePath).replace(/\.[^.]+$/, ''), row.id]));
    const samples = loadSamples(ws, stems.map((s) => idOf.get(s)!), 'labeled', size);
    const plane = size * size;
    const x = new Float32Array(BATCH * plane * 3);
    samples.forEach((s, b) => normalizeInto(s.rgb, x, b * plane * 3));
    return { x, y: channelTargets(samples.map((s) => s.mask!), 1, plane).y, stems };
  } finally {
    ws.close();
  }
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args,
    options: {
      steps: { type: 'string', default: '3' },
      size: { type: 'string', default: '128' },
      lr: { type: 'string', default: '5e-5' },
      seed: { type: 'string', default: '1' },
      python: { type: 'string', default: '/usr/bin/python3' },
    },
  });
  const steps = Number(values.steps);
  const size = Number(values.size);
  const lr = Number(values.lr);
  const seed = Number(values.seed);
  const lambda = 0.5;
  const python = values.python!;
  if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`--steps must be a positive integer (got ${values.steps})`);
  const load = loadavg()[0]!.toFixed(2);
  const missing = torchMissing(python);
  if (missing) return { torch_missing: missing, load_before: load };

  const cfg = RESNET34_UNETPP;
  const specs = paramSpecs(cfg);
  const { x, y, stems } = await kvasirBatch(size, seed);
  const trainer = new OrtTrainer(cfg, initWeights(cfg, seed), { lr, device: 'cpu' });
  const initial: Tensors = new Map([...trainer.params].map(([k, a]) => [k, a.slice()]));

  // ---- PyTorch: the same weights (OIHW, as the trainer holds them), batch and mask
  const dir = tempDir('torch-agreement-io');
  const xNchw = nhwcToNchw(x, BATCH, size);
  const sent: Tensors = new Map([...initial, ['x', xNchw], ['y', y]]);
  const shapes = new Map([...specs.map((s) => [s.name, oihwShape(s.shape)] as const), ['x', [BATCH, 3, size, size]], ['y', [BATCH, 1, size, size]]]);
  const inFile = join(dir, 'in.json');
  const outFile = join(dir, 'out.json');
  writeFileSync(inFile, JSON.stringify({ data: join(dir, 'in.f32'), tensors: writeTensors(join(dir, 'in.f32'), sent, shapes), lr, lam: lambda, steps, threads: 2 }));
  const tTorch = Date.now();
  const py = spawnSync(python, [HELPER, REFERENCE_DIR, inFile, outFile], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (py.status !== 0) throw new Error(`torch_agreement.py failed: ${(py.stderr || py.error?.message || '').trim().split('\n').slice(-3).join(' ')}`);
  const secondsTorch = (Date.now() - tTorch) / 1000;
  const torchOut = JSON.parse(readFileSync(outFile, 'utf8')) as { torch: string; losses: number[]; data: string; tensors: { name: string; shape: number[]; offset: number }[] };
  const ref = readTensors(torchOut);

  // ---- the app's engine
  const tApp = Date.now();
  const logits = await trainModeLogits(cfg, trainer.params, xNchw, size);
  const first = await trainer.gradients(x, y, BATCH, size, lambda);
  const gradErr = new Map([...first.grads].map(([k, g]) => [k, relativeError(g, ref.get(`grad/${k}`)!)]));
  // Against float64 PyTorch: the app's error beside PyTorch's own float32 error says whether a gap is arithmetic or a bug
  const appVs64 = new Map([...first.grads].map(([k, g]) => [k, relativeError(g, ref.get(`grad64/${k}`)!)]));
  const torchVs64 = new Map([...first.grads.keys()].map((k) => [k, relativeError(ref.get(`grad/${k}`)!, ref.get(`grad64/${k}`)!)]));
  const excess = new Map([...appVs64].map(([k, e]) => [k, e / Math.max(torchVs64.get(k)!, 1e-7)]));
  const after = new Map<number, { update: Worst; bn: Worst; eval_logits_rel_err: number }>();
  const losses: number[] = [];
  for (let k = 1; k <= steps; k++) {
    losses.push(await trainer.trainStep(x, y, BATCH, size, lambda));
    if (k !== 1 && k !== steps) continue;
    const update = new Map<string, number>();
    const bn = new Map<string, number>();
    for (const s of specs) {
      const app = trainer.params.get(s.name)!;
      const theirs = ref.get(`step${k}/${s.name}`)!;
      if (s.trainable) update.set(s.name, relativeError(minus(app, initial.get(s.name)!), minus(theirs, initial.get(s.name)!)));
      else bn.set(s.name, relativeError(app, theirs));
    }
    const evalLogits = await trainer.evalLogits(x, BATCH, size);
    after.set(k, { update: worstOf(update), bn: worstOf(bn), eval_logits_rel_err: relativeError(evalLogits, ref.get(`eval${k}`)!) });
  }
  const secondsApp = (Date.now() - tApp) / 1000;
  await trainer.dispose();

  const lossRel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
  const grads = worstOf(gradErr);
  return {
    images: stems,
    size,
    batch: BATCH,
    lr,
    steps,
    torch: torchOut.torch,
    logits_rel_err: relativeError(logits, ref.get('logits')!),
    loss_app: first.loss,
    loss_torch: torchOut.losses[0],
    loss_rel_err: lossRel(first.loss, torchOut.losses[0]!),
    losses_app: losses,
    losses_torch: torchOut.losses,
    grad: grads,
    grad_app_vs_f64: worstOf(appVs64),
    grad_torch_vs_f64: worstOf(torchVs64),
    /** Per tensor, the app's float64 error over PyTorch's: about 1 when both err by float32 arithmetic alone. */
    grad_error_ratio_vs_torch: worstOf(excess),
    /** Every gradient in paramSpecs order (input to head): [tensor, app vs float64, PyTorch float32 vs float64]. */
    grad_by_tensor: [...appVs64].map(([k, e]) => [k, e, torchVs64.get(k)!]),
    grad_worst5: [...gradErr].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k, e]) => ({ tensor: k, rel_err: e })),
    ...Object.fromEntries([...after].map(([k, v]) => [`step${k}`, v])),
    seconds_app: secondsApp,
    seconds_torch: secondsTorch,
    load_before: load,
    load_after: loadavg()[0]!.toFixed(2),
  };
}
