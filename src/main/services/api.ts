import {
  commands,
  isCommandName,
  type CommandName,
  type CommandOutput,
  type CommandParsedInput,
  type JobEvent,
} from '../../shared/contract';
import type { JobProgress, JobRequest, LibraryModelSummary, TeacherChoice, TeacherModelSummary } from '../../shared/contract';
import { ModeInference, predictSet } from '../mining/inference';
import { exportOnnx } from '../student/onnx-export';
import { loadStudentFromRun } from '../student/predict';
import { writeFileAtomic } from '../util/atomic-write';
import { exportMasks } from '../export/export-masks';
import { selectedImageIds } from '../export/selection';
import { encodeGreyPng, encodeMaskPng } from '../imaging/mask';
import {
  addTeacherModel,
  listLibraryTeachers,
  listTeacherModels,
  removeTeacherModel,
  renameTeacherModel,
  useLibraryTeacher,
  type LibraryTeacher,
  type TeacherModel,
} from '../teacher/registry';
import { layoutFeeding } from '../teacher/layouts';
import { imageEmbedding, releaseTeacherSessions, segmentImage } from '../teacher/segment';
import { EmbeddingPrecompute } from '../teacher/precompute';
import { embeddingCache, pruneStaleEmbeddings } from '../teacher/embeddings';
import { encodeCompactMask } from '../../shared/compact-mask';
import { teacherSpecOf } from '../jobs/training-jobs';
import { runWorkerJob } from '../jobs/worker-job';
import { runningJob, WorkspaceBusyError } from '../jobs/workspace-lock';
import { acceptPseudoLabel, correctPseudoLabel, rejectPseudoLabel, reviewImage, reviewQueue } from '../mining/review';
import { saveLabel, teacherRef } from '../labeling/save-label';
import { groundTruthVersions, loadLabelMap, structureUsage } from '../workspace/masks';
import { encodeCompactLabelMap } from '../../shared/compact-label-map';
import { JobRunner } from '../jobs/jobs';
import { listRuns, runMetrics } from '../workspace/runs';
import { imageDetail, listImages, maskPngDataUrl, thumbnailDataUrl, viewerPixels, workspaceStatus } from '../workspace/images';
import { importImages } from '../workspace/import';
import { addStructure, labelSchema, updateStructure } from '../workspace/labels';
import { seriesTree } from '../workspace/series';
import { assignSubset, createSplit } from '../workspace/splits';
import { checkWorkspace } from '../workspace/verify';
import { Workspace } from '../workspace/workspace';
import { jobNoun } from '../jobs/workspace-lock';
import { appVersion } from '../util/package-root';
import { doctor } from './doctor';
import { describeForApp, RemedyError } from '../util/errors';

function teacherSummary(m: TeacherModel): TeacherModelSummary {
  const { layout, preprocessing, prompts, takesBox, takesPoints } = layoutFeeding(m.interface);
  return { id: m.id, family: m.family, name: m.name, files: m.files, layout, preprocessing, prompts, takesBox, takesPoints, hash: m.hash, libraryName: m.libraryName, createdAt: m.createdAt };
}

function librarySummary(m: LibraryTeacher, here: readonly TeacherModel[]): LibraryModelSummary {
  const { layout, preprocessing, prompts, takesBox, takesPoints } = layoutFeeding(m.interface);
  const usedHere = here.find((x) => x.hash === m.hash)?.id ?? null;
  return { hash: m.hash, family: m.family, name: m.name, files: m.files, layout, preprocessing, prompts, takesBox, takesPoints, addedAt: m.addedAt, workspaces: m.workspaces, usedHere };
}

function pngDataUrl(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}

/** A batch's progress: files or images done of the total, and the time left at the pace so far. */
function batchProgress(phase: 'export' | 'predict', done: number, total: number, message: string, started: number): JobProgress {
  const elapsed = (Date.now() - started) / 1000;
  return { phase, done, total, message, runId: null, epoch: null, metrics: null, eta: done > 0 ? (elapsed / done) * (total - done) : null };
}

type Handlers = { [K in CommandName]: (input: CommandParsedInput<K>) => Promise<CommandOutput<K>> | CommandOutput<K> };

export class ApiError extends Error {}

