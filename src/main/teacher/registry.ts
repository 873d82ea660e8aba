import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { describe } from '../util/errors';
import { dropModelFile, insertTeacherModel, modelFilePath, storeModelFile, teacherModelRecord, teacherModelRecords, type ModelRecord } from '../workspace/models';
import { nowIso, type Workspace } from '../workspace/workspace';
import { DECODER_INPUTS, EMBEDDING_SHAPE, familySpec, type EncoderLayout, type TeacherFamily } from './families';
import { createSession } from '../onnx/device';
import { loadOrt, ortStatus, type Ort } from '../onnx/runtime';

export type Part = 'encoder' | 'decoder';
export type Shape = (number | string)[];

export interface TeacherFile {
  part: Part;
  /** Where the user's file was when it was added (provenance); the app runs the blob copy. */
  path: string;
  sha256: string;
  bytes: number;
}

export interface EncoderInterface {
  input: string;
  /** 'nchw': [1,3,1024,1024] already normalised and padded; 'hwc': [H,W,3] resized 0..255 image. */
  layout: EncoderLayout;
  inputType: 'float32' | 'uint8';
  inputShape: Shape;
  output: string;
  outputShape: Shape;
}

export interface DecoderInterface {
  inputs: Record<string, Shape>;
  outputs: { masks: Shape; iou_predictions: Shape; low_res_masks: Shape };
  /** Masks per prompt (1 for a single-mask export, 3 or 4 for multimask): the best iou is used. */
  maskCount: number;
  /** Whether `masks` came back at orig_im_size in the test run (else low_res_masks are upscaled). */
  masksAtOriginalSize: boolean;
}

/** What the checks found, stored in models.interface. */
export interface TeacherInterface {
  family: TeacherFamily;
  encoder: EncoderInterface;
  decoder: DecoderInterface;
  checkedWith: string;
}

export interface TeacherModel {
  id: number;
  family: TeacherFamily;
  name: string;
  files: TeacherFile[];
  interface: TeacherInterface;
  createdAt: string;
}

/** A file that is not a usable teacher part; the message names the file, what was expected and found. */
export class TeacherModelError extends Error {}

// TensorProto.external_data is a list of StringStringEntryProto{key=1, value=2}; the key "location"
// (field 1, length 8) marks weights stored outside the .onnx file.
const EXTERNAL_DATA_MARK = Uint8Array.from([0x0a, 0x08, ...new TextEncoder().encode('location')]);

const ortVersion = async () => {
  const s = await ortStatus();
  return `onnxruntime-node ${s.ok ? s.version : '?'}`;
};

const fmtShape = (s: readonly (number | string)[]) => `[${s.map((d) => (typeof d === 'string' ? d || '?' : d)).join(',')}]`;

/** Dims match when equal, or when either side is dynamic (a named/unnamed symbol or -1). */
function dimOk(expected: number | string, found: number | string | undefined): boolean {
  if (found === undefined) return false;
  if (typeof expected === 'string' || typeof found === 'string' || found < 0) return true;
  return expected === found;
}

function shapeOk(expected: readonly (number | string)[], found: Shape): boolean {
  return expected.length === found.length && expected.every((d, i) => dimOk(d, found[i]));
}

interface Meta {
  name: string;
  type: string;
  shape: Shape;
}

function metadata(list: readonly Ort.InferenceSession.ValueMetadata[]): Meta[] {
  return list.map((m) => (m.isTensor ? { name: m.name, type: m.type, shape: [...m.shape] } : { name: m.name, type: 'non-tensor', shape: [] }));
}

const describeMeta = (m: Meta) => `${m.name} ${m.type} ${fmtShape(m.shape)}`;

/** Cheap checks before onnxruntime parses anything: exists, is a file, is not empty, is not obviously something else. */
function sniff(file: string, part: Part): void {
  if (!existsSync(file)) throw new TeacherModelError(`${part} file ${file} does not exist`);
  const st = statSync(file);
  if (!st.isFile()) throw new TeacherModelError(`${part} file ${file} is not a file`);
  if (st.size === 0) throw new TeacherModelError(`${part} file ${file} is empty (0 bytes); expected an ONNX model`);
  const head = Buffer.alloc(Math.min(16, st.size));
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (head[0] === 0x50 && head[1] === 0x4b) {
    throw new TeacherModelError(
      `${part} file ${file} is a zip archive (a PyTorch checkpoint such as a .pth, or a zipped download), not an ONNX model; export it to ONNX first (see resources/models/README.md)`,
    );
  }
}

