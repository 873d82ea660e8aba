import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, normalize, resolve } from 'node:path';
import { describe, RemedyError } from '../util/errors';
import {
  dropLibraryFile,
  findLibraryModel,
  libraryModels,
  libraryRoot,
  modelHash,
  noteWorkspaceUses,
  proveModelFile,
  recordLibraryModel,
  removeLibraryModel,
  renameLibraryModel,
  storeLibraryFile,
  type LibraryModel,
} from '../workspace/model-library';
import {
  deleteTeacherModel,
  insertTeacherModel,
  modelFileLocation,
  modelFilePath,
  modelRunFolder,
  runsUsingTeacherModel,
  teacherModelRecord,
  teacherModelRecords,
  type ModelRecord,
} from '../workspace/models';
import { nowIso, Workspace } from '../workspace/workspace';
import { familySpec, type TeacherFamily } from './families';
import { createSession } from '../onnx/device';
import { loadOrt, ortStatus, type Ort } from '../onnx/runtime';
import { decoderFeeds, readDecoder } from './decoder-io';
import { halfFeeds } from './half';
import {
  describeMeta,
  EMBEDDING,
  fmtShape,
  isMiss,
  LAYOUTS,
  storedLayout,
  type DecoderInterface,
  type EncoderInterface,
  type Graph,
  type LayoutId,
  type LayoutSpec,
  type TensorMeta,
} from './layouts';
import { encoderGraphOffThread } from './encoder-thread';
import { TeacherModelError } from './teacher-error';

export type Part = 'encoder' | 'decoder';
export type { DecoderInterface, EncoderInterface, LayoutId, Shape } from './layouts';

export interface TeacherFile {
  part: Part;
  /** Where the user's file was when it was added (provenance); the app runs the blob copy. */
  path: string;
  sha256: string;
  bytes: number;
  /**
   * Weights kept outside the .onnx (exports over 2 GB, e.g. ViT-H): each file by the location the
   * model names, stored and checksummed with it, and put beside it again when it runs.
   */
  externalData?: { location: string; sha256: string; bytes: number }[];
}

/** What the checks found, stored in models.interface. */
export interface TeacherInterface {
  family: TeacherFamily;
  /** The export layout recognised from the graphs (layouts.ts); absent in models stored before layouts were. */
  layout?: LayoutId;
  encoder: EncoderInterface;
  decoder: DecoderInterface;
  checkedWith: string;
}

export interface TeacherModel {
  id: number;
  family: TeacherFamily;
  /** The name the workspace recorded when it took the model up (provenance reads it). */
  name: string;
  /** The model's hash in the machine's library (model-library.ts modelHash): what the workspace refers to. */
  hash: string;
  /** Its name in the library now (renames show here); null when the library does not hold it. */
  libraryName: string | null;
  files: TeacherFile[];
  interface: TeacherInterface;
  createdAt: string;
}

export { TeacherModelError };

// TensorProto.external_data is a list of StringStringEntryProto{key=1, value=2}; the key "location"
// (field 1, length 8) marks weights stored outside the .onnx file.
const EXTERNAL_DATA_MARK = Uint8Array.from([0x0a, 0x08, ...new TextEncoder().encode('location')]);

const ortVersion = async () => {
  const s = await ortStatus();
  return `onnxruntime-node ${s.ok ? s.version : '?'}`;
};

function metadata(list: readonly Ort.InferenceSession.ValueMetadata[]): TensorMeta[] {
  return list.map((m) => (m.isTensor ? { name: m.name, type: m.type, shape: [...m.shape] } : { name: m.name, type: 'non-tensor', shape: [] }));
}

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
      `${part} file ${file} keeps its weights in an external-data file that could not be read beside it; copy the .onnx together with its data file, under the name the model gives it (onnxruntime said: ${reason})`,
    );
  }
  if (head[0] === 0x08) {
    return new TeacherModelError(
      `${part} file ${file} looks like an ONNX model but cannot be read — damaged or truncated (${bytes} bytes)? Copy or export it again (onnxruntime said: ${reason})`,
    );
  }
  // Say what kind of file it is, never what it holds: the path may name any file (e.g. /etc/shadow)
  // and the message goes back to the page that asked.
  const printable = head.length > 0 && [...head].every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127));
  const kind = printable ? 'it is a text file' : 'it does not start with the byte 0x08 every ONNX model starts with';
  return new TeacherModelError(`${part} file ${file} is not an ONNX model (${kind}); expected the ${part} .onnx file of a SAM-family export (onnxruntime said: ${reason})`);
}

