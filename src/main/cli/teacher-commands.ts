import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeMaskPng } from '../imaging/mask';
import type { Box } from '../imaging/geometry/frames';
import { FAMILIES } from '../teacher/families';
import type { PromptPoint } from '../teacher/prompts';
import { layoutFeeding as feedingOf } from '../teacher/layouts';
import {
  addTeacherModel,
  checkTeacherFiles,
  getTeacherModel,
  installTeacherModel,
  libraryTeacher,
  listLibraryTeachers,
  listTeacherModels,
  removeTeacherModel,
  renameTeacherModel,
  useLibraryTeacher,
  type LibraryTeacher,
  type TeacherModel,
} from '../teacher/registry';
import { libraryRoot } from '../workspace/model-library';
import type { Workspace } from '../workspace/workspace';
import { releaseTeacherSessions, segmentImage } from '../teacher/segment';
import { num, UsageError, withWs, type Command, type Flags } from './command';
import { DEVICE_OPTION, DEVICE_USAGE, deviceFromFlags } from './device-flag';

const FAMILY_LIST = Object.keys(FAMILIES).join('|');

function str(flags: Flags, name: string): string {
  const v = flags[name];
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${name} is required`);
  return v;
}

function numbers(text: string, what: string, counts: number[]): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const values = parts.map(Number);
  if (!counts.includes(parts.length) || parts.some((p) => p === '') || values.some((v) => !Number.isFinite(v))) {
    throw new UsageError(
      `${what} must be ${counts.map((c) => (c === 2 ? 'x,y' : c === 3 ? 'x,y,label' : 'x0,y0,x1,y1')).join(' or ')} in source pixels (got "${text}")`,
    );
  }
  return values;
}

export function parsePoint(text: string): PromptPoint {
  const [x, y, label = 1] = numbers(text, '--point', [2, 3]) as [number, number, number?];
  if (label !== 0 && label !== 1) throw new UsageError(`--point label must be 1 (foreground) or 0 (background) (got "${text}")`);
  return { x, y, label };
}

export function parseBox(text: string): Box {
  const [x0, y0, x1, y1] = numbers(text, '--box', [4]) as [number, number, number, number];
  if (x1 <= x0 || y1 <= y0) throw new UsageError(`--box needs x0 < x1 and y0 < y1 (got "${text}")`);
  return { x0, y0, x1, y1 };
}

const summaryOf = (m: TeacherModel) => ({
  id: m.id,
  hash: m.hash,
  family: m.family,
  name: m.name,
  libraryName: m.libraryName,
  files: m.files,
  encoder: `${m.interface.encoder.input} ${m.interface.encoder.layout}`,
  masks: m.interface.decoder.maskCount,
  ...feedingOf(m.interface),
  createdAt: m.createdAt,
});

const librarySummaryOf = (m: LibraryTeacher, here: readonly TeacherModel[] = []) => ({
  hash: m.hash,
  family: m.family,
  name: m.name,
  files: m.files,
  encoder: `${m.interface.encoder.input} ${m.interface.encoder.layout}`,
  masks: m.interface.decoder.maskCount,
  ...feedingOf(m.interface),
  addedAt: m.addedAt,
  workspaces: m.workspaces,
  usedHere: here.find((x) => x.hash === m.hash)?.id ?? null,
});

type ModelLine = { id?: number; hash: string; family: string; name: string; layout: string; encoder: string; masks: number; takesBox: boolean; usedHere?: number | null };

function printModel(m: ModelLine, where: string): void {
  console.log(
    `${m.hash.slice(0, 12)}  ${m.family.padEnd(9)} ${m.name}  (${m.layout}: ${m.encoder}, ${m.masks} mask${m.masks === 1 ? '' : 's'}${m.takesBox ? '' : ', no box input'})${where}`,
  );
}

/** `<model>` of rename/remove/use: a library hash (or 6+ hex digits of it), or with a workspace, its model id. */
function modelRef(ws: Workspace | null, ref: string | undefined): string {
  if (!ref) throw new UsageError('name the model: its hash from "apprentice models list" (or, after a workspace, its id there)');
  if (ws && /^\d+$/.test(ref)) return getTeacherModel(ws, Number(ref)).hash;
  return libraryTeacher(ref).hash;
}

/** `[<ws>] <model>`: two positionals are a workspace and a model, one is a model in the library. */
async function withOptionalWs<T>(pos: string[], fn: (ws: Workspace | null, model: string | undefined) => Promise<T> | T): Promise<T> {
  if (pos.length >= 2) return withWs(pos, (ws) => fn(ws, pos[1]));
  return fn(null, pos[0]);
}

export function teacherCommands(): Record<string, Command> {
  return {
    models: {
      summary:
        `models add [<ws>] --encoder E.onnx --decoder D.onnx --family ${FAMILY_LIST} [--name N] | models list [<ws>] | models use <ws> <model>\n` +
        `                                          | models rename [<ws>] <model> --name N | models remove [<ws>] <model> | models check --encoder E.onnx --decoder D.onnx --family F\n` +
        `                                          teacher (SAM-family ONNX) models: installed once in this machine's library (${libraryRoot()}), used by any workspace`,
      options: { encoder: { type: 'string' }, decoder: { type: 'string' }, family: { type: 'string' }, name: { type: 'string' } },
      async run(pos, flags) {
        const [sub, ...rest] = pos;
        if (sub === 'add') {
          const req = {
            encoder: str(flags, 'encoder'),
            decoder: str(flags, 'decoder'),
            family: str(flags, 'family'),
            name: flags.name as string | undefined,
          };
          if (rest.length === 0) {
            const m = await installTeacherModel(req);
            return { ...librarySummaryOf(m), existing: m.existing, inLibrary: m.existing, interface: m.interface };
          }
          return withWs(rest, async (ws) => {
            const m = await addTeacherModel(ws, req);
            return { ...summaryOf(m), existing: m.existing, inLibrary: m.inLibrary, interface: m.interface };
          });
        }
        if (sub === 'list') {
          if (rest.length === 0) return { library: listLibraryTeachers().map((m) => librarySummaryOf(m)) };
          return withWs(rest, (ws) => {
            const here = listTeacherModels(ws);
            return { models: here.map(summaryOf), library: listLibraryTeachers().map((m) => librarySummaryOf(m, here)) };
          });
        }
        if (sub === 'use') {
          if (rest.length < 2) throw new UsageError('models use needs a workspace and a model: models use <ws> <hash>');
          return withWs(rest, (ws) => {
            const m = useLibraryTeacher(ws, libraryTeacher(rest[1]!).hash);
            return { ...summaryOf(m), existing: m.existing, inLibrary: true };
          });
        }
        if (sub === 'rename') {
          const name = str(flags, 'name');
          return withOptionalWs(rest, (ws, ref) => ({ renamed: librarySummaryOf(renameTeacherModel(modelRef(ws, ref), name), ws ? listTeacherModels(ws) : []) }));
        }
        if (sub === 'remove') {
          return withOptionalWs(rest, (ws, ref) => {
            const r = removeTeacherModel(ws, modelRef(ws, ref));
            return { removed: { hash: r.removed.hash, name: r.removed.name }, workspaces: r.workspaces, notes: r.notes };
          });
        }
        if (sub === 'check') {
          const iface = await checkTeacherFiles({
            encoder: str(flags, 'encoder'),
            decoder: str(flags, 'decoder'),
            family: str(flags, 'family'),
          });
          return { ok: true, ...feedingOf(iface), interface: iface };
        }
        throw new UsageError(`models needs a subcommand: use, rename, remove, add, list or check (got ${sub ? `"${sub}"` : 'none'})`);
      },
      print(result) {
        const r = result as {
          models?: ReturnType<typeof summaryOf>[];
          library?: ReturnType<typeof librarySummaryOf>[];
          renamed?: ReturnType<typeof librarySummaryOf>;
          removed?: { hash: string; name: string };
          workspaces?: string[];
          notes?: string[];
          id?: number;
          hash?: string;
          existing?: boolean;
          inLibrary?: boolean;
          name?: string;
          ok?: boolean;
        } & Partial<ReturnType<typeof feedingOf>>;
        if (r.library) {
          console.log(`model library ${libraryRoot()}`);
          if (r.library.length === 0) console.log('  no teacher models; install one with "apprentice models add"');
          for (const m of r.library) printModel(m, m.usedHere ? `  — model ${m.usedHere} in this workspace` : '');
          // Installed before the library: kept in the workspace itself.
          const local = (r.models ?? []).filter((m) => m.libraryName === null);
          if (local.length) console.log('in this workspace only (installed before the library):');
          for (const m of local) printModel(m, `  — model ${m.id} in this workspace`);
        } else if (r.renamed) console.log(`renamed: ${r.renamed.hash.slice(0, 12)} is now "${r.renamed.name}"`);
        else if (r.removed) {
          console.log(`removed "${r.removed.name}" (${r.removed.hash.slice(0, 12)}) from the library${r.workspaces?.length ? ` and from ${r.workspaces.join(', ')}` : ''}`);
          for (const n of r.notes ?? []) console.log(`note: ${n}`);
        } else if (r.hash !== undefined && !r.ok) {
          const copy = r.inLibrary ? 'already in the library (nothing copied)' : 'installed in the library';
          console.log(r.id !== undefined ? `${r.existing ? 'already present' : 'added'}: teacher model ${r.id} (${r.name}), ${copy}, layout ${r.layout}` : `${copy}: ${r.hash.slice(0, 12)} (${r.name}), layout ${r.layout}`);
        }
        if (r.layout && !r.library) {
          console.log(`layout         ${r.layout} — ${r.layoutLabel}`);
          console.log(`preprocessing  ${r.preprocessing}`);
          console.log(`prompts        ${r.prompts}`);
          if (!r.takesBox) console.log('box prompts    not taken by this export: mining\'s boxes are translated (see prompts)');
          if (r.takesPoints === false) console.log('point prompts  not taken by this export (box only): mining\'s points are dropped, the box is required');
        } else if (!r.library && !r.renamed && !r.removed && r.hash === undefined) console.log(JSON.stringify(result, null, 2));
      },
    },
    segment: {
      summary:
        `segment <ws> --image <id> [--point x,y[,label]]... [--box x0,y0,x1,y1] [--model <id>] [${DEVICE_USAGE}] [--out file.png]\n                                          the teacher's mask for prompts in source pixels; PNG under <ws>/exports/`,
      options: {
        image: { type: 'string' },
        point: { type: 'string', multiple: true },
        box: { type: 'string' },
        model: { type: 'string' },
        ...DEVICE_OPTION,
        out: { type: 'string' },
      },
      async run(pos, flags) {
        const imageId = num(flags, 'image');
        const points = ((flags.point as string[] | undefined) ?? []).map(parsePoint);
        const box = typeof flags.box === 'string' ? parseBox(flags.box) : null;
        if (points.length === 0 && !box) throw new UsageError('segment needs at least one --point or a --box');
        const modelId = flags.model !== undefined ? num(flags, 'model') : undefined;
        return withWs(pos, async (ws) => {
          try {
            const r = await segmentImage(ws, imageId, { points, box }, { modelId, device: deviceFromFlags(flags) });
            let file = flags.out as string | undefined;
            if (!file) {
              const dir = join(ws.root, 'exports');
              mkdirSync(dir, { recursive: true });
              file = join(dir, `segment-image${imageId}-teacher${r.modelId}-${new Date().toISOString().replace(/[:.]/g, '-')}.png`);
            }
            writeFileSync(file, encodeMaskPng(r.mask));
            return {
              image: imageId,
              model: r.modelId,
              family: r.family,
              width: r.mask.width,
              height: r.mask.height,
              area: r.area,
              iou_prediction: r.iouPrediction,
              encoder_ms: Math.round(r.encoderMs * 10) / 10,
              decoder_ms: Math.round(r.decoderMs * 10) / 10,
              embedding: r.embedding,
              device: r.device,
              notes: r.notes,
              mask: file,
            };
          } finally {
            await releaseTeacherSessions();
          }
        });
      },
      print(result) {
        const r = result as {
          area: number;
          iou_prediction: number;
          encoder_ms: number;
          decoder_ms: number;
          embedding: string;
          device: string;
          mask: string;
        };
        console.log(
          `mask ${r.mask}\narea ${r.area} px, iou_prediction ${r.iou_prediction.toFixed(3)}, encoder ${r.encoder_ms} ms (${r.embedding}), decoder ${r.decoder_ms} ms on ${r.device}`,
        );
      },
    },
  };
}
