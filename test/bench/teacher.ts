/**
 * `npm run bench -- teacher [--json] [--encoder E.onnx --decoder D.onnx [--family sam|mobilesam|medsam]]`
 *
 * How much the app's teacher pipeline adds on top of onnxruntime itself, on a real image (the first
 * Kvasir-SEG image from ../shared/data), in a temporary workspace:
 *
 *   encoder_ms         the app's embedding computation (`imageEmbedding` on a cache miss: image
 *                      decode, preprocessing, encoder run, handing the embedding to the cache; the
 *                      cache's disk write goes on in the background and is waited for, untimed,
 *                      before the bare run: encoder_breakdown.cache_write_background_ms)
 *   encoder_raw_ms     a bare `InferenceSession.run` of the same encoder on the already-preprocessed tensor
 *   decoder_ms         the app's decode of one box + points prompt from a cached embedding: the part of
 *                      a `segmentImage` call after the embedding lookup (feeds, decoder run, mask at
 *                      source resolution, union)
 *   decoder_raw_ms     a bare `InferenceSession.run` of the decoder with the same feeds
 *   cached_segment_ms  a whole `segmentImage` call on the image whose embedding is cached
 *
 * Medians of --runs encoder / --decoder-runs decoder runs after --warmup / --decoder-warmup warm-up
 * runs; pipeline and bare runs alternate (in alternating order, each after a short idle pause),
 * so load from other processes hits both alike. The bare sessions are opened on the same blob files with the options
 * src/main/onnx/session-options.ts gives (graph optimisation 'all', the device the app's session got); with a user's
 * model that means two copies of each part in memory.
 * Goal: pipeline overhead ≤ 5 % on the encoder and ≤ 20 % on the decoder; a whole cached segment
 * call ≤ 1.5× the bare decoder run (cached_segment_vs_bare_decoder).
 *
 * encoder_breakdown / decoder_breakdown say where the extra time goes: the pipeline's own session
 * runs are timed from inside (the encoder thread times its run; the decoder session's `run` is
 * wrapped), and the encoder's other steps (image decode, whole preprocessing, cache write) are timed
 * one by one on the same image. The encoder runs on the app's encoder thread (encoder-thread.ts),
 * so the pipeline includes handing the pixels over and the embedding back.
 *
 * Without --encoder/--decoder the teacher is a real-size fixture pair: the encoder fixture from
 * test/fixtures/tinyvit-encoder-fixture.ts (MobileSAM's image-encoder architecture, TinyViT-5M at
 * 1024², with SAM's exact I/O and random weights: the smallest real SAM-family encoder) and the
 * decoder fixture from test/fixtures/heavy-decoder-fixture.ts (SAM's prompt encoder and mask decoder,
 * ≈ 4 M parameters). --blocks / --channels switch the encoder to the plain conv fixture of
 * test/fixtures/heavy-encoder-fixture.ts at that size (17 GMAC by default, ~6× lighter in run time
 * than TinyViT here; --blocks 0 is a ~1 GMAC shape check for tests).
 *
 * Other options: --image FILE (default: the first Kvasir-SEG image), --device auto|cpu|cuda
 * (default: the app's, APPRENTICE_DEVICE or auto), --keep (keep the temp workspace).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { teacherFrame, toFrame, type Box, type Frame } from '../../src/main/imaging/geometry/frames';
import { familySpec } from '../../src/main/teacher/families';
import { EmbeddingCache, embeddingKeyId, flushEmbeddingWrites, type Embedding, type EmbeddingKey, type EmbeddingLookup } from '../../src/main/teacher/embeddings';
import { layoutRecipe, preprocessForLayout, withInputArena } from '../../src/main/teacher/preprocess';
import { storedLayout } from '../../src/main/teacher/layouts';
import { defaultDevice, parseDevice, type Device } from '../../src/main/onnx/device';
import { loadOrt, type Ort } from '../../src/main/onnx/runtime';
import { sessionOptions } from '../../src/main/onnx/session-options';
import { addTeacherModel, teacherPartPath, teacherPartSha, type TeacherModel } from '../../src/main/teacher/registry';
import { imageEmbedding, lowResToMask, releaseTeacherSessions, segmentImage, type UserPrompt } from '../../src/main/teacher/segment';
import { imageRecord, listImages, loadModelRgb } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { Workspace } from '../../src/main/workspace/workspace';
import { writeHeavyEncoderFixture } from '../fixtures/heavy-encoder-fixture';
import { writeTinyVitEncoderFixture } from '../fixtures/tinyvit-encoder-fixture';
import { writeHeavyDecoderFixture } from '../fixtures/heavy-decoder-fixture';
import { KVASIR_IMAGES } from '../helpers/data';

/** Pipeline overhead goals, in percent over the bare onnxruntime call. */
export const ENCODER_OVERHEAD_GOAL_PCT = 5;
export const DECODER_OVERHEAD_GOAL_PCT = 20;
/** A whole cached `segmentImage` call at most this × a bare decoder run. */
export const CACHED_SEGMENT_GOAL_RATIO = 1.5;