async function openChecked(file: string, part: Part, bytes: number): Promise<Ort.InferenceSession> {
  try {
    return (await createSession(file, 'cpu')).session;
  } catch (e) {
    throw loadFailure(file, part, bytes, e);
  }
}

const describeGraph = (g: Graph) => `inputs ${g.inputs.map(describeMeta).join(', ') || 'none'}; outputs ${g.outputs.map(describeMeta).join(', ') || 'none'}`;

/**
 * The layout an encoder + decoder pair is in: every layout the family comes in is tried, and the
 * refusal lists each one with why it did not fit (the encoder first: a decoder is only matched
 * against layouts whose encoder fitted).
 */
export function detectLayout(
  family: TeacherFamily,
  files: { encoder: string; decoder: string },
  enc: Graph,
  dec: Graph,
): { layout: LayoutSpec; encoder: EncoderInterface; decoder: Omit<DecoderInterface, 'maskCount' | 'masksAtOriginalSize'> } {
  const candidates = LAYOUTS.filter((l) => l.families.includes(family));
  const encoderMisses: string[] = [];
  const decoderMisses: string[] = [];
  // Every layout in order, with the part that did not fit: an encoder several layouts could take
  // (EfficientSAM's batched_images) is still explained when its decoder fits none.
  const tried: string[] = [];
  for (const layout of candidates) {
    const e = layout.encoder(enc);
    if (isMiss(e)) {
      encoderMisses.push(`${layout.id}: ${e.miss}`);
      tried.push(`${layout.id}: ${e.miss}`);
      continue;
    }
    const d = layout.decoder(dec);
    if (isMiss(d)) {
      decoderMisses.push(`${layout.id}: ${d.miss}`);
      tried.push(`${layout.id}: the encoder fits; decoder: ${d.miss}`);
      continue;
    }
    return { layout, encoder: e, decoder: d };
  }
  const otherLayouts = LAYOUTS.filter((l) => !l.families.includes(family));
  const others = otherLayouts.map((l) => l.id);
  // A pair in a layout this family does not come in says whose weights it holds (LiteMedSAM's are MedSAM's).
  const fitsOther = otherLayouts.find((l) => !isMiss(l.encoder(enc)) && !isMiss(l.decoder(dec)));
  const notTried =
    (others.length ? ` (${others.join(', ')} not tried: ${family} weights do not come in ${others.length === 1 ? 'that layout' : 'those layouts'})` : '') +
    (fitsOther ? `. The pair is a ${fitsOther.id} export (${fitsOther.label}): add it with --family ${fitsOther.families.join(' or --family ')}` : '');
  if (decoderMisses.length === 0) {
    const first = encoderMisses[0]!.slice(encoderMisses[0]!.indexOf(': ') + 2);
    throw new TeacherModelError(
      `encoder file ${files.encoder} does not fit the ${family} encoder interface: ${first}. Expected one float32 input [1,3,1024,1024] (normalised and padded, fixed size, any name)` +
        (candidates.some((l) => l.id === 'samexporter-hwc') ? ` or float32/uint8 [H,W,3] (resized image, normalised inside)` : '') +
        ` and an output image_embeddings float32 ${fmtShape(EMBEDDING)}; found ${describeGraph(enc)}. Layouts tried: ${encoderMisses.join(' | ')}${notTried}`,
    );
  }
  throw new TeacherModelError(
    `decoder file ${files.decoder} does not fit the ${family} decoder interface of any layout its encoder fits: ${decoderMisses.join(' | ')}. Found ${describeGraph(dec)}` +
      (encoderMisses.length ? `. Encoder layouts that did not fit: ${encoderMisses.join(' | ')}` : '') +
      `. Layouts tried: ${tried.join(' | ')} (encoder file ${files.encoder})` +
      notTried,
  );
}

