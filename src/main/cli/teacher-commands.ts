import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeMaskPng } from '../imaging/mask';
import type { Box } from '../imaging/geometry/frames';
import { FAMILIES } from '../teacher/families';
import type { PromptPoint } from '../teacher/prompts';
import { layoutFeeding as feedingOf } from '../teacher/layouts';
import { addTeacherModel, checkTeacherFiles, listTeacherModels, type TeacherModel } from '../teacher/registry';
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
  family: m.family,
  name: m.name,
  files: m.files,
  encoder: `${m.interface.encoder.input} ${m.interface.encoder.layout}`,
  masks: m.interface.decoder.maskCount,
  ...feedingOf(m.interface),
  createdAt: m.createdAt,
});

export function teacherCommands(): Record<string, Command> {
  return {
    models: {
      summary: `models add <ws> --encoder E.onnx --decoder D.onnx --family ${FAMILY_LIST} [--name N] | models list <ws> | models check --encoder E.onnx --decoder D.onnx --family F\n                                          teacher (SAM-family ONNX) models: check, add to the workspace, list`,
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
          return withWs(rest, async (ws) => {
            const m = await addTeacherModel(ws, req);
            return { ...summaryOf(m), existing: m.existing, interface: m.interface };
          });
        }
        if (sub === 'list') return withWs(rest, (ws) => ({ models: listTeacherModels(ws).map(summaryOf) }));
        if (sub === 'check') {
          const iface = await checkTeacherFiles({
            encoder: str(flags, 'encoder'),
            decoder: str(flags, 'decoder'),
            family: str(flags, 'family'),
          });
          return { ok: true, ...feedingOf(iface), interface: iface };
        }
        throw new UsageError(`models needs a subcommand: add, list or check (got ${sub ? `"${sub}"` : 'none'})`);
      },
      print(result) {
        const r = result as { models?: ReturnType<typeof summaryOf>[]; id?: number; existing?: boolean; name?: string; ok?: boolean } & Partial<ReturnType<typeof feedingOf>>;
        if (r.models) {
          if (r.models.length === 0) console.log('no teacher models; add one with "apprentice models add"');
          for (const m of r.models)
            console.log(
              `${String(m.id).padStart(4)}  ${m.family.padEnd(9)} ${m.name}  (${m.layout}: ${m.encoder}, ${m.masks} mask${m.masks === 1 ? '' : 's'}${m.takesBox ? '' : ', no box input'})`,
            );
        } else if (r.id !== undefined) console.log(`${r.existing ? 'already present' : 'added'}: teacher model ${r.id} (${r.name}), layout ${r.layout}`);
        if (r.layout && !r.models) {
          console.log(`layout         ${r.layout} — ${r.layoutLabel}`);
          console.log(`preprocessing  ${r.preprocessing}`);
          console.log(`prompts        ${r.prompts}`);
          if (!r.takesBox) console.log('box prompts    not taken by this export: mining\'s boxes are translated (see prompts)');
          if (r.takesPoints === false) console.log('point prompts  not taken by this export (box only): mining\'s points are dropped, the box is required');
        } else if (!r.models && r.id === undefined) console.log(JSON.stringify(result, null, 2));
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