/**
 * In the background after a workspace opens: embeddings cached by a preprocessing this version no
 * longer does are deleted (4 MB each; an upgrade that changes a recipe would otherwise leave them
 * for good). A failure — the workspace closed meanwhile, a file in use — leaves them for next time.
 */
function sweepStaleEmbeddings(ws: Workspace): void {
  void pruneStaleEmbeddings(ws).catch(() => undefined);
}

/**
 * The main-process side of the contract: one instance per window or host, holding the open
 * workspace. `dispatch` is the only entry point and validates every message before a handler runs.
 */
export class ApiService {
  private ws: Workspace | null = null;
  readonly jobs = new JobRunner();
  /** The next frames' SAM embeddings, made while the radiologist looks at this one; prompts go first. */
  readonly precompute = new EmbeddingPrecompute();
  private readonly handlers: Handlers;

  constructor(readonly transport: 'ipc' | 'websocket') {
    this.handlers = {
      'app.info': () => ({ version: appVersion(), workspace: this.ws?.root ?? null, transport: this.transport }),
      'workspace.open': async ({ path, create }) => {
        const next = Workspace.open(path, { create });
        await this.releaseEngines();
        this.ws?.close();
        this.ws = next;
        sweepStaleEmbeddings(next);
        return workspaceStatus(next);
      },
      'workspace.status': () => workspaceStatus(this.workspace()),
      'images.list': ({ offset, limit }) => listImages(this.workspace(), offset, limit),
      'images.get': ({ id }) => imageDetail(this.workspace(), id),
      'images.thumbnail': ({ id }) => ({ dataUrl: thumbnailDataUrl(this.workspace(), id) }),
      'images.pixels': ({ id }) => viewerPixels(this.workspace(), id),
      'images.mask': ({ id }) => maskPngDataUrl(this.workspace(), id),
      'series.list': () => ({ patients: seriesTree(this.workspace()) }),
      'labels.list': () => ({ structures: labelSchema(this.workspace()) }),
      'labels.add': (structure) => addStructure(this.workspace(), structure),
      'labels.update': ({ value, ...patch }) => updateStructure(this.workspace(), value, patch),
      'labels.usage': () => ({ usage: structureUsage(this.workspace()) }),
      'import.start': ({ paths, masks, ignore, newStructures, niftiAxis, segThreshold }) => {
        const ws = this.workspace();
        const { jobId } = this.jobs.start('import', (ctx) =>
          importImages(ws, { paths, masks, ignore, newStructures, niftiAxis, segThreshold }, {
            signal: ctx.signal,
            onProgress: (p) =>
              ctx.progress({ phase: 'import', done: p.done, total: p.total, message: p.file, runId: null, epoch: null, metrics: null, eta: null }),
          }),
        );
        return { jobId };
      },
      'workspace.check': ({ repair }) => {
        const ws = this.workspace();
        const { jobId } = this.jobs.start('check', (ctx) =>
          checkWorkspace(ws, {
            repair,
            signal: ctx.signal,
            onProgress: (done, total) =>
              ctx.progress({ phase: 'check', done, total, message: 'checking stored files', runId: null, epoch: null, metrics: null, eta: null }),
          }),
        );
        return { jobId };
      },
      'jobs.cancel': ({ jobId }) => ({ cancelled: this.jobs.cancel(jobId) }),
      'split.create': (req) => createSplit(this.workspace(), req),
      'split.assign': ({ imageIds, subset }) => assignSubset(this.workspace(), imageIds, subset),
      'runs.list': () => ({ runs: listRuns(this.workspace()) }),
      'runs.metrics': ({ runId }) => ({ points: runMetrics(this.workspace(), runId) }),
      'train.start': ({ settings, resume }) => this.startWorkerJob({ kind: 'train', workspace: this.workspace().root, settings, resume }),
      'pretrain.start': ({ settings, resume }) => this.startWorkerJob({ kind: 'pretrain', workspace: this.workspace().root, settings, resume }),
      'mine.start': ({ request, resume }) => {
        if (!request && !resume) throw new ApiError('give mining settings or a run to resume');
        return this.startWorkerJob({ kind: 'mine', workspace: this.workspace().root, request, resume });
      },
      'experiment.start': ({ request }) => this.startWorkerJob({ kind: 'experiment', workspace: this.workspace().root, request }),
      predict: async ({ imageId, mode, runId, teacher }) => {
        const inference = await this.inference(runId, mode === 'refine' ? (teacher ?? this.defaultTeacher()) : null);
        const p = await inference.predict(imageId, mode);
        const grey = new Uint8Array(p.prob.length);
        for (let i = 0; i < grey.length; i++) grey[i] = Math.round(p.prob[i]! * 255);
        return {
          imageId,
          mode,
          maskDataUrl: pngDataUrl(encodeMaskPng(p.mask)),
          probDataUrl: pngDataUrl(encodeGreyPng({ width: p.mask.width, height: p.mask.height, data: grey })),
          area: p.area,
          latencyMs: p.latencyMs,
          studentMs: p.studentMs,
          teacherMs: p.teacherMs,
          prompts: (p.prompts as { points: { x: number; y: number; label: number }[]; box: { x0: number; y0: number; x1: number; y1: number } | null }[]) ?? [],
        };
      },
      'student.export': ({ runId, out }) => {
        const model = loadStudentFromRun(this.workspace(), runId);
        const bytes = exportOnnx(model.config, model.weights, { size: model.size, dynamicBatch: true });
        writeFileAtomic(out, bytes);
        return { file: out, bytes: bytes.length };
      },
      'export.start': ({ images, source, outDir, format, label }) => {
        const ws = this.workspace();
        const imageIds = selectedImageIds(ws, images);
        const started = Date.now();
        return {
          jobId: this.jobs.start('export', (ctx) =>
            exportMasks(ws, { imageIds, outDir, format, source, label }, {
              signal: ctx.signal,
              onProgress: (done, total, imageId) => ctx.progress(batchProgress('export', done, total, `image ${imageId}`, started)),
            }),
          ).jobId,
        };
      },
      'predict.start': ({ images, mode, runId, teacher, outDir, format, label }) => {
        const ws = this.workspace();
        const imageIds = selectedImageIds(ws, images);
        const spec = mode === 'refine' ? teacherSpecOf(teacher ?? this.defaultTeacher()) : null;
        const started = Date.now();
        return {
          jobId: this.jobs.start('predict', async (ctx) => {
            ctx.progress(batchProgress('predict', 0, imageIds.length, 'loading the student', started));
            // Its own student and teacher: the Viewer's mode toggle may switch the cached ones meanwhile.
            const inference = await ModeInference.open(ws, { runId, teacher: spec });
            try {
              return await predictSet(ws, inference, { imageIds, mode, outDir, format, label }, {
                signal: ctx.signal,
                onProgress: (done, total, imageId) => ctx.progress(batchProgress('predict', done, total, `image ${imageId}`, started)),
              });
            } finally {
              await inference.close();
            }
          }).jobId,
        };
      },
      'models.list': () => {
        const here = listTeacherModels(this.workspace());
        return { models: here.map(teacherSummary), library: listLibraryTeachers().map((m) => librarySummary(m, here)) };
      },
      'models.use': ({ hash }) => teacherSummary(useLibraryTeacher(this.workspace(), hash)),
      'models.rename': ({ hash, name }) => librarySummary(renameTeacherModel(hash, name), listTeacherModels(this.workspace())),
      'models.remove': ({ hash }) => {
        const r = removeTeacherModel(this.workspace(), hash);
        return { removed: r.removed.name, workspaces: r.workspaces, notes: r.notes };
      },
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
          device: r.device,
          teacher: teacherRef(this.workspace(), r.modelId),
        };
      },
      'segment.interactive': async ({ imageId, points, box, modelId }) => {
        if (points.length === 0 && !box) throw new ApiError('give SAM a point or a box');
        const ws = this.workspace();
        const r = await this.precompute.foreground(imageId, () => segmentImage(ws, imageId, { points, box }, { modelId, lowResOnly: true }));
        return {
          mask: encodeCompactMask(r.mask.data, r.mask.width, r.mask.height),
          area: r.area,
          iouPrediction: r.iouPrediction,
          encoderMs: r.encoderMs,
          decoderMs: r.decoderMs,
          device: r.device,
          teacher: teacherRef(ws, r.modelId),
        };
      },
      'segment.embed': async ({ imageId, modelId }) => {
        const ws = this.workspace();
        const p = await this.precompute.foreground(imageId, () => imageEmbedding(ws, imageId, { modelId }));
        return { source: p.embedding.source, encoderMs: p.embedding.encoderMs };
      },
      'segment.precompute': ({ imageIds, modelId }) => {
        const ws = this.workspace();
        const queued = this.precompute.schedule(imageIds, async (id) => (await imageEmbedding(ws, id, { modelId })).embedding.source === 'encoder');
        return { queued };
      },
      doctor: () => doctor(),
      'review.queue': ({ offset, limit }) => reviewQueue(this.workspace(), offset, limit),
      'review.image': ({ imageId }) => reviewImage(this.workspace(), imageId),
      'review.accept': ({ pseudoLabelId }) => acceptPseudoLabel(this.workspace(), pseudoLabelId),
      'review.reject': ({ pseudoLabelId }) => rejectPseudoLabel(this.workspace(), pseudoLabelId),
      'review.correct': ({ pseudoLabelId, maskDataUrl }) => correctPseudoLabel(this.workspace(), pseudoLabelId, maskDataUrl),
      'masks.save': (req) => saveLabel(this.workspace(), req),
      'masks.versions': ({ imageId }) => ({ versions: groundTruthVersions(this.workspace(), imageId) }),
      'masks.labelMap': ({ imageId }) => {
        const map = loadLabelMap(this.workspace(), imageId);
        return { labelMap: map && encodeCompactLabelMap(map.data, map.width, map.height) };
      },
    };
  }

  /**
   * The workspace's job queue: a second training or mining is refused, naming the one that runs —
   * whether this app started it or another process (a CLI) holds the workspace's job slot.
   */
  private startWorkerJob(request: JobRequest): { jobId: string } {
    const ours = this.jobs.runningKinds().find((k) => k === 'train' || k === 'mine' || k === 'experiment' || k === 'pretrain');
    if (ours) throw new ApiError(`${jobNoun(ours)} started from this window is still running; wait for it or cancel it first`);
    const other = runningJob(request.workspace);
    if (other) throw new ApiError(new WorkspaceBusyError(other).message);
    return { jobId: this.jobs.start(request.kind, (ctx) => runWorkerJob(request, ctx)).jobId };
  }

  private inferenceCache: { key: string; inference: Promise<ModeInference> } | null = null;

  /** One loaded student (and teacher) for the mode toggle: reopened only when the choice changes. */
  private async inference(runId: number | undefined, teacher: TeacherChoice | null): Promise<ModeInference> {
    const key = JSON.stringify([this.ws?.root, runId ?? null, teacher]);
    if (this.inferenceCache?.key !== key) {
      const previous = this.inferenceCache;
      this.inferenceCache = {
        key,
        inference: ModeInference.open(this.workspace(), { runId, teacher: teacher ? teacherSpecOf(teacher) : null }),
      };
      this.inferenceCache.inference.catch(() => (this.inferenceCache = null));
      if (previous) void previous.inference.then((i) => i.close()).catch(() => undefined);
    }
    return this.inferenceCache.inference;
  }

  private defaultTeacher(): TeacherChoice {
    const models = listTeacherModels(this.workspace());
    if (models.length === 0) throw new ApiError('refine mode needs a teacher: install a SAM-family model in Models');
    return { kind: 'sam', modelId: models.at(-1)!.id };
  }

  openWorkspace(path: string, create = false): void {
    this.ws?.close();
    this.ws = Workspace.open(path, { create });
    sweepStaleEmbeddings(this.ws);
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
    try {
      return await handler(parsed.data);
    } catch (e) {
      // Errors reach the app's window from here: remedies name its tabs and buttons, not CLI commands.
      if (e instanceof RemedyError) throw new ApiError(describeForApp(e));
      throw e;
    }
  }

  /** Sessions, loaded students and embeddings in memory belong to one workspace: let them go when it changes. */
  private async releaseEngines(): Promise<void> {
    if (this.ws) embeddingCache.forgetWorkspace(this.ws);
    this.precompute.cancel();
    await this.precompute.idle();
    const cached = this.inferenceCache;
    this.inferenceCache = null;
    if (cached) await cached.inference.then((i) => i.close()).catch(() => undefined);
    await releaseTeacherSessions();
  }

  close(): void {
    void this.releaseEngines();
    this.ws?.close();
    this.ws = null;
  }
}