/** One decoder run with the layout's own feeds: proves it runs, and learns its mask count and output size. */
async function testRunDecoder(
  file: string,
  family: TeacherFamily,
  layout: LayoutSpec,
  encoder: EncoderInterface,
  halfInputs: string[] | undefined,
  session: Ort.InferenceSession,
): Promise<Pick<DecoderInterface, 'maskCount' | 'masksAtOriginalSize'>> {
  const [h, w] = [300, 400];
  const ort = await loadOrt();
  const embedding = Object.fromEntries(
    (encoder.outputs ?? [{ name: encoder.output, shape: [...EMBEDDING] }]).map((o) => [o.name, { data: new Float32Array(o.shape.reduce((a, b) => a * b, 1)), dims: o.shape }]),
  );
  const noMask = new Float32Array(256 * 256);
  const prompt = layout.takesBox ? { points: [], box: { x0: 100, y0: 100, x1: 600, y1: 500 } } : { points: [{ x: 350, y: 300, label: 1 as const }], box: null };
  const { feeds } = decoderFeeds(ort, layout.id, family, embedding, prompt, { width: w, height: h }, null, noMask);
  let r: Ort.InferenceSession.ReturnType;
  try {
    r = await session.run(halfFeeds(ort, feeds, halfInputs));
  } catch (e) {
    throw new TeacherModelError(`decoder file ${file} failed a test run with the ${layout.id} decoder inputs: ${describe(e).split('\n')[0]}`);
  }
  let answer: ReturnType<typeof readDecoder>;
  try {
    answer = readDecoder(layout.id, r);
  } catch (e) {
    throw new TeacherModelError(`decoder file ${file} gave unreadable outputs in a test run: ${describe(e).split('\n')[0]}`);
  }
  // Dims as each layout's outputs carry them, leading point-batch / query dims dropped (readDecoder).
  const dims = (name: string) => fmtShape([...r[name]!.dims]);
  const [iouName, iou] = answer.shapes.iou;
  const c = iou[iou.length - 1] ?? 0;
  const problems: string[] = [];
  if (iou.length !== 2 || iou[0] !== 1 || c < 1) problems.push(`${iouName} came back ${dims(iouName)}, expected [1,C]`);
  if (answer.shapes.low) {
    const [name, low] = answer.shapes.low;
    if (low.length !== 4 || low[0] !== 1 || low[1] !== c || low[2] !== 256 || low[3] !== 256) problems.push(`${name} came back ${dims(name)}, expected [1,${c},256,256]`);
  }
  if (answer.shapes.full) {
    const [name, full] = answer.shapes.full;
    if (full.length !== 4 || full[0] !== 1 || full[1] !== c) problems.push(`${name} came back ${dims(name)}, expected [1,${c},H,W]`);
  }
  if (problems.length) throw new TeacherModelError(`decoder file ${file} gave unexpected outputs in a test run (orig_im_size ${h}×${w}): ${problems.join('; ')}`);
  if (family === 'medsam' && c !== 1 && c !== 4) {
    throw new TeacherModelError(
      `decoder file ${file} returns ${c} masks: MedSAM runs with mask token 0, which segment-anything's export returns alone (--return-single-mask) or first of 4 (without it); re-export it one of those ways`,
    );
  }
  return { maskCount: c, masksAtOriginalSize: !!answer.full && answer.full.height === h && answer.full.width === w };
}

/**
 * Checks an encoder + decoder pair with onnxruntime: the layout is recognised from the graphs'
 * input/output names, types and shapes (detectLayout), then the decoder runs once with that
 * layout's feeds. The encoder is not run: a real SAM encoder takes seconds; its I/O is checked.
 */
