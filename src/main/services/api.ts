import {
  commands,
  isCommandName,
  type CommandName,
  type CommandOutput,
  type CommandParsedInput,
  type JobEvent,
} from '../../shared/contract';
import type { TeacherModelSummary } from '../../shared/contract';
import { exportMasks } from '../export/export-masks';
import { encodeMaskPng } from '../imaging/mask';
import { addTeacherModel, listTeacherModels, type TeacherModel } from '../teacher/registry';
import { releaseTeacherSessions, segmentImage } from '../teacher/segment';
import { runCliJob } from '../jobs/cli-job';
import { acceptPseudoLabel, correctPseudoLabel, rejectPseudoLabel, reviewImage, reviewQueue } from '../mining/review';
import { JobRunner } from '../jobs/jobs';
import { listRuns, runMetrics } from '../workspace/runs';
import { imageDetail, listImages, maskPngDataUrl, thumbnailDataUrl, viewerPixels, workspaceStatus } from '../workspace/images';
import { importImages } from '../workspace/import';
import { createSplit } from '../workspace/splits';
import { Workspace } from '../workspace/workspace';
import { appVersion } from '../util/package-root';
import { doctor } from './doctor';

/** { epochs: 5, lr: 1e-4 } → ['--epochs', '5', '--lr', '0.0001']: the CLI is the engine's one front door. */
export function settingsToFlags(settings: Record<string, number | string | boolean | undefined>): string[] {
  return Object.entries(settings).flatMap(([k, v]) => (v === undefined || v === false ? [] : v === true ? [`--${k}`] : [`--${k}`, String(v)]));
}

function teacherSummary(m: TeacherModel): TeacherModelSummary {
  return { id: m.id, family: m.family, name: m.name, files: m.files, createdAt: m.createdAt };
}

type Handlers = { [K in CommandName]: (input: CommandParsedInput<K>) => Promise<CommandOutput<K>> | CommandOutput<K> };

export class ApiError extends Error {}

/**
 * The main-process side of the contract: one instance per window or host, holding the open
 * workspace. `dispatch` is the only entry point and validates every message before a handler runs.
 */
export class ApiService {
  private ws: Workspace | null = null;
  readonly jobs = new JobRunner();
  private readonly handlers: Handlers;

  constructor(readonly transport: 'ipc' | 'websocket') {
    this.handlers = {
      'app.info': () => ({ version: appVersion(), workspace: this.ws?.root ?? null, transport: this.transport }),
      'workspace.open': async ({ path, create }) => {
        const next = Workspace.open(path, { create });
        await releaseTeacherSessions();
        this.ws?.close();
        this.ws = next;
        return workspaceStatus(next);
      },
      'workspace.status': () => workspaceStatus(this.workspace()),
      'images.list': ({ offset, limit }) => listImages(this.workspace(), offset, limit),
      'images.get': ({ id }) => imageDetail(this.workspace(), id),
      'images.thumbnail': ({ id }) => ({ dataUrl: thumbnailDataUrl(this.workspace(), id) }),
      'images.pixels': ({ id }) => viewerPixels(this.workspace(), id),
      'images.mask': ({ id }) => maskPngDataUrl(this.workspace(), id),
      'import.start': ({ paths, masks }) => {
        const ws = this.workspace();
        const { jobId } = this.jobs.start('import', (ctx) =>
          importImages(ws, { paths, masks }, { signal: ctx.signal, onProgress: (p) => ctx.progress(p.done, p.total, p.file) }),
        );
        return { jobId };
      },
      'jobs.cancel': ({ jobId }) => ({ cancelled: this.jobs.cancel(jobId) }),
      'split.create': (req) => createSplit(this.workspace(), req),
      'runs.list': () => ({ runs: listRuns(this.workspace()) }),
      'runs.metrics': ({ runId }) => ({ points: runMetrics(this.workspace(), runId) }),
      'train.start': ({ settings, resume }) => {
        const ws = this.workspace();
        const args = ['train', ws.root, ...settingsToFlags(settings), ...(resume ? ['--resume', String(resume)] : [])];
        return { jobId: this.jobs.start('train', (ctx) => runCliJob(args, ctx)).jobId };
      },
      'export.masks': ({ imageIds, outDir, format }) => ({ exported: exportMasks(this.workspace(), { imageIds, outDir, format }) }),
      'models.list': () => ({ models: listTeacherModels(this.workspace()).map(teacherSummary) }),
      'models.add': async (req) => teacherSummary(await addTeacherModel(this.workspace(), req)),
      segment: async ({ imageId, points, box, modelId }) => {
        if (points.length === 0 && !box) throw new ApiError('give SAM a point or a box');
        const r = await segmentImage(this.workspace(), imageId, { points, box }, { modelId });
        return {
          maskDataUrl: `data:image/png;base64,${encodeMaskPng(r.mask).toString('base64')}`,
          area: r.area,
          iouPrediction: r.iouPrediction,
          encoderMs: r.encoderMs,
          decoderMs: r.decoderMs,
          provider: r.provider,
        };
      },
      doctor: () => doctor(),
      'review.queue': ({ offset, limit }) => reviewQueue(this.workspace(), offset, limit),
      'review.image': ({ imageId }) => reviewImage(this.workspace(), imageId),
      'review.accept': ({ pseudoLabelId }) => acceptPseudoLabel(this.workspace(), pseudoLabelId),
      'review.reject': ({ pseudoLabelId }) => rejectPseudoLabel(this.workspace(), pseudoLabelId),
      'review.correct': ({ pseudoLabelId, maskDataUrl }) => correctPseudoLabel(this.workspace(), pseudoLabelId, maskDataUrl),
    };
  }

  openWorkspace(path: string, create = false): void {
    this.ws?.close();
    this.ws = Workspace.open(path, { create });
  }

  private workspace(): Workspace {
    if (!this.ws) throw new ApiError('no workspace is open');
    return this.ws;
  }

  onJobEvent(listener: (e: JobEvent) => void): () => void {
    return this.jobs.onEvent(listener);
  }

  async dispatch(name: string, rawInput: unknown): Promise<unknown> {
    if (!isCommandName(name)) throw new ApiError(`unknown command: ${String(name).slice(0, 64)}`);
    const parsed = commands[name].input.safeParse(rawInput ?? {});
    if (!parsed.success)
      throw new ApiError(
        `invalid input for ${name}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'} ${i.message}`).join('; ')}`,
      );
    const handler = this.handlers[name] as (input: unknown) => unknown;
    return await handler(parsed.data);
  }

  close(): void {
    void releaseTeacherSessions();
    this.ws?.close();
    this.ws = null;
  }
}