interface Options {
  encoder?: string;
  decoder?: string;
  family: string;
  image?: string;
  runs: number;
  warmup: number;
  decoderRuns: number;
  decoderWarmup: number;
  blocks?: number;
  channels?: number;
  device: Device;
  keep: boolean;
}

/** The encoder fixture: MobileSAM's architecture, or the plain conv fixture when --blocks/--channels size one. */
function encoderFixture(dir: string, o: Options): { kind: 'tinyvit' | 'heavy-conv'; path: string; gmacs: number; bytes: number } {
  if (o.blocks === undefined && o.channels === undefined) return { kind: 'tinyvit', ...writeTinyVitEncoderFixture(dir) };
  return { kind: 'heavy-conv', ...writeHeavyEncoderFixture(dir, { blocks: o.blocks, channels: o.channels }) };
}

function parseArgs(args: string[]): Options {
  const o: Options = {
    family: 'sam',
    runs: 5,
    warmup: 1,
    decoderRuns: 30,
    decoderWarmup: 5,
    device: defaultDevice(),
    keep: false,
  };
  const int = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${flag} takes a whole number ≥ ${min} (got ${v ?? 'nothing'})`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--encoder':
        o.encoder = next();
        break;
      case '--decoder':
        o.decoder = next();
        break;
      case '--family':
        o.family = next();
        break;
      case '--image':
        o.image = next();
        break;
      case '--runs':
        o.runs = int(a, next(), 1);
        break;
      case '--warmup':
        o.warmup = int(a, next(), 0);
        break;
      case '--decoder-runs':
        o.decoderRuns = int(a, next(), 1);
        break;
      case '--decoder-warmup':
        o.decoderWarmup = int(a, next(), 0);
        break;
      case '--blocks':
        o.blocks = int(a, next(), 0);
        break;
      case '--channels':
        o.channels = int(a, next(), 1);
        break;
      case '--device':
        o.device = parseDevice(next());
        break;
      case '--keep':
        o.keep = true;
        break;
      default:
        throw new Error(
          `unknown option ${a} (teacher bench: --encoder E --decoder D --family F --image FILE --runs N --warmup N --decoder-runs N --decoder-warmup N --blocks N --channels N --device D --keep)`,
        );
    }
  }
  if (!!o.encoder !== !!o.decoder) throw new Error('give both --encoder and --decoder, or neither (fixture teacher)');
  return o;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const round = (v: number, digits = 3) => Number(v.toFixed(digits));
const note = (s: string) => process.stderr.write(`[bench teacher] ${s}\n`);

/** An EmbeddingCache that notes when each lookup returned: splits a segmentImage call in two. */
class MarkingCache extends EmbeddingCache {
  lastReturn = 0;
  override async get(ws: Workspace, key: EmbeddingKey, compute: () => Promise<Embedding>): Promise<EmbeddingLookup> {
    const r = await super.get(ws, key, compute);
    this.lastReturn = performance.now();
    return r;
  }
}

/**
 * Wraps a session's `run` so each call's duration (and when it started and ended) is recorded: the
 * pipeline's own sessions are timed from inside the pipeline without touching its code.
 */
function timeRuns(session: Ort.InferenceSession): { start: number; end: number; ms: number[] } {
  const marks = { start: 0, end: 0, ms: [] as number[] };
  const original = session.run.bind(session) as (...a: unknown[]) => Promise<Ort.InferenceSession.ReturnType>;
  (session as { run: unknown }).run = async (...a: unknown[]) => {
    marks.start = performance.now();
    const r = await original(...a);
    marks.end = performance.now();
    marks.ms.push(marks.end - marks.start);
    return r;
  };
  return marks;
}

/**
 * The JS work segment.ts does after a decoder run, replicated for diagnosis only: the first mask at
 * source size (thresholded `masks`, or upscaled `low_res_masks`), united into a fresh mask, its area.
 */
function maskSteps(out: Ort.InferenceSession.ReturnType, frame: Frame, width: number, height: number, fromMasks: boolean): number {
  const plane = width * height;
  const [, , mh, mw] = out.masks!.dims;
  let data: Uint8Array;
  if (fromMasks && mh === height && mw === width) {
    const logits = out.masks!.data as Float32Array;
    data = new Uint8Array(plane);
    for (let i = 0; i < plane; i++) data[i] = logits[i]! > 0 ? 1 : 0;
  } else {
    data = lowResToMask(out.low_res_masks!.data as Float32Array, 0, frame, width, height).data;
  }
  const union = new Uint8Array(plane);
  for (let i = 0; i < plane; i++) union[i]! |= data[i]!;
  let area = 0;
  for (let i = 0; i < plane; i++) area += union[i]!;
  return area;
}

/**
 * Removes a stored embedding (index entry and blob) so the next lookup really runs the encoder,
 * after the cache's background write of it has finished (it would otherwise land afterwards).
 */
async function forgetEmbedding(ws: Workspace, key: EmbeddingKey): Promise<void> {
  await flushEmbeddingWrites();
  const index = join(ws.blobs.root, 'teacher-embeddings', `${embeddingKeyId(key)}.json`);
  if (existsSync(index)) {
    try {
      const entry = JSON.parse(readFileSync(index, 'utf8')) as { blob?: string };
      if (entry.blob && /^[0-9a-f]{64}$/.test(entry.blob)) rmSync(ws.blobs.path(entry.blob), { force: true });
    } catch {
      /* the index goes anyway */
    }
    rmSync(index, { force: true });
  }
}

/**
 * A short idle pause before each timed call: onnxruntime's intra-op threads spin for a while after a
 * run, and on a small machine a run that starts while another session's threads still spin is
 * slowed — whichever of pipeline / bare came second would pay for the first.
 */
const settle = (ms = 20) => new Promise<void>((r) => setTimeout(r, ms));

async function time<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

export async function run(args: string[], json: boolean): Promise<Record<string, unknown>> {
  const o = parseArgs(args);
  void json; // the dispatcher prints the result; progress notes always go to stderr
  const ort = await loadOrt();
  const imageFile = resolve(o.image ?? firstKvasirImage());
  const dir = mkdtempSync(join(tmpdir(), 'apprentice-bench-teacher-'));
  const sessions: Ort.InferenceSession[] = [];
  let ws: Workspace | null = null;
  try {
    ws = Workspace.open(join(dir, 'ws'), { create: true });
    const imported = await importImages(ws, { paths: [imageFile] });
    if (imported.failed.length) throw new Error(`could not import ${imageFile}: ${imported.failed.map((f) => f.error).join('; ')}`);
    const image = listImages(ws).images[0]!;
    const rec = imageRecord(ws, image.id);

    // The teacher: the user's pair, or the fixture pair.
    let teacherInfo: Record<string, unknown>;
    let model: TeacherModel;
    if (o.encoder && o.decoder) {
      model = await addTeacherModel(ws, { encoder: o.encoder, decoder: o.decoder, family: o.family, name: 'bench' });
      teacherInfo = { kind: 'user', family: model.family, encoder: resolve(o.encoder), decoder: resolve(o.decoder) };
    } else {
      if (o.family !== 'sam' && o.family !== 'mobilesam')
        throw new Error(`the fixture teacher is SAM-framed (family sam or mobilesam); got --family ${o.family}`);
      const fx = join(dir, 'fixtures');
      const t = performance.now();
      const encoder = encoderFixture(fx, o);
      const decoder = writeHeavyDecoderFixture(fx);
      note(
        `fixture teacher: ${encoder.kind} encoder fixture ${encoder.gmacs.toFixed(2)} GMACs, ${(encoder.bytes / 1e6).toFixed(1)} MB + heavy decoder fixture ${(decoder.parameters / 1e6).toFixed(2)} M parameters (built in ${(performance.now() - t).toFixed(0)} ms)`,
      );
      model = await addTeacherModel(ws, { encoder: encoder.path, decoder: decoder.path, family: o.family, name: 'bench fixture' });
      teacherInfo = {
        kind: 'fixture',
        family: model.family,
        encoder: `${encoder.kind}-encoder-fixture ${basename(encoder.path)}`,
        encoder_gmacs: round(encoder.gmacs, 2),
        decoder: `heavy-decoder-fixture ${basename(decoder.path)}`,
        decoder_parameters_m: round(decoder.parameters / 1e6, 2),
      };
    }
    const iface = model.interface;
    const key: EmbeddingKey = {
      imageSha256: rec.sha256,
      frameIndex: rec.frame_index,
      encoderSha256: teacherPartSha(model, 'encoder'),
      recipe: layoutRecipe(storedLayout(iface), model.family, iface.encoder),
    };
    const segOpts = { modelId: model.id, device: o.device };

    // ---- encoder ------------------------------------------------------------------------------
    // Bare session on the same blob file, with the options the app uses (onnx/session-options.ts).
    const first = await imageEmbedding(ws, image.id, { ...segOpts, cache: new EmbeddingCache() });
    if (!first.encoder) throw new Error('expected the first lookup to run the encoder');
    const device = first.encoder.device;
    // Bare sessions get the app's own session options: the comparison is about the pipeline around
    // the run, not about ORT settings.
    const bareOptions = sessionOptions(device);
    const rawEnc = await ort.InferenceSession.create(teacherPartPath(ws, model, 'encoder'), bareOptions);
    sessions.push(rawEnc);
    const rgb = loadModelRgb(ws, image.id);
    const input = preprocessForLayout(rgb, storedLayout(iface), model.family, iface.encoder);
    const encTensor =
      input.type === 'uint8'
        ? new ort.Tensor('uint8', input.data as Uint8Array, input.dims)
        : new ort.Tensor('float32', input.data as Float32Array, input.dims);
    const encFeeds = { [iface.encoder.input]: encTensor };
    note(`image ${basename(imageFile)} ${rec.width}×${rec.height}; device ${device}; encoder ${o.warmup} warm-up + ${o.runs} runs`);

    const enc = { pipeline: [] as number[], raw: [] as number[], run: [] as number[] };
    let encRun = 0; // the pipeline's own session run, as the encoder thread timed it
    for (let i = 0; i < o.warmup + o.runs; i++) {
      const pipeline = async () => {
        await forgetEmbedding(ws!, key);
        await settle();
        const p = await time(() => imageEmbedding(ws!, image.id, { ...segOpts, cache: new EmbeddingCache() }));
        if (p.value.embedding.source !== 'encoder' || !p.value.encoder)
          throw new Error(`expected a cache miss, got an embedding from ${p.value.embedding.source}`);
        encRun = p.value.encoder.runMs;
        // The cache's background write (hash, blob, index) ends before the bare run starts: it
        // must not slow the bare side (it is timed on its own below, cache_write_background_ms).
        await flushEmbeddingWrites();
        return p.ms;
      };
      const bare = async () => {
        await settle();
        return (await time(() => rawEnc.run(encFeeds))).ms;
      };
      // Alternating order: neither side always runs first.
      let pm: number, rm: number;
      if (i % 2 === 0) {
        pm = await pipeline();
        rm = await bare();
      } else {
        rm = await bare();
        pm = await pipeline();
      }
      if (i < o.warmup) continue;
      enc.pipeline.push(pm);
      enc.raw.push(rm);
      enc.run.push(encRun);
    }

    // Where the encoder pipeline's extra time goes: its steps, timed one by one.
    const steps = {
      decode: [] as number[],
      preprocess: [] as number[],
      cacheWrite: [] as number[],
      cacheWriteBackground: [] as number[],
      cacheKey: [] as number[],
    };
    const emb = first.embedding;
    for (let i = 0; i < Math.max(3, o.runs); i++) {
      steps.decode.push((await time(() => loadModelRgb(ws!, image.id))).ms);
      // In a reused arena, as the pipeline does (withInputArena): fresh 12 MB planes would add page faults it never pays.
      steps.preprocess.push((await withInputArena(async (arena) => time(() => preprocessForLayout(rgb, storedLayout(iface), model.family, iface.encoder, arena)))).ms);
      // The cache write: what the lookup itself spends storing the 4 MB embedding, and the
      // background write after it (SHA-256 off the main thread, blob, index entry).
      await forgetEmbedding(ws, key);
      const c = new EmbeddingCache();
      steps.cacheWrite.push((await time(() => c.get(ws!, key, async () => ({ data: emb.data, dims: emb.dims })))).ms);
      steps.cacheWriteBackground.push((await time(() => flushEmbeddingWrites())).ms);
      steps.cacheKey.push((await time(() => embeddingKeyId(key))).ms);
    }

    // ---- decoder ------------------------------------------------------------------------------
    const cache = new MarkingCache();
    await imageEmbedding(ws, image.id, { ...segOpts, cache }); // cached on disk → now in memory too
    const box: Box = {
      x0: Math.round(rec.width * 0.25),
      y0: Math.round(rec.height * 0.3),
      x1: Math.round(rec.width * 0.7),
      y1: Math.round(rec.height * 0.75),
    };
    const prompt: UserPrompt = {
      box,
      points: [
        { x: (box.x0 + box.x1) / 2, y: (box.y0 + box.y1) / 2, label: 1 },
        { x: box.x0 + (box.x1 - box.x0) * 0.3, y: box.y0 + (box.y1 - box.y0) * 0.6, label: 1 },
      ],
    };
    // The same feeds segment.ts builds for this prompt (points, then the box corners as labels 2, 3).
    const frame = teacherFrame(model.family, rec.width, rec.height);
    const coords: number[] = [];
    const labels: number[] = [];
    for (const pt of prompt.points!) {
      const q = toFrame(frame, pt);
      coords.push(q.x, q.y);
      labels.push(pt.label);
    }
    const a = toFrame(frame, { x: box.x0, y: box.y0 });
    const b = toFrame(frame, { x: box.x1, y: box.y1 });
    coords.push(a.x, a.y, b.x, b.y);
    labels.push(2, 3);
    const n = labels.length;
    const cached = await cache.get(ws, key, () => Promise.reject(new Error('the embedding should be cached')));
    const decFeeds = {
      image_embeddings: new ort.Tensor('float32', cached.data, cached.dims),
      point_coords: new ort.Tensor('float32', Float32Array.from(coords), [1, n, 2]),
      point_labels: new ort.Tensor('float32', Float32Array.from(labels), [1, n]),
      mask_input: new ort.Tensor('float32', new Float32Array(256 * 256), [1, 1, 256, 256]),
      has_mask_input: new ort.Tensor('float32', Float32Array.of(0), [1]),
      orig_im_size: new ort.Tensor('float32', Float32Array.of(rec.height, rec.width), [2]),
    };
    const rawDec = await ort.InferenceSession.create(teacherPartPath(ws, model, 'decoder'), bareOptions);
    sessions.push(rawDec);
    note(`decoder ${o.decoderWarmup} warm-up + ${o.decoderRuns} runs (box + ${prompt.points!.length} points)`);

    const appDec = (await first.runtime.decoderSession()).session;
    const decRuns = timeRuns(appDec);
    const dec = {
      pipeline: [] as number[],
      raw: [] as number[],
      segment: [] as number[],
      run: [] as number[],
      lookup: [] as number[],
      before: [] as number[],
      after: [] as number[],
      stepsRight: [] as number[],
      stepsIdle: [] as number[],
      appBare: [] as number[],
    };
    let area = 0;
    for (let i = 0; i < o.decoderWarmup + o.decoderRuns; i++) {
      const pipeline = async () => {
        await settle();
        const t0 = performance.now();
        const r = await segmentImage(ws!, image.id, prompt, { ...segOpts, cache });
        const t1 = performance.now();
        if (r.embedding !== 'memory') throw new Error(`expected the embedding from memory, got ${r.embedding}`);
        return { t0, t1, area: r.area, run: decRuns.ms.at(-1)!, start: decRuns.start, end: decRuns.end, lookupEnd: cache.lastReturn };
      };
      const bare = async () => {
        await settle();
        return (await time(() => rawDec.run(decFeeds))).ms;
      };
      // Alternating order: neither side always runs first.
      let p: Awaited<ReturnType<typeof pipeline>>, rm: number;
      if (i % 2 === 0) {
        p = await pipeline();
        rm = await bare();
      } else {
        rm = await bare();
        p = await pipeline();
      }
      if (i < o.decoderWarmup) continue;
      dec.segment.push(p.t1 - p.t0);
      dec.pipeline.push(p.t1 - p.lookupEnd);
      dec.lookup.push(p.lookupEnd - p.t0);
      dec.raw.push(rm);
      dec.run.push(p.run);
      dec.before.push(p.start - p.lookupEnd);
      dec.after.push(p.t1 - p.end);
      area = p.area;
    }
    // Diagnostics, in their own loop (their allocations would otherwise add GC work to the timed
    // calls): the app's own decoder session called bare with the same feeds, and segment.ts's mask
    // steps on a bare output, right after the run and after a pause.
    for (let i = 0; i < Math.min(10, o.decoderRuns); i++) {
      await settle();
      const appBare = await time(() => appDec.run(decFeeds));
      dec.stepsRight.push(
        (await time(() => maskSteps(appBare.value, frame, rec.width, rec.height, familySpec(model.family).maskFrom === 'masks'))).ms,
      );
      await settle();
      dec.stepsIdle.push(
        (await time(() => maskSteps(appBare.value, frame, rec.width, rec.height, familySpec(model.family).maskFrom === 'masks'))).ms,
      );
      dec.appBare.push(appBare.ms);
    }

    // ---- result -------------------------------------------------------------------------------
    const encoder_ms = median(enc.pipeline);
    const encoder_raw_ms = median(enc.raw);
    const decoder_ms = median(dec.pipeline);
    const decoder_raw_ms = median(dec.raw);
    const cached_segment_ms = median(dec.segment);
    const encoderRatio = encoder_ms / encoder_raw_ms;
    const decoderRatio = decoder_ms / decoder_raw_ms;
    const segmentRatio = cached_segment_ms / decoder_raw_ms;
    const encPct = (encoderRatio - 1) * 100;
    const decPct = (decoderRatio - 1) * 100;
    const decodeSteps = median(steps.decode);
    const preprocessSteps = median(steps.preprocess);
    const cacheWriteSteps = median(steps.cacheWrite);
    const result: Record<string, unknown> = {
      encoder_ms: round(encoder_ms),
      encoder_raw_ms: round(encoder_raw_ms),
      decoder_ms: round(decoder_ms),
      decoder_raw_ms: round(decoder_raw_ms),
      cached_segment_ms: round(cached_segment_ms),
      encoder_ratio: round(encoderRatio, 4),
      decoder_ratio: round(decoderRatio, 4),
      cached_segment_vs_bare_decoder: round(segmentRatio, 4),
      encoder_overhead_pct: round(encPct, 2),
      decoder_overhead_pct: round(decPct, 2),
      encoder_goal_met: encPct <= ENCODER_OVERHEAD_GOAL_PCT,
      decoder_goal_met: decPct <= DECODER_OVERHEAD_GOAL_PCT,
      cached_segment_goal_met: segmentRatio <= CACHED_SEGMENT_GOAL_RATIO,
      goals: {
        encoder_overhead_max_pct: ENCODER_OVERHEAD_GOAL_PCT,
        decoder_overhead_max_pct: DECODER_OVERHEAD_GOAL_PCT,
        cached_segment_vs_bare_decoder_max: CACHED_SEGMENT_GOAL_RATIO,
      },
      runs: { encoder: o.runs, encoder_warmup: o.warmup, decoder: o.decoderRuns, decoder_warmup: o.decoderWarmup, statistic: 'median' },
      teacher: teacherInfo,
      device,
      image: { file: basename(imageFile), width: rec.width, height: rec.height },
      // Medians of the pipeline's steps, each timed on its own (ms).
      encoder_breakdown: {
        image_decode_ms: round(decodeSteps),
        preprocess_ms: round(preprocessSteps),
        session_run_in_pipeline_ms: round(median(enc.run)),
        cache_write_ms: round(cacheWriteSteps),
        cache_write_background_ms: round(median(steps.cacheWriteBackground)),
        cache_key_ms: round(median(steps.cacheKey)),
        overhead_ms: round(encoder_ms - encoder_raw_ms),
        // Overhead the steps above do not account for (GC, JIT state, load; negative: noise).
        unexplained_ms: round(
          encoder_ms - encoder_raw_ms - decodeSteps - preprocessSteps - cacheWriteSteps - (median(enc.run) - encoder_raw_ms),
        ),
      },
      decoder_breakdown: {
        session_run_in_pipeline_ms: round(median(dec.run)),
        app_session_called_bare_ms: round(median(dec.appBare)),
        before_run_ms: round(median(dec.before)),
        after_run_ms: round(median(dec.after)),
        embedding_lookup_ms: round(median(dec.lookup)),
        mask_steps_right_after_run_ms: round(median(dec.stepsRight)),
        mask_steps_alone_ms: round(median(dec.stepsIdle)),
        overhead_ms: round(decoder_ms - decoder_raw_ms),
        mask_area: area,
      },
    };
    note(
      `encoder ${encoder_ms.toFixed(1)} ms vs bare ${encoder_raw_ms.toFixed(1)} ms → ×${encoderRatio.toFixed(3)} (${encPct.toFixed(1)} %, goal ≤ ${ENCODER_OVERHEAD_GOAL_PCT} %: ${encPct <= ENCODER_OVERHEAD_GOAL_PCT ? 'met' : 'NOT met'})`,
    );
    note(
      `decoder ${decoder_ms.toFixed(2)} ms vs bare ${decoder_raw_ms.toFixed(2)} ms → ×${decoderRatio.toFixed(3)} (${decPct.toFixed(1)} %, goal ≤ ${DECODER_OVERHEAD_GOAL_PCT} %: ${decPct <= DECODER_OVERHEAD_GOAL_PCT ? 'met' : 'NOT met'}); whole cached segment ${cached_segment_ms.toFixed(2)} ms → ×${segmentRatio.toFixed(3)} the bare decoder (goal ≤ ${CACHED_SEGMENT_GOAL_RATIO}: ${segmentRatio <= CACHED_SEGMENT_GOAL_RATIO ? 'met' : 'NOT met'})`,
    );
    return result;
  } finally {
    await releaseTeacherSessions();
    for (const s of sessions) await s.release().catch(() => undefined);
    ws?.close();
    if (o.keep) note(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

function firstKvasirImage(): string {
  if (!existsSync(KVASIR_IMAGES))
    throw new Error(`no Kvasir-SEG images at ${KVASIR_IMAGES} (../shared/data beside the checkout); give --image FILE`);
  const files = readdirSync(KVASIR_IMAGES)
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .sort();
  if (files.length === 0) throw new Error(`no images in ${KVASIR_IMAGES}`);
  return join(KVASIR_IMAGES, files[0]!);
}