export async function checkTeacherFiles(req: { encoder: string; decoder: string; family: string }): Promise<TeacherInterface> {
  const family = familySpec(req.family).family;
  const encoderFile = resolve(req.encoder);
  const decoderFile = resolve(req.decoder);
  sniff(encoderFile, 'encoder');
  sniff(decoderFile, 'decoder');
  // The encoder (up to gigabytes) loads on the encoder thread: the app's own thread stays free meanwhile.
  let enc: Graph;
  try {
    const g = await encoderGraphOffThread(encoderFile);
    enc = { inputs: metadata(g.inputs), outputs: metadata(g.outputs) };
  } catch (e) {
    throw loadFailure(encoderFile, 'encoder', statSync(encoderFile).size, e);
  }
  const dec = await openChecked(decoderFile, 'decoder', statSync(decoderFile).size);
  try {
    const found = detectLayout(family, { encoder: encoderFile, decoder: decoderFile }, enc, { inputs: metadata(dec.inputMetadata), outputs: metadata(dec.outputMetadata) });
    const run = await testRunDecoder(decoderFile, family, found.layout, found.encoder, found.decoder.halfInputs, dec);
    return { family, layout: found.layout.id, encoder: found.encoder, decoder: { ...found.decoder, ...run }, checkedWith: await ortVersion() };
  } finally {
    await dec.release();
  }
}

function withLayout(iface: TeacherInterface): TeacherInterface {
  return { ...iface, layout: storedLayout(iface) };
}

function toModel(r: ModelRecord): TeacherModel {
  const files = r.files as TeacherFile[];
  const hash = modelHash(r.family, files);
  return {
    id: r.id,
    family: r.family as TeacherFamily,
    name: r.name,
    hash,
    libraryName: findLibraryModel(hash)?.name ?? null,
    files,
    interface: withLayout(r.interface as TeacherInterface),
    createdAt: r.createdAt,
  };
}

/** A model in the machine's library, available to every workspace. */
export interface LibraryTeacher {
  hash: string;
  family: TeacherFamily;
  name: string;
  files: TeacherFile[];
  interface: TeacherInterface;
  addedAt: string;
  /** Workspace folders that registered it. */
  workspaces: string[];
}

const toLibraryTeacher = (m: LibraryModel): LibraryTeacher => ({
  hash: m.hash,
  family: m.family as TeacherFamily,
  name: m.name,
  files: m.files as TeacherFile[],
  interface: withLayout(m.interface as TeacherInterface),
  addedAt: m.addedAt,
  workspaces: m.workspaces,
});

export function listLibraryTeachers(): LibraryTeacher[] {
  return libraryModels().map(toLibraryTeacher);
}

/** A library model by its hash (or a prefix of 6+ hex digits). */
export function libraryTeacher(ref: string): LibraryTeacher {
  const m = findLibraryModel(ref);
  if (!m) throw new TeacherModelError(`no model "${ref}" in the model library ${libraryRoot()} (see "apprentice models list")`);
  return toLibraryTeacher(m);
}

/**
 * Checks the pair and installs it in the machine's model library: each file (external data
 * included) is streamed in once, hashed while copying, atomically. Installing the same files for
 * the same family again copies nothing and returns the library's model (`existing: true`).
 */
export async function installTeacherModel(
  req: { encoder: string; decoder: string; family: string; name?: string },
): Promise<LibraryTeacher & { existing: boolean; installedFrom: TeacherFile[] }> {
  const iface = await checkTeacherFiles(req);
  const files: TeacherFile[] = [];
  const created: string[] = [];
  try {
    for (const [part, path] of [
      ['encoder', resolve(req.encoder)],
      ['decoder', resolve(req.decoder)],
    ] as const) {
      const { sha256, bytes, existed, watchFound } = await storeLibraryFile(path, { watch: EXTERNAL_DATA_MARK });
      if (!existed) created.push(sha256);
      const file: TeacherFile = { part, path, sha256, bytes };
      if (watchFound) {
        file.externalData = [];
        for (const location of externalDataLocations(path, part)) {
          const data = await storeLibraryFile(resolve(dirname(path), location));
          if (!data.existed) created.push(data.sha256);
          file.externalData.push({ location, sha256: data.sha256, bytes: data.bytes });
        }
      }
      files.push(file);
    }
  } catch (e) {
    for (const h of created) dropLibraryFile(h);
    throw e;
  }
  const name = req.name?.trim() || `${iface.family} ${basename(req.encoder).replace(/\.onnx$/i, '')}`;
  const { model, existing } = recordLibraryModel({ family: iface.family, layout: iface.layout ?? null, name, files, interface: iface, addedAt: nowIso() });
  // `installedFrom`: the files with the paths given this time (the library keeps the first install's).
  return { ...toLibraryTeacher(model), existing, installedFrom: files };
}