/**
 * Turns onnxruntime's parse failure into a message about the file. An ONNX model starts with the
 * ir_version field (byte 0x08); a file that starts so but does not parse is damaged or cut short.
 */
function loadFailure(file: string, part: Part, bytes: number, e: unknown): TeacherModelError {
  const reason = describe(e).split('\n')[0]!;
  let head = Buffer.alloc(0);
  try {
    const fd = openSync(file, 'r');
    head = Buffer.alloc(Math.min(8, bytes));
    readSync(fd, head, 0, head.length, 0);
    closeSync(fd);
  } catch {
    /* the message below is enough */
  }
  if (/external/i.test(reason)) {
    return new TeacherModelError(
      `${part} file ${file} keeps its weights in a separate external-data file, which the app cannot store with it; re-export it as a single .onnx file (onnxruntime said: ${reason})`,
    );
  }
  if (head[0] === 0x08) {
    return new TeacherModelError(
      `${part} file ${file} looks like an ONNX model but cannot be read — damaged or truncated (${bytes} bytes)? Copy or export it again (onnxruntime said: ${reason})`,
    );
  }
  const printable = [...head].every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127));
  const start = printable ? JSON.stringify(head.toString('latin1')) : head.toString('hex');
  return new TeacherModelError(`${part} file ${file} is not an ONNX model (it starts with ${start}); expected the ${part} .onnx file of a SAM-family export (onnxruntime said: ${reason})`);
}

export function checkEncoder(file: string, family: TeacherFamily, inputs: Meta[], outputs: Meta[]): EncoderInterface {
  const spec = familySpec(family);
  const expected =
    `one input: input_image float32 [1,3,1024,1024] (normalised, padded)` +
    (spec.layouts.includes('hwc') ? ` or float32/uint8 [H,W,3] (resized image, normalised inside)` : '') +
    `, and an output image_embeddings float32 ${fmtShape(EMBEDDING_SHAPE)}`;
  const found = `inputs ${inputs.map(describeMeta).join(', ') || 'none'}; outputs ${outputs.map(describeMeta).join(', ') || 'none'}`;
  const fail = (why: string) => new TeacherModelError(`encoder file ${file} does not fit the ${family} encoder interface: ${why}. Expected ${expected}; found ${found}`);

  if (inputs.length !== 1) throw fail(`it has ${inputs.length} inputs`);
  const input = inputs[0]!;
  let layout: EncoderLayout;
  if (input.shape.length === 4 && dimOk(1, input.shape[0]) && dimOk(3, input.shape[1]) && dimOk(1024, input.shape[2]) && dimOk(1024, input.shape[3])) {
    layout = 'nchw';
    if (input.type !== 'float32') throw fail(`input ${input.name} is ${input.type}, not float32`);
  } else if (input.shape.length === 3 && dimOk(3, input.shape[2]) && input.shape[2] === 3) {
    layout = 'hwc';
    if (input.type !== 'float32' && input.type !== 'uint8') throw fail(`input ${input.name} is ${input.type}, not float32 or uint8`);
    const fixed = (d: number | string | undefined) => typeof d === 'number' && d >= 0;
    if (fixed(input.shape[0]) || fixed(input.shape[1])) {
      throw fail(`input ${input.name} ${fmtShape(input.shape)} has a fixed height/width, but it receives the image resized to longest side 1024 (e.g. 1024×576); export it with dynamic height and width`);
    }
  } else {
    throw fail(`input ${input.name} has shape ${fmtShape(input.shape)}`);
  }
  if (!spec.layouts.includes(layout)) {
    throw fail(
      `${spec.label} takes a [1,3,1024,1024] image scaled to [0,1]; an [H,W,3] encoder normalises with SAM's mean/std inside, which is a SAM/MobileSAM export`,
    );
  }
  const output = outputs.find((o) => o.name === 'image_embeddings') ?? (outputs.length === 1 ? outputs[0] : undefined);
  if (!output) throw fail('no output named image_embeddings');
  if (output.type !== 'float32' || !shapeOk(EMBEDDING_SHAPE, output.shape)) throw fail(`output ${describeMeta(output)}`);
  return { input: input.name, layout, inputType: input.type as 'float32' | 'uint8', inputShape: input.shape, output: output.name, outputShape: output.shape };
}

