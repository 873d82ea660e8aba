import type { JobProgress } from '../../shared/contract';
import { runMining } from '../jobs/training-jobs';
import { mineProgressReporter } from '../jobs/progress';
import { withJobSlot } from '../jobs/workspace-lock';
import { resolve } from 'node:path';
import { DEFAULT_EXPERIMENT, PROMPT_PRESETS, runExperiment, type InitFactor, type Method, type PromptPreset } from '../mining/experiment';
import { mineSettings, type Schedule } from '../mining/mine';
import { pseudoLabelVersions } from '../workspace/pseudo-labels';
import type { TeacherSpec } from '../mining/teachers';
import type { PromptSettings } from '../teacher/prompts';
import { ProgressBar } from '../util/progress-bar';
import { interruptSignal, num, UsageError, withWs, type Command, type Flags } from './command';
import { TRAIN_FLAG_OPTIONS, trainSettingsFromFlags } from './train-flags';

const PROMPT_OPTIONS = {
  points: { type: 'string' },
  threshold: { type: 'string' },
  'no-box': { type: 'boolean' },
  'mask-prompt': { type: 'boolean' },
  'per-component': { type: 'boolean' },
  'prompt-seed': { type: 'string' },
} as const;

function promptFlags(flags: Flags): Partial<PromptSettings> {
  const p: Partial<PromptSettings> = {};
  if (flags.points !== undefined) p.points = num(flags, 'points');
  if (flags.threshold !== undefined) p.threshold = num(flags, 'threshold');
  if (flags['no-box']) p.box = false;
  if (flags['mask-prompt']) p.maskPrompt = true;
  if (flags['per-component']) p.perComponent = true;
  if (flags['prompt-seed'] !== undefined) p.seed = num(flags, 'prompt-seed');
  return p;
}

/** --teacher 3 (an installed SAM-family model), oracle, or noisy-oracle (evaluation tools). */
export function teacherFromFlags(flags: Flags): TeacherSpec {
  const t = flags.teacher;
  if (t === undefined)
    throw new UsageError('--teacher is required: an installed model id (apprentice models list), oracle or noisy-oracle');
  if (t === 'oracle') return { kind: 'oracle' };
  if (t === 'noisy-oracle') {
    return {
      kind: 'noisy-oracle',
      maxRadius: num(flags, 'noise-radius', 8),
      dropProbability: num(flags, 'noise-drop', 0.2),
      seed: num(flags, 'noise-seed', 1),
    };
  }
  const id = Number(t);
  if (!Number.isInteger(id) || id <= 0) throw new UsageError(`--teacher must be a model id, oracle or noisy-oracle (got ${String(t)})`);
  return { kind: 'sam', modelId: id };
}

function list<T>(flags: Flags, name: string, parse: (s: string) => T): T[] | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  return String(v)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(parse);
}

function progressBar(json: boolean) {
  const bar = json ? null : new ProgressBar('mine');
  return { bar, onProgress: (p: JobProgress) => bar?.show(p) };
}

export const TEACHER_OPTIONS = {
  teacher: { type: 'string' },
  'noise-radius': { type: 'string' },
  'noise-drop': { type: 'string' },
  'noise-seed': { type: 'string' },
} as const;