/**
 * Makes a library model usable in a workspace: its models table records the model (files by
 * SHA-256, layout, and the name it had), so runs and provenance stay readable whatever becomes of
 * the library entry; the library notes the workspace. Using it again returns the same row.
 */
export function useLibraryTeacher(ws: Workspace, ref: string, opts: { name?: string; files?: TeacherFile[] } = {}): TeacherModel & { existing: boolean } {
  const lib = libraryTeacher(ref);
  noteWorkspaceUses(lib.hash, ws.root);
  const same = listTeacherModels(ws).find((m) => m.hash === lib.hash);
  if (same) return { ...same, existing: true };
  const createdAt = nowIso();
  const recorded = opts.name?.trim() || lib.name;
  const files = opts.files && modelHash(lib.family, opts.files) === lib.hash ? opts.files : lib.files;
  const id = insertTeacherModel(ws, { family: lib.family, name: recorded, files, interface: lib.interface, createdAt });
  return { id, family: lib.family, name: recorded, hash: lib.hash, libraryName: lib.name, files, interface: lib.interface, createdAt, existing: false };
}

/**
 * Installs the pair in the machine's library (once) and uses it in this workspace. `existing`: the
 * workspace already had the model; `inLibrary`: the library already held it (nothing was copied).
 */
export async function addTeacherModel(
  ws: Workspace,
  req: { encoder: string; decoder: string; family: string; name?: string },
): Promise<TeacherModel & { existing: boolean; inLibrary: boolean }> {
  const lib = await installTeacherModel(req);
  return { ...useLibraryTeacher(ws, lib.hash, { name: req.name, files: lib.installedFrom }), inLibrary: lib.existing };
}

export function renameTeacherModel(ref: string, name: string): LibraryTeacher {
  return toLibraryTeacher(renameLibraryModel(libraryTeacher(ref).hash, name));
}

/**
 * Removes a model from the library, refused while a run used it — in this workspace or in any
 * workspace that registered it and can still be opened — naming the run and the workspace. The
 * model's rows go from those workspaces too; a workspace that cannot be opened now keeps its row
 * and is told on use that the model's files are gone. Returns what was done.
 */
export function removeTeacherModel(current: Workspace | null, ref: string): { removed: LibraryTeacher; workspaces: string[]; notes: string[] } {
  const lib = libraryTeacher(ref);
  const notes: string[] = [];
  const opened: { ws: Workspace; mine: boolean }[] = current ? [{ ws: current, mine: true }] : [];
  try {
    for (const root of lib.workspaces) {
      if (current && resolve(root) === resolve(current.root)) continue;
      try {
        opened.push({ ws: Workspace.open(root), mine: false });
      } catch (e) {
        notes.push(`${root} could not be opened to look at its runs (${describe(e).split('\n')[0]})`);
      }
    }
    const users: string[] = [];
    const rows: { ws: Workspace; id: number }[] = [];
    for (const { ws } of opened) {
      for (const m of listTeacherModels(ws).filter((x) => x.hash === lib.hash)) {
        rows.push({ ws, id: m.id });
        for (const r of runsUsingTeacherModel(ws, m.id)) users.push(`${r.kind} run ${r.id} (${r.status}) of ${ws.root}, as teacher model ${m.id}`);
      }
    }
    if (users.length > 0) {
      throw new TeacherModelError(`"${lib.name}" (${lib.hash.slice(0, 12)}) is not removed: ${users.length === 1 ? 'a run used it' : 'runs used it'} — ${users.join('; ')}`);
    }
    for (const r of rows) deleteTeacherModel(r.ws, r.id);
    removeLibraryModel(lib.hash);
    return { removed: lib, workspaces: [...new Set(rows.map((r) => r.ws.root))], notes };
  } finally {
    for (const o of opened) if (!o.mine) o.ws.close();
  }
}

/**
 * The external-data files a model names (TensorProto.external_data entries with key "location"),
 * each once, in order. Read from the .onnx itself, which stays small when the weights are outside.
 * A location must be a relative path inside the model's folder, as onnxruntime requires.
 */