export function checkDecoderMetadata(file: string, family: TeacherFamily, inputs: Meta[], outputs: Meta[]): Omit<DecoderInterface, 'maskCount' | 'masksAtOriginalSize'> {
  const problems: string[] = [];
  const found: Record<string, Shape> = {};
  for (const want of DECODER_INPUTS) {
    const got = inputs.find((m) => m.name === want.name);
    if (!got) {
      problems.push(`input ${want.name} float32 ${fmtShape(want.shape)} is missing`);
      continue;
    }
    found[got.name] = got.shape;
    if (got.type !== 'float32' || !shapeOk(want.shape, got.shape)) problems.push(`input ${want.name} should be float32 ${fmtShape(want.shape)}, found ${got.type} ${fmtShape(got.shape)}`);
    else if (want.name === 'point_coords' && typeof got.shape[1] === 'number' && got.shape[1] >= 0)
      problems.push(`input point_coords must take any number of points, found a fixed ${fmtShape(got.shape)}`);
  }
  const extra = inputs.filter((m) => !DECODER_INPUTS.some((d) => d.name === m.name));
  if (extra.length) problems.push(`unexpected inputs ${extra.map(describeMeta).join(', ')}`);
  const out = (name: string) => outputs.find((o) => o.name === name);
  for (const name of ['masks', 'iou_predictions', 'low_res_masks']) if (!out(name)) problems.push(`output ${name} is missing`);
  if (problems.length) {
    throw new TeacherModelError(
      `decoder file ${file} does not fit the ${family} decoder interface (segment-anything's export_onnx_model.py): ${problems.join('; ')}. Found inputs ${inputs.map(describeMeta).join(', ')}; outputs ${outputs.map(describeMeta).join(', ')}`,
    );
  }
  return {
    inputs: found,
    outputs: { masks: out('masks')!.shape, iou_predictions: out('iou_predictions')!.shape, low_res_masks: out('low_res_masks')!.shape },
  };
}

/** One decoder run with the expected inputs: proves it runs, and learns its mask count and output size. */
async function testRunDecoder(file: string, family: TeacherFamily, session: Ort.InferenceSession): Promise<Pick<DecoderInterface, 'maskCount' | 'masksAtOriginalSize'>> {
  const [h, w] = [300, 400];
  const ort = await loadOrt();
  const feeds = {
    image_embeddings: new ort.Tensor('float32', new Float32Array(256 * 64 * 64), [1, 256, 64, 64]),
    point_coords: new ort.Tensor('float32', new Float32Array([100, 100, 600, 500]), [1, 2, 2]),
    point_labels: new ort.Tensor('float32', new Float32Array([2, 3]), [1, 2]),
    mask_input: new ort.Tensor('float32', new Float32Array(256 * 256), [1, 1, 256, 256]),
    has_mask_input: new ort.Tensor('float32', new Float32Array([0]), [1]),
    orig_im_size: new ort.Tensor('float32', new Float32Array([h, w]), [2]),
  };
  let r: Ort.InferenceSession.ReturnType;
  try {
    r = await session.run(feeds);
  } catch (e) {
    throw new TeacherModelError(`decoder file ${file} failed a test run with the ${family} decoder inputs: ${describe(e).split('\n')[0]}`);
  }
  const masks = r.masks!.dims;
  const iou = r.iou_predictions!.dims;
  const low = r.low_res_masks!.dims;
  const c = iou[iou.length - 1] ?? 0;
  const problems: string[] = [];
  if (iou.length !== 2 || iou[0] !== 1 || c < 1) problems.push(`iou_predictions came back ${fmtShape([...iou])}, expected [1,C]`);
  if (low.length !== 4 || low[0] !== 1 || low[1] !== c || low[2] !== 256 || low[3] !== 256)
    problems.push(`low_res_masks came back ${fmtShape([...low])}, expected [1,${c},256,256]`);
  if (masks.length !== 4 || masks[0] !== 1 || masks[1] !== c) problems.push(`masks came back ${fmtShape([...masks])}, expected [1,${c},H,W]`);
  if (problems.length) throw new TeacherModelError(`decoder file ${file} gave unexpected outputs in a test run (orig_im_size ${h}×${w}): ${problems.join('; ')}`);
  return { maskCount: c, masksAtOriginalSize: masks[2] === h && masks[3] === w };
}

async function openChecked(file: string, part: Part, bytes: number): Promise<Ort.InferenceSession> {
  try {
    return (await createSession(file, 'cpu')).session;
  } catch (e) {
    throw loadFailure(file, part, bytes, e);
  }
}

/**
 * Checks an encoder + decoder pair against the family's interface with onnxruntime (input/output
 * names, types and shapes from the session metadata, then one decoder test run). The encoder is not
 * run: a real SAM encoder takes seconds; its I/O metadata is checked instead.
 */