export function miningCommands(): Record<string, Command> {
  return {
    mine: {
      summary:
        'mine <ws> --schedule one-time|continuous --teacher <model id|oracle|noisy-oracle> [--base <run>] [--weight 0.5]\n' +
        '     [--points 3 --threshold 0.5 --no-box --mask-prompt --per-component] [train flags] [--resume <run>]\n' +
        '                                          pseudo-labels from the teacher guided by the student, then training on them',
      options: {
        schedule: { type: 'string' },
        base: { type: 'string' },
        weight: { type: 'string' },
        resume: { type: 'string' },
        ...TEACHER_OPTIONS,
        ...PROMPT_OPTIONS,
        ...TRAIN_FLAG_OPTIONS,
      },
      async run(pos, flags, json) {
        const { onProgress, bar } = progressBar(json);
        const resume = flags.resume !== undefined ? num(flags, 'resume') : null;
        const settings =
          resume === null
            ? mineSettings({
                schedule: ((): Schedule => {
                  if (flags.schedule !== 'one-time' && flags.schedule !== 'continuous')
                    throw new UsageError('--schedule must be one-time or continuous');
                  return flags.schedule;
                })(),
                teacher: teacherFromFlags(flags),
                baseRunId: flags.base !== undefined ? num(flags, 'base') : null,
                pseudoWeight: num(flags, 'weight', 0.5),
                prompts: promptFlags(flags),
                train: trainSettingsFromFlags(flags),
              })
            : null;
        const { signal, release: dispose } = interruptSignal();
        try {
          return await withWs(pos, async (ws) => {
            const r = await runMining(ws, settings ? { settings } : { resume: resume! }, { signal, onProgress });
            bar?.done();
            return r;
          });
        } finally {
          dispose();
        }
      },
    },
    experiment: {
      summary:
        'experiment <ws> --teacher <model id|oracle|noisy-oracle> [--name N] [--ratios 1,0.75,0.5] [--schedules supervised,one-time,continuous]\n' +
        '     [--seeds 3] [--val 0.1 --test 0.1] [--weight 0.5] [train flags]\n' +
        '     [--inits scratch,simclr,<pretrain run id>,<weights file>] [--teachers 3,oracle,noisy-oracle] [--prompt-sets points,box,both,mask]\n' +
        "                                          the paper's tables: IoU/Dice mean ± std per ratio, init and method; resumes",
      options: {
        name: { type: 'string' },
        ratios: { type: 'string' },
        schedules: { type: 'string' },
        seeds: { type: 'string' },
        val: { type: 'string' },
        test: { type: 'string' },
        weight: { type: 'string' },
        inits: { type: 'string' },
        teachers: { type: 'string' },
        'prompt-sets': { type: 'string' },
        ...TEACHER_OPTIONS,
        ...PROMPT_OPTIONS,
        ...TRAIN_FLAG_OPTIONS,
      },
      async run(pos, flags, json) {
        const inits = list(flags, 'inits', (s): InitFactor => {
          if (s === 'scratch') return { kind: 'scratch' };
          if (s === 'simclr') return { kind: 'simclr' };
          if (/^\d+$/.test(s)) return { kind: 'run', runId: Number(s) };
          return { kind: 'weights', path: resolve(s) };
        });
        const teachers = list(flags, 'teachers', (s) => teacherFromFlags({ ...flags, teacher: s }));
        const promptSets = list(flags, 'prompt-sets', (s) => {
          if (!(s in PROMPT_PRESETS)) throw new UsageError(`--prompt-sets: one of ${Object.keys(PROMPT_PRESETS).join(', ')} (got "${s}")`);
          return s as PromptPreset;
        });
        const schedules = list(flags, 'schedules', (s) => {
          if (!['supervised', 'one-time', 'continuous'].includes(s)) throw new UsageError(`--schedules: unknown schedule "${s}"`);
          return s as Method;
        });
        const ratios = list(flags, 'ratios', (s) => {
          const r = Number(s);
          if (!(r > 0 && r <= 1)) throw new UsageError(`--ratios must be fractions in (0, 1] (got ${s})`);
          return r;
        });
        const teacher = teachers ? teachers[0]! : teacherFromFlags(flags);
        const spec = {
          ...DEFAULT_EXPERIMENT,
          name: typeof flags.name === 'string' ? flags.name : 'default',
          ratios: ratios ?? DEFAULT_EXPERIMENT.ratios,
          schedules: schedules ?? DEFAULT_EXPERIMENT.schedules,
          seeds: num(flags, 'seeds', DEFAULT_EXPERIMENT.seeds),
          val: num(flags, 'val', DEFAULT_EXPERIMENT.val),
          test: num(flags, 'test', DEFAULT_EXPERIMENT.test),
          pseudoWeight: num(flags, 'weight', DEFAULT_EXPERIMENT.pseudoWeight),
          teacher,
          prompts: promptFlags(flags),
          train: trainSettingsFromFlags(flags),
          ...(inits ? { inits } : {}),
          ...(teachers ? { teachers } : {}),
          ...(promptSets ? { promptSets } : {}),
        };
        const { onProgress, bar } = progressBar(json);
        const { signal, release: dispose } = interruptSignal();
        try {
          return await withWs(pos, async (ws) => {
            const r = await withJobSlot(ws.root, 'experiment', () =>
              runExperiment(ws, spec, { signal, onProgress: mineProgressReporter(onProgress) }),
            );
            bar?.done();
            return {
              name: r.name,
              table: r.table.map((t) => ({
                labeled: t.ratio,
                init: t.init,
                method: t.schedule,
                teacher: t.teacher,
                prompts: t.prompts,
                runs: t.runs,
                iou_mean: t.iou.mean,
                iou_std: t.iou.std,
                dice_mean: t.dice.mean,
                dice_std: t.dice.std,
              })),
              cells: r.cells,
              files: r.files,
            };
          });
        } finally {
          dispose();
        }
      },
    },
    versions: {
      summary: 'versions <ws> --image <id>                pseudo-label versions of an image with their provenance',
      options: { image: { type: 'string' } },
      async run(pos, flags) {
        const id = num(flags, 'image');
        return withWs(pos, (ws) => ({ versions: pseudoLabelVersions(ws, id) }));
      },
    },
  };
}