export function externalDataLocations(file: string, part: Part): string[] {
  const bytes = readFileSync(file);
  const found: string[] = [];
  for (let at = bytes.indexOf(EXTERNAL_DATA_MARK); at >= 0; at = bytes.indexOf(EXTERNAL_DATA_MARK, at + 1)) {
    let p = at + EXTERNAL_DATA_MARK.length;
    if (bytes[p] !== 0x12) continue; // value = field 2, length-delimited
    p++;
    let len = 0;
    for (let shift = 0; p < bytes.length; shift += 7) {
      const b = bytes[p++]!;
      len |= (b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    const location = bytes.subarray(p, p + len).toString('utf8');
    if (!found.includes(location)) found.push(location);
  }
  if (found.length === 0) throw new TeacherModelError(`${part} file ${file} marks weights as external data but names no location`);
  for (const location of found) {
    const inside = normalize(location);
    if (isAbsolute(location) || inside.startsWith('..')) {
      throw new TeacherModelError(`${part} file ${file} keeps weights in ${location}, outside its own folder; onnxruntime loads external data only beside the model`);
    }
    const data = resolve(dirname(file), inside);
    if (!existsSync(data)) {
      throw new TeacherModelError(`${part} file ${file} keeps its weights in ${location}, which is not beside it (${data} does not exist); copy the .onnx together with its data file`);
    }
  }
  return found;
}

export function listTeacherModels(ws: Workspace): TeacherModel[] {
  return teacherModelRecords(ws).map(toModel);
}

/** The teacher with this id, or the most recently added one. */
export function getTeacherModel(ws: Workspace, id?: number): TeacherModel {
  const row = teacherModelRecord(ws, id);
  if (!row) {
    if (id !== undefined) throw new TeacherModelError(`no teacher model with id ${id} in ${ws.root}`);
    throw new RemedyError(`no teacher model in ${ws.root}`, {
      cli: `add one with "apprentice models add ${ws.root} --encoder E.onnx --decoder D.onnx --family sam|mobilesam|medsam"`,
      app: 'install one in the Models tab',
    });
  }
  return toModel(row);
}

/**
 * The stored file of a model part that the app runs (in the library, or in the workspace for a
 * model installed before the library), read back against its SHA-256 first.
 */
export function teacherPartPath(ws: Workspace, model: TeacherModel, part: Part): string {
  const f = model.files.find((x) => x.part === part);
  if (!f) throw new TeacherModelError(`teacher model ${model.id} has no ${part} file`);
  const stored = (sha256: string, what: string) => {
    const s = modelFilePath(ws, sha256);
    if (s.missingFrom) throw new TeacherModelError(`teacher model ${model.id} (${model.name}): ${what} (SHA-256 ${sha256}) is missing from ${s.missingFrom}; install the model again`);
    if (s.damaged) throw new TeacherModelError(`teacher model ${model.id} (${model.name}): ${what} ${s.damaged}; install the model again from its original files`);
    return s.path;
  };
  const p = stored(f.sha256, `the ${part} file`);
  if (!f.externalData?.length) return p;
  for (const d of f.externalData) stored(d.sha256, `the ${part}'s external data ${d.location}`);
  // onnxruntime finds external data beside the model file, by the names the model gives it.
  return modelRunFolder(ws, f.sha256, f.externalData);
}

/**
 * Reads a model's files back against their SHA-256 ahead of `teacherPartPath`, without holding the
 * thread (proveModelFile): the first use in a process of a multi-GB encoder would otherwise stop
 * the app for seconds. What is damaged or missing, `teacherPartPath` then reports as always.
 */
export async function proveTeacherFiles(ws: Workspace, model: TeacherModel): Promise<void> {
  for (const f of model.files) {
    for (const sha of [f.sha256, ...(f.externalData ?? []).map((d) => d.sha256)]) await proveModelFile(modelFileLocation(ws, sha), sha);
  }
}

export function teacherPartSha(model: TeacherModel, part: Part): string {
  const f = model.files.find((x) => x.part === part);
  if (!f) throw new TeacherModelError(`teacher model ${model.id} has no ${part} file`);
  return f.sha256;
}