export async function checkTeacherFiles(req: { encoder: string; decoder: string; family: string }): Promise<TeacherInterface> {
  const family = familySpec(req.family).family;
  const encoderFile = resolve(req.encoder);
  const decoderFile = resolve(req.decoder);
  sniff(encoderFile, 'encoder');
  sniff(decoderFile, 'decoder');
  const enc = await openChecked(encoderFile, 'encoder', statSync(encoderFile).size);
  let encoder: EncoderInterface;
  try {
    encoder = checkEncoder(encoderFile, family, metadata(enc.inputMetadata), metadata(enc.outputMetadata));
  } finally {
    await enc.release();
  }
  const dec = await openChecked(decoderFile, 'decoder', statSync(decoderFile).size);
  try {
    const meta = checkDecoderMetadata(decoderFile, family, metadata(dec.inputMetadata), metadata(dec.outputMetadata));
    const run = await testRunDecoder(decoderFile, family, dec);
    return { family, encoder, decoder: { ...meta, ...run }, checkedWith: await ortVersion() };
  } finally {
    await dec.release();
  }
}

function toModel(r: ModelRecord): TeacherModel {
  return {
    id: r.id,
    family: r.family as TeacherFamily,
    name: r.name,
    files: r.files as TeacherFile[],
    interface: r.interface as TeacherInterface,
    createdAt: r.createdAt,
  };
}

/**
 * Checks the pair, copies both files into the blob store (streamed, hashed while copying, atomic),
 * and records a teacher model. Adding the same files for the same family again returns the existing
 * model (`existing: true`).
 */
export async function addTeacherModel(
  ws: Workspace,
  req: { encoder: string; decoder: string; family: string; name?: string },
): Promise<TeacherModel & { existing: boolean }> {
  const iface = await checkTeacherFiles(req);
  const files: TeacherFile[] = [];
  const created: string[] = [];
  for (const [part, path] of [
    ['encoder', resolve(req.encoder)],
    ['decoder', resolve(req.decoder)],
  ] as const) {
    const { sha256, bytes, existed, watchFound } = await storeModelFile(ws, path, { watch: EXTERNAL_DATA_MARK });
    if (!existed) created.push(sha256);
    if (watchFound) {
      for (const h of created) dropModelFile(ws, h);
      throw new TeacherModelError(
        `${part} file ${path} keeps its weights in separate external-data files (as exports over 2 GB do); the app stores one file per part — re-export it as a single .onnx file (e.g. quantised, or ViT-B/L instead of ViT-H), see resources/models/README.md`,
      );
    }
    files.push({ part, path, sha256, bytes });
  }
  const same = listTeacherModels(ws).find(
    (m) => m.family === iface.family && m.files.every((f) => files.some((g) => g.part === f.part && g.sha256 === f.sha256)),
  );
  if (same) return { ...same, existing: true };
  const name = req.name?.trim() || `${iface.family} ${basename(req.encoder).replace(/\.onnx$/i, '')}`;
  const createdAt = nowIso();
  const id = insertTeacherModel(ws, { family: iface.family, name, files, interface: iface, createdAt });
  return { id, family: iface.family, name, files, interface: iface, createdAt, existing: false };
}

export function listTeacherModels(ws: Workspace): TeacherModel[] {
  return teacherModelRecords(ws).map(toModel);
}

/** The teacher with this id, or the most recently added one. */
export function getTeacherModel(ws: Workspace, id?: number): TeacherModel {
  const row = teacherModelRecord(ws, id);
  if (!row) {
    throw new TeacherModelError(
      id === undefined
        ? `no teacher model in ${ws.root}; add one with "apprentice models add ${ws.root} --encoder E.onnx --decoder D.onnx --family sam|mobilesam|medsam"`
        : `no teacher model with id ${id} in ${ws.root}`,
    );
  }
  return toModel(row);
}

/** The blob-store path of a model part (the file the app runs). */
export function teacherPartPath(ws: Workspace, model: TeacherModel, part: Part): string {
  const f = model.files.find((x) => x.part === part);
  if (!f) throw new TeacherModelError(`teacher model ${model.id} has no ${part} file`);
  const { path: p, missingFrom } = modelFilePath(ws, f.sha256);
  if (missingFrom) throw new TeacherModelError(`teacher model ${model.id}: the ${part} blob ${f.sha256} is missing from ${missingFrom}; add the model again`);
  return p;
}

export function teacherPartSha(model: TeacherModel, part: Part): string {
  const f = model.files.find((x) => x.part === part);
  if (!f) throw new TeacherModelError(`teacher model ${model.id} has no ${part} file`);
  return f.sha256;
}
