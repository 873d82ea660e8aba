import { z } from 'zod';

// The one contract between the renderer and the main process. Both transports — Electron IPC
// through the preload and the loopback WebSocket host — carry exactly these messages, and the main
// side validates every input against these schemas before any service sees it.

export const Subset = z.enum(['labeled', 'unlabeled', 'val', 'test']);
export type Subset = z.infer<typeof Subset>;
export const ImageFormat = z.enum(['png', 'jpeg', 'dicom', 'nifti']);

export const ImageRow = z.object({
  id: z.number().int(),
  sourcePath: z.string(),
  frameIndex: z.number().int(),
  format: ImageFormat,
  width: z.number().int(),
  height: z.number().int(),
  modality: z.string().nullable(),
  split: Subset.nullable(),
  hasMask: z.boolean(),
  // Review state: how many pseudo-label versions, the latest one's teacher–student Dice, and whether
  // a radiologist decided (accepted, corrected or rejected) on them.
  pseudoLabels: z.number().int(),
  latestAgreement: z.number().nullable(),
  reviewed: z.boolean(),
});
export type ImageRow = z.infer<typeof ImageRow>;

export const ImageDetail = ImageRow.extend({
  sha256: z.string(),
  samples: z.number().int(),
  photometric: z.string().nullable(),
  transferSyntax: z.string().nullable(),
  windowCenter: z.number().nullable(),
  windowWidth: z.number().nullable(),
  rescaleSlope: z.number(),
  rescaleIntercept: z.number(),
  pixelSpacing: z.tuple([z.number(), z.number()]).nullable(),
  studyUid: z.string().nullable(),
  seriesUid: z.string().nullable(),
  sopUid: z.string().nullable(),
  frames: z.number().int(),
  /** Image ids of every frame of the same file, in frame order (multi-frame stepping). */
  frameIds: z.array(z.number().int()),
  instanceNumber: z.number().int().nullable(),
  /** ImagePositionPatient of this frame, mm. */
  imagePosition: z.tuple([z.number(), z.number(), z.number()]).nullable(),
  /** Every window the file offers (VOI LUT module), with its explanation. */
  voiWindows: z.array(z.object({ center: z.number(), width: z.number(), name: z.string().nullable() })),
  /** ImagerPixelSpacing is measured at the detector: distances from it are not at the patient. */
  spacingSource: z.enum(['PixelSpacing', 'ImagerPixelSpacing']).nullable(),
});
export type ImageDetail = z.infer<typeof ImageDetail>;

/** A series (DICOM SeriesInstanceUID, or a PNG/JPEG folder) with its images ordered by slice position. */
export const SeriesNode = z.object({
  key: z.string(),
  label: z.string(),
  modality: z.string().nullable(),
  count: z.number().int(),
  /** Images with ground truth. */
  labeled: z.number().int(),
  imageIds: z.array(z.number().int()),
  /** Each image's distance along the slice normal (mm), null without ImagePositionPatient. */
  slicePositions: z.array(z.number().nullable()),
});
export type SeriesNode = z.infer<typeof SeriesNode>;
export const StudyNode = z.object({ key: z.string(), description: z.string().nullable(), date: z.string().nullable(), series: z.array(SeriesNode) });
export type StudyNode = z.infer<typeof StudyNode>;
export const PatientNode = z.object({ key: z.string(), name: z.string().nullable(), studies: z.array(StudyNode) });
export type PatientNode = z.infer<typeof PatientNode>;

/** Pixels for the viewer: DICOM frames as stored values (+ LUT inputs), PNG/JPEG as their file. */
export const ImagePixels = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('grey'),
    width: z.number().int(),
    height: z.number().int(),
    dtype: z.enum(['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32']),
    data: z.string(), // base64, little endian
    min: z.number(),
    max: z.number(),
    rescaleSlope: z.number(),
    rescaleIntercept: z.number(),
    windowCenter: z.number(),
    windowWidth: z.number(),
    invert: z.boolean(),
  }),
  z.object({ kind: z.literal('rgb'), width: z.number().int(), height: z.number().int(), data: z.string() }),
  z.object({ kind: z.literal('encoded'), width: z.number().int(), height: z.number().int(), dataUrl: z.string() }),
]);
export type ImagePixels = z.infer<typeof ImagePixels>;

export const SplitSummary = z.object({
  id: z.number().int(),
  seed: z.number().int(),
  labeled: z.number(),
  val: z.number(),
  test: z.number(),
  createdAt: z.string(),
  counts: z.record(Subset, z.number().int()),
});
export type SplitSummary = z.infer<typeof SplitSummary>;

export const WorkspaceStatus = z.object({
  path: z.string(),
  images: z.number().int(),
  masks: z.number().int(),
  byFormat: z.record(z.string(), z.number().int()),
  splits: z.array(SplitSummary),
});
export type WorkspaceStatus = z.infer<typeof WorkspaceStatus>;

export const ImportFailure = z.object({ file: z.string(), error: z.string() });
export type ImportFailure = z.infer<typeof ImportFailure>;
/** A coded concept (DICOM PS3.3 8.8), e.g. SNOMED CT: code value, coding scheme designator, meaning. */
export const CodedConcept = z.object({
  value: z.string().trim().min(1).max(64),
  scheme: z.string().trim().min(1).max(16),
  meaning: z.string().trim().min(1).max(64),
});
export type CodedConcept = z.infer<typeof CodedConcept>;

/**
 * One structure of a workspace's label schema. `value` is its pixel value in a stored label map
 * (1..254; 0 is background and 255 the ignore region); category and type are what a DICOM SEG
 * segment says it is.
 */
export const LabelStructure = z.object({
  value: z.number().int().min(1).max(254),
  name: z.string().trim().min(1).max(64),
  color: z.string().regex(/^#[0-9a-fA-F]{6}$/),
  category: CodedConcept,
  type: CodedConcept,
});
export type LabelStructure = z.infer<typeof LabelStructure>;

export const StructureUsage = z.object({ value: z.number().int(), images: z.number().int(), pixels: z.number().int() });
export type StructureUsage = z.infer<typeof StructureUsage>;

/** A label map sent as runs (src/shared/compact-label-map.ts): 0 background, schema values, 255 ignore. */
export const CompactLabelMapInput = z.object({
  width: z.number().int().min(1).max(65_535),
  height: z.number().int().min(1).max(65_535),
  values: z.array(z.number().int().min(0).max(255)).max(16_000_000),
  counts: z.array(z.number().int().min(0)).max(16_000_000),
});

/** How one mask file's pixel values were read: 0/255 (JPEG noise: >127), 0/1, or a 0..K label map. */
export const MaskRule = z.enum(['binary-255', 'binary-1', 'label-map', 'empty']);
export type MaskRule = z.infer<typeof MaskRule>;

/** What an import found in one mask file: the values seen and each structure's share of the pixels. */
export const MaskFileReport = z.object({
  file: z.string(),
  rule: MaskRule,
  /** Distinct pixel values in the file (after the JPEG >127 rule for 0/255 masks), ascending. */
  values: z.array(z.number().int()),
  /** Structure value → fraction of the image's pixels (0..1); ignored pixels count in none. */
  fractions: z.record(z.string(), z.number()),
  ignoredFraction: z.number(),
  /** False when the mask was reported and not stored (see `failed` for why). */
  stored: z.boolean(),
});
export type MaskFileReport = z.infer<typeof MaskFileReport>;

export const ImportResult = z.object({
  imported: z.number().int(),
  duplicates: z.number().int(),
  masks: z.number().int(),
  failed: z.array(ImportFailure),
  /** One entry per mask file read (imports with a masks folder). */
  maskFiles: z.array(MaskFileReport).optional(),
  /** Structures the import added to the schema (`newStructures`). */
  newStructures: z.array(LabelStructure).optional(),
  /** The source pixel value read as "ignore" (stored as 255), when the import named one. */
  ignoreValue: z.number().int().nullable().optional(),
});
export type ImportResult = z.infer<typeof ImportResult>;

/**
 * Where onnxruntime (student and teacher) and TensorFlow run: "auto" takes CUDA once a real
 * session has proved it works here, else the CPU; "cuda" fails rather than fall back.
 */
export const Device = z.enum(['auto', 'cpu', 'cuda']);

/** How a student's fresh weights are drawn: PyTorch's layer defaults (torchvision encoder), segmentation_models_pytorch's, or He everywhere. */
export const InitScheme = z.enum(['pytorch', 'smp', 'he']);
export type InitScheme = z.infer<typeof InitScheme>;
export type Device = z.infer<typeof Device>;
/** The device a session or run actually used. */
export const ResolvedDevice = z.enum(['cpu', 'cuda']);
export type ResolvedDevice = z.infer<typeof ResolvedDevice>;

/** One blob the store names that is not as its hash says: what uses it, and what was done. */
export const WorkspaceCheckProblem = z.object({
  blob: z.string(),
  state: z.enum(['missing', 'damaged']),
  /** The first few users, e.g. "thumbnail of image 12". */
  usedBy: z.array(z.string()),
  uses: z.number().int(),
  /** How it was put back, or null. */
  repaired: z.string().nullable(),
  /** What the user can do when it was not repaired. */
  advice: z.string().nullable(),
});
export type WorkspaceCheckProblem = z.infer<typeof WorkspaceCheckProblem>;

export const WorkspaceCheck = z.object({
  /** Stored files the workspace names (each checked once, however many rows use it). */
  stored: z.number().int(),
  bytes: z.number(),
  ok: z.number().int(),
  missing: z.number().int(),
  damaged: z.number().int(),
  repaired: z.number().int(),
  problems: z.array(WorkspaceCheckProblem),
  /** SQLite's own integrity check of the database ("ok" when sound). */
  integrity: z.string(),
});
export type WorkspaceCheck = z.infer<typeof WorkspaceCheck>;

export const Doctor = z.object({
  app: z.string(),
  node: z.string(),
  electron: z.string().nullable(),
  platform: z.string(),
  packages: z.record(z.string(), z.string().nullable()),
  student: z.object({ usable: z.array(z.string()), chosen: z.string().nullable(), notes: z.array(z.string()) }),
  teacher: z.object({ usable: z.array(z.string()), chosen: z.string().nullable(), notes: z.array(z.string()) }),
});
export type Doctor = z.infer<typeof Doctor>;

export const RunStatus = z.enum(['running', 'interrupted', 'done', 'failed', 'cancelled']);

/** One epoch's numbers, as the metrics table stores them and progress reports them. */
export const EpochMetrics = z.object({
  epoch: z.number().int(),
  train_loss: z.number(),
  val_loss: z.number(),
  val_iou: z.number(),
  val_dice: z.number(),
  lr: z.number(),
});
export type EpochMetrics = z.infer<typeof EpochMetrics>;

/**
 * What a run records as its configuration: the resolved training settings (every default filled
 * in), the split it used and, for mining runs, the schedule and teacher. Descriptive fields
 * (architecture, loss, optimizer…) are kept as written, hence a loose object.
 */
export const RunConfig = z.looseObject({
  size: z.number().int(),
  batch: z.number().int(),
  lr: z.number(),
  lambda: z.number(),
  maxEpochs: z.number().int(),
  seed: z.number().int(),
  plateauFactor: z.number(),
  plateauPatience: z.number().int(),
  minLr: z.number(),
  earlyStopPatience: z.number().int(),
  augment: z.object({ hflip: z.number(), vflip: z.number(), rotate90: z.number(), transpose: z.number() }),
  model: z.object({ width: z.number().int(), blocks: z.array(z.number().int()), decoder: z.array(z.number().int()) }),
  splitId: z.number().int().nullable(),
  initWeights: z.string().nullable(),
  counts: z.object({ labeled: z.number().int(), val: z.number().int(), test: z.number().int() }),
  params: z.number().int(),
  initWeightsSha256: z.string().nullable(),
  /** The device the run resolved "auto" to (runs from before the device word have none). */
  device: ResolvedDevice.optional(),
  /** Mining runs: the supervised run they started from and the teacher's label. */
  baseRunId: z.number().int().optional(),
  teacher: z.string().optional(),
  mining: z
    .looseObject({
      schedule: z.enum(['one-time', 'continuous']),
      teacher: z.looseObject({ kind: z.enum(['sam', 'oracle', 'noisy-oracle']) }),
      pseudoWeight: z.number(),
      baseRunId: z.number().int().nullable(),
    })
    .optional(),
});
export type RunConfig = z.infer<typeof RunConfig>;

export const ScoreSummary = z.object({ n: z.number().int(), mean: z.number(), std: z.number(), min: z.number(), max: z.number() });
export const BestEpoch = z.object({
  epoch: z.number().int(),
  valLoss: z.number(),
  valDice: z.number(),
  valIou: z.number(),
  blob: z.string().nullable(),
});
export type BestEpoch = z.infer<typeof BestEpoch>;

/** A finished run's result: best epoch (model selection on val loss) and test scores at source resolution. */
export const FinishedRunResult = z.object({
  runId: z.number().int(),
  backend: z.string(),
  epochs: z.number().int(),
  stopped: z.enum(['early-stop', 'max-epochs']),
  best: BestEpoch,
  test: z
    .object({ n: z.number().int(), iou: ScoreSummary, dice: ScoreSummary, resolution: z.literal('source'), engine: z.string() })
    .nullable(),
  seconds: z.number(),
});
export type FinishedRunResult = z.infer<typeof FinishedRunResult>;

/** A run's result column: written after every epoch while it trains, replaced by the final result when done. */
export const RunResult = z.union([
  z.object({ inProgress: z.literal(true), epochs: z.number().int(), best: BestEpoch }),
  FinishedRunResult,
]);
export type RunResult = z.infer<typeof RunResult>;

export const RunSummary = z.object({
  id: z.number().int(),
  kind: z.string(),
  status: RunStatus,
  backend: z.string().nullable(),
  splitId: z.number().int().nullable(),
  config: RunConfig,
  result: RunResult.nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type RunSummary = z.infer<typeof RunSummary>;

export const MetricPoint = z.object({ epoch: z.number().int(), name: z.string(), value: z.number() });
export type MetricPoint = z.infer<typeof MetricPoint>;

/** Student training settings a user may change; absent ones take the defaults recorded with the run. */
export const TrainSettings = z.object({
  epochs: z.number().int().min(1).max(1000).optional(),
  size: z.number().int().min(32).max(1024).optional(),
  batch: z.number().int().min(1).max(256).optional(),
  lr: z.number().positive().max(1).optional(),
  seed: z.number().int().optional(),
  lambda: z.number().min(0).max(1).optional(),
  width: z.number().int().min(1).max(64).optional(),
  blocks: z.array(z.number().int().min(1).max(8)).length(4).optional(),
  decoder: z.array(z.number().int().min(1).max(512)).length(5).optional(),
  device: Device.optional(),
  /** Start from a SimCLR pre-training run's weights (its run id) instead of scratch. */
  initRun: z.number().int().positive().optional(),
  initScheme: InitScheme.optional(),
});
export type TrainSettings = z.infer<typeof TrainSettings>;

/** SimCLR pre-training of the student's encoder; absent settings keep the SimCLR paper's defaults. */
export const PretrainSettings = z.object({
  epochs: z.number().int().min(1).max(1000).optional(),
  size: z.number().int().min(32).max(1024).optional(),
  batch: z.number().int().min(2).max(512).optional(),
  lr: z.number().positive().max(1).optional(),
  temperature: z.number().positive().max(10).optional(),
  projDim: z.number().int().min(1).max(4096).optional(),
  jitter: z.number().min(0).max(2).optional(),
  seed: z.number().int().optional(),
  width: z.number().int().min(1).max(64).optional(),
  blocks: z.array(z.number().int().min(1).max(8)).length(4).optional(),
  decoder: z.array(z.number().int().min(1).max(512)).length(5).optional(),
  device: Device.optional(),
});
export type PretrainSettings = z.infer<typeof PretrainSettings>;




export const TeacherFamily = z.enum(['sam', 'mobilesam', 'medsam']);
export type TeacherFamily = z.infer<typeof TeacherFamily>;

export const TeacherModelSummary = z.object({
  id: z.number().int(),
  family: z.string(),
  name: z.string(),
  files: z.array(
    z.object({
      part: z.string(),
      path: z.string(),
      sha256: z.string(),
      bytes: z.number(),
      /** Weights kept outside the .onnx (ViT-H exports), stored and checksummed with it. */
      externalData: z.array(z.object({ location: z.string(), sha256: z.string(), bytes: z.number() })).optional(),
    }),
  ),
  /** The export layout detected from the graphs, what it is fed, and whether it takes a box prompt. */
  layout: z.string().optional(),
  preprocessing: z.string().optional(),
  prompts: z.string().optional(),
  takesBox: z.boolean().optional(),
  /** False for a box-only decoder (LiteMedSAM): mining's points are dropped. */
  takesPoints: z.boolean().optional(),
  /** The model's hash in the machine's model library (what the workspace refers to) and its name there now. */
  hash: z.string().optional(),
  libraryName: z.string().nullable().optional(),
  createdAt: z.string(),
});
export type TeacherModelSummary = z.infer<typeof TeacherModelSummary>;

/** A model in the machine's library, available to every workspace; `usedHere`: this workspace's id for it. */
export const LibraryModelSummary = TeacherModelSummary.omit({ id: true, createdAt: true, libraryName: true }).extend({
  hash: z.string(),
  addedAt: z.string(),
  workspaces: z.array(z.string()),
  usedHere: z.number().int().nullable(),
});
export type LibraryModelSummary = z.infer<typeof LibraryModelSummary>;
const modelHash = z.string().regex(/^[0-9a-f]{64}$/);

const coordinate = z.number().finite().min(-1e6).max(1e6);
export const PromptPointInput = z.object({ x: coordinate, y: coordinate, label: z.union([z.literal(0), z.literal(1)]) });
export const BoxInput = z.object({ x0: coordinate, y0: coordinate, x1: coordinate, y1: coordinate });

/** The teacher model a SAM-assisted label came from, as it was named when the label was saved. */
export const TeacherRef = z.object({ id: z.number().int(), name: z.string(), family: z.string() });
export type TeacherRef = z.infer<typeof TeacherRef>;

export const SegmentOutput = z.object({
  maskDataUrl: z.string(),
  area: z.number().int(),
  iouPrediction: z.number(),
  encoderMs: z.number(),
  decoderMs: z.number(),
  device: ResolvedDevice,
  /** The teacher that answered: a label accepted from this proposal records it. */
  teacher: TeacherRef,
});
export type SegmentOutput = z.infer<typeof SegmentOutput>;

/** A binary mask per SAM prompt without PNG or data URL (src/shared/compact-mask.ts encodes and decodes it). */
export const CompactMaskSchema = z.discriminatedUnion('encoding', [
  z.object({ encoding: z.literal('rle'), width: z.number().int(), height: z.number().int(), counts: z.array(z.number().int().min(0)) }),
  z.object({ encoding: z.literal('bits'), width: z.number().int(), height: z.number().int(), base64: z.string() }),
]);

/** An interactive prompt's answer: the mask at source resolution, compact, for the Viewer to draw. */
export const InteractiveSegmentOutput = SegmentOutput.omit({ maskDataUrl: true }).extend({ mask: CompactMaskSchema });
export type InteractiveSegmentOutput = z.infer<typeof InteractiveSegmentOutput>;

/** Which teacher mining and refinement ask: an installed SAM-family model, or an evaluation tool. */
export const TeacherChoice = z.union([
  z.object({ kind: z.literal('sam'), modelId: z.number().int().positive() }),
  z.object({ kind: z.literal('oracle') }),
  z.object({ kind: z.literal('noisy-oracle') }),
]);
export type TeacherChoice = z.infer<typeof TeacherChoice>;

/** How the student's map prompts the teacher; absent fields keep the defaults (3 points, threshold 0.5, box, no mask prompt, whole map). */
export const PromptSettingsInput = z.object({
  points: z.number().int().min(0).max(64).optional(),
  threshold: z.number().min(0).max(1).optional(),
  box: z.boolean().optional(),
  maskPrompt: z.boolean().optional(),
  perComponent: z.boolean().optional(),
});
export type PromptSettingsInput = z.infer<typeof PromptSettingsInput>;

export const MineRequest = z.object({
  schedule: z.enum(['one-time', 'continuous']),
  teacher: TeacherChoice,
  baseRunId: z.number().int().positive().optional(),
  weight: z.number().min(0).max(1).optional(),
  prompts: PromptSettingsInput.optional(),
  settings: TrainSettings,
});
export type MineRequest = z.infer<typeof MineRequest>;

export const ExperimentMethod = z.enum(['supervised', 'one-time', 'continuous']);
/** The experiment grid: ratios × schedules × seeds with one teacher; seeds 1…n each make their own split. */
/** Where a grid cell's student starts: fresh weights (the settings' init scheme), SimCLR pre-training made by the grid, or a finished pre-training run. */
export const ExperimentInit = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('scratch') }),
  z.object({ kind: z.literal('simclr'), epochs: z.number().int().min(1).max(1000).optional() }),
  z.object({ kind: z.literal('run'), runId: z.number().int().positive() }),
]);
export type ExperimentInit = z.infer<typeof ExperimentInit>;

/** The paper's prompt ablation: points only, box only, both, both with the mask prompt. */
export const PromptPreset = z.enum(['points', 'box', 'both', 'mask']);
export type PromptPreset = z.infer<typeof PromptPreset>;

export const ExperimentRequest = z.object({
  name: z.string().trim().min(1).max(100),
  ratios: z.array(z.number().gt(0).max(1)).min(1).max(20),
  schedules: z.array(ExperimentMethod).min(1).max(3),
  seeds: z.number().int().min(1).max(20),
  val: z.number().min(0).max(1),
  test: z.number().min(0).max(1),
  teacher: TeacherChoice,
  weight: z.number().min(0).max(1).optional(),
  prompts: PromptSettingsInput.optional(),
  settings: TrainSettings,
  /** The paper's further factors; absent: scratch, `teacher` and `prompts` alone. */
  inits: z.array(ExperimentInit).min(1).max(8).optional(),
  teachers: z.array(TeacherChoice).min(1).max(8).optional(),
  promptSets: z.array(PromptPreset).min(1).max(4).optional(),
});
export type ExperimentRequest = z.infer<typeof ExperimentRequest>;

const MeanStd = z.object({ n: z.number().int(), mean: z.number(), std: z.number(), min: z.number(), max: z.number() });
/** What an experiment job ends with: the table (test split, mean ± sample std over seeds), every cell, the files and the plot. */
export const ExperimentOutcome = z.object({
  name: z.string(),
  table: z.array(
    z.object({
      ratio: z.number(),
      /** Factor labels; empty when the grid did not vary that factor. */
      init: z.string(),
      schedule: ExperimentMethod,
      teacher: z.string(),
      prompts: z.string(),
      runs: z.number().int(),
      iou: MeanStd,
      dice: MeanStd,
    }),
  ),
  cells: z.array(
    z.object({
      seed: z.number().int(),
      ratio: z.number(),
      schedule: ExperimentMethod,
      runId: z.number().int().nullable(),
      status: z.enum(['done', 'skipped']),
      reason: z.string().optional(),
      testIou: z.number().nullable(),
      testDice: z.number().nullable(),
    }),
  ),
  files: z.object({ markdown: z.string(), csv: z.string(), plot: z.string() }),
  /** The validation-Dice plot as written to `files.plot` (SVG text). */
  plotSvg: z.string(),
});
export type ExperimentOutcome = z.infer<typeof ExperimentOutcome>;

export const ModePrediction = z.object({
  imageId: z.number().int(),
  mode: z.enum(['fast', 'refine']),
  maskDataUrl: z.string(),
  probDataUrl: z.string(), // the student's probability map as an 8-bit grey PNG, for the heat map
  area: z.number().int(),
  latencyMs: z.number(),
  studentMs: z.number(),
  teacherMs: z.number(),
  prompts: z.array(z.object({ points: z.array(z.object({ x: z.number(), y: z.number(), label: z.number() })), box: BoxInput.nullable() })),
});
export type ModePrediction = z.infer<typeof ModePrediction>;

/** How a ground-truth mask was made: imported, drawn by hand, drawn with SAM's help, or a promoted (accepted) pseudo-label. */
export const MaskProvenance = z.enum(['imported', 'drawn', 'sam-assisted', 'promoted']);
export type MaskProvenance = z.infer<typeof MaskProvenance>;

/** One prompt sent to the teacher, in source pixels. */
export const UserPromptInput = z.object({ points: z.array(PromptPointInput).max(64), box: BoxInput.nullable() });

/** What made a ground-truth mask beyond its provenance word. */
export const MaskDetails = z.object({
  teacher: TeacherRef.optional(),
  prompts: z.array(UserPromptInput).optional(),
  /** A SAM proposal or pseudo-label the radiologist changed with the brush, eraser or lasso before saving. */
  edited: z.boolean().optional(),
  /** The pseudo-label version a promoted or corrected mask came from. */
  pseudoLabelVersion: z.number().int().optional(),
  /** An empty label saved on purpose: the radiologist found nothing on a normal image. */
  noFinding: z.boolean().optional(),
});
export type MaskDetails = z.infer<typeof MaskDetails>;

/** One ground-truth mask of an image; every earlier one is kept as a version. */
export const GroundTruthVersion = z.object({
  maskId: z.number().int(),
  version: z.number().int(), // 1 = the image's first ground truth
  current: z.boolean(),
  provenance: MaskProvenance,
  details: MaskDetails.nullable(),
  pseudoLabelId: z.number().int().nullable(),
  area: z.number().int(),
  createdAt: z.string(),
  /** An imported mask of an unlabeled-split image: training never reads it (evaluation tools may). */
  hidden: z.boolean(),
  /** Pixels per structure, keyed by the structure's value (the ignore region is not a structure). */
  areas: z.record(z.string(), z.number().int()).optional(),
});
export type GroundTruthVersion = z.infer<typeof GroundTruthVersion>;

/** A new ground truth and the one it replaced (kept as a version), so no replacement goes unsaid. */
export const SavedGroundTruth = z.object({
  maskId: z.number().int(),
  version: z.number().int(),
  area: z.number().int(),
  provenance: MaskProvenance,
  replaced: GroundTruthVersion.nullable(),
});
export type SavedGroundTruth = z.infer<typeof SavedGroundTruth>;

/** How a label drawn in the Viewer was made: by hand, or from a SAM proposal (then edited or not). */
export const LabelSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('drawn') }),
  z.object({ kind: z.literal('sam-assisted'), modelId: z.number().int().positive(), prompts: z.array(UserPromptInput).min(1).max(64), edited: z.boolean() }),
]);
export type LabelSource = z.infer<typeof LabelSource>;
/** A version's review state; "corrected" = accepted after the radiologist edited its mask. */
export const ReviewDecision = z.enum(['new', 'accepted', 'corrected', 'rejected']);
export type ReviewDecision = z.infer<typeof ReviewDecision>;

export const ReviewVersion = z.object({
  id: z.number().int(),
  imageId: z.number().int(),
  version: z.number().int(),
  runId: z.number().int().nullable(),
  runKind: z.string().nullable(),
  epoch: z.number().int().nullable(), // the round (one-time mining) or epoch (continuous) that made it
  teacherModelId: z.number().int().nullable(),
  teacher: z.string(),
  studentCheckpoint: z.string().nullable(),
  prompts: z.unknown(),
  iouPrediction: z.number().nullable(),
  agreementDice: z.number().nullable(),
  area: z.number().int(),
  decision: ReviewDecision,
  createdAt: z.string(),
  maskDataUrl: z.string(),
  studentMaskDataUrl: z.string().nullable(), // null when the version was stored without the student's mask
  /**
   * A version of a student with several structures (null: binary, maskDataUrl is all of it): its
   * label map as a PNG of the schema values, the run's structures, pixels and agreement (Dice with
   * the student; null where neither found it) per structure value. maskDataUrl is then every structure together.
   */
  structures: z
    .object({
      labelMapDataUrl: z.string(),
      values: z.array(z.number().int()),
      areas: z.record(z.string(), z.number()),
      agreements: z.record(z.string(), z.number().nullable()),
    })
    .nullable()
    .optional(),
});
export type ReviewVersion = z.infer<typeof ReviewVersion>;

export const ReviewImage = z.object({
  imageId: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  split: Subset.nullable(),
  pending: z.boolean(),
  versions: z.array(ReviewVersion),
  groundTruth: z
    .object({
      dataUrl: z.string(),
      area: z.number().int(),
      provenance: MaskProvenance,
      pseudoLabelId: z.number().int().nullable(),
      createdAt: z.string(),
    })
    .nullable(),
});
export type ReviewImage = z.infer<typeof ReviewImage>;

export const ReviewQueueItem = z.object({
  imageId: z.number().int(),
  sourcePath: z.string(),
  split: Subset.nullable(),
  versions: z.number().int(),
  latestVersionId: z.number().int(),
  latestVersion: z.number().int(),
  agreementDice: z.number().nullable(),
  disagreement: z.number().nullable(), // 1 − agreementDice of the latest version
});
export type ReviewQueueItem = z.infer<typeof ReviewQueueItem>;

export const ReviewResult = z.object({
  imageId: z.number().int(),
  pseudoLabelId: z.number().int(),
  decision: ReviewDecision,
  maskId: z.number().int().nullable(), // the new ground-truth mask row (accept / correct)
  area: z.number().int().nullable(),
  /** The ground truth the accepted or corrected mask replaced (kept as a version); null when there was none. */
  replaced: GroundTruthVersion.nullable().default(null),
});
export type ReviewResult = z.infer<typeof ReviewResult>;

const path = z.string().min(1).max(4096);
const id = z.number().int().positive();

/** The images a batch works on: chosen ones, or one subset of the latest split. */
export const ImageSelection = z.union([z.object({ ids: z.array(id).min(1).max(100000) }), z.object({ split: Subset })]);
export type ImageSelection = z.infer<typeof ImageSelection>;
/**
 * PNG (0/255) at source resolution, DICOM SEG referencing the source, a NIfTI label volume per NIfTI
 * source (its slices' masks in the source geometry), or SEG for DICOM sources and PNG otherwise.
 */
export const MaskFileFormat = z.enum(['auto', 'png', 'dicom-seg', 'nifti']);
export type MaskFileFormat = z.infer<typeof MaskFileFormat>;
/** Which masks an export writes: the current ground truth, or pseudo-label versions (the latest or every one). */
export const MaskExportSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ground-truth') }),
  z.object({ kind: z.literal('pseudo-label'), versions: z.enum(['latest', 'all']).default('latest') }),
]);
export type MaskExportSource = z.infer<typeof MaskExportSource>;
/** One file of a batch: the path written, or why it was not (the batch goes on either way). */
export const FileOutcome = z.object({
  imageId: z.number().int(),
  /** The pseudo-label version written, for pseudo-label exports. */
  version: z.number().int().nullable(),
  file: z.string().nullable(),
  format: z.enum(['png', 'dicom-seg', 'nifti']).nullable(),
  error: z.string().nullable(),
});
export type FileOutcome = z.infer<typeof FileOutcome>;
export const ExportOutcome = z.object({ outDir: z.string(), files: z.array(FileOutcome), written: z.number().int(), failed: z.number().int() });
export type ExportOutcome = z.infer<typeof ExportOutcome>;
export const PredictedImage = FileOutcome.extend({
  area: z.number().int().nullable(),
  latencyMs: z.number().nullable(),
  studentMs: z.number().nullable(),
  teacherMs: z.number().nullable(),
});
export type PredictedImage = z.infer<typeof PredictedImage>;
export const PredictOutcome = z.object({
  mode: z.enum(['fast', 'refine']),
  runId: z.number().int().nullable(),
  outDir: z.string(),
  images: z.array(PredictedImage),
  written: z.number().int(),
  failed: z.number().int(),
  /** Mean wall time of the images that succeeded. */
  msPerImage: z.number().nullable(),
});
export type PredictOutcome = z.infer<typeof PredictOutcome>;

export const commands = {
  'app.info': {
    input: z.object({}),
    output: z.object({ version: z.string(), workspace: z.string().nullable(), transport: z.enum(['ipc', 'websocket']) }),
  },
  'workspace.open': { input: z.object({ path, create: z.boolean().default(false) }), output: WorkspaceStatus },
  'workspace.status': { input: z.object({}), output: WorkspaceStatus },
  /** Every stored file checked against its hash; with `repair`, what a re-import can make again is put back. */
  'workspace.check': { input: z.object({ repair: z.boolean().default(false) }), output: z.object({ jobId: z.string() }) },
  'images.list': {
    input: z.object({ offset: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(5000).default(500) }),
    output: z.object({ images: z.array(ImageRow), total: z.number().int() }),
  },
  'images.get': { input: z.object({ id }), output: ImageDetail },
  'images.thumbnail': { input: z.object({ id }), output: z.object({ dataUrl: z.string() }) },
  'images.pixels': { input: z.object({ id }), output: ImagePixels },
  'images.mask': { input: z.object({ id }), output: z.object({ dataUrl: z.string().nullable(), area: z.number().int() }) },
  /** Patient → study → series, each series' images ordered by ImagePositionPatient, then InstanceNumber. */
  'series.list': { input: z.object({}), output: z.object({ patients: z.array(PatientNode) }) },
  'import.start': {
    input: z.object({
      paths: z.array(path).min(1).max(10000),
      masks: path.optional(),
      /** The masks' value for "ignore" (stored as 255: excluded from the loss, the metrics and the agreement). */
      ignore: z.number().int().min(1).max(255).nullable().optional(),
      /** Label-map values the schema lacks become new structures instead of an error for that file. */
      newStructures: z.boolean().optional(),
      /** NIfTI volumes become 2D slices along this axis (default axial). */
      niftiAxis: z.enum(['axial', 'coronal', 'sagittal']).optional(),
      /** A FRACTIONAL DICOM SEG's pixel belongs to its segment from this fraction on (default 0.5). */
      segThreshold: z.number().gt(0).max(1).optional(),
    }),
    output: z.object({ jobId: z.string() }),
  },
  /** The workspace's label schema (structure 1 always exists: a binary project is that one structure). */
  'labels.list': { input: z.object({}), output: z.object({ structures: z.array(LabelStructure) }) },
  /** Without a value the structure takes the lowest free one. */
  'labels.add': { input: LabelStructure.extend({ value: LabelStructure.shape.value.optional() }), output: LabelStructure },
  /** Images and pixels per structure in the current ground truth. */
  'labels.usage': { input: z.object({}), output: z.object({ usage: z.array(StructureUsage) }) },
  'labels.update': { input: LabelStructure, output: LabelStructure },
  'jobs.cancel': { input: z.object({ jobId: z.string().max(64) }), output: z.object({ cancelled: z.boolean() }) },
  'split.create': {
    input: z.object({
      labeled: z.number().min(0).max(1),
      val: z.number().min(0).max(1),
      test: z.number().min(0).max(1),
      seed: z.number().int(),
    }),
    output: SplitSummary,
  },
  /** A per-image or multi-select override of the latest split (a split a run used is copied first). */
  'split.assign': { input: z.object({ imageIds: z.array(id).min(1).max(100000), subset: Subset }), output: SplitSummary },
  'runs.list': { input: z.object({}), output: z.object({ runs: z.array(RunSummary) }) },
  'runs.metrics': { input: z.object({ runId: id }), output: z.object({ points: z.array(MetricPoint) }) },
  'train.start': { input: z.object({ settings: TrainSettings, resume: id.optional() }), output: z.object({ jobId: z.string() }) },
  'mine.start': { input: z.object({ request: MineRequest.optional(), resume: id.optional() }), output: z.object({ jobId: z.string() }) },
  'pretrain.start': { input: z.object({ settings: PretrainSettings, resume: id.optional() }), output: z.object({ jobId: z.string() }) },
  'experiment.start': { input: z.object({ request: ExperimentRequest }), output: z.object({ jobId: z.string() }) },
  predict: {
    input: z.object({ imageId: id, mode: z.enum(['fast', 'refine']), runId: id.optional(), teacher: TeacherChoice.optional() }),
    output: ModePrediction,
  },
  'student.export': { input: z.object({ runId: id, out: path }), output: z.object({ file: z.string(), bytes: z.number().int() }) },
  'export.start': {
    input: z.object({
      images: ImageSelection,
      source: MaskExportSource.default({ kind: 'ground-truth' }),
      outDir: path,
      format: MaskFileFormat.default('auto'),
      /** The structure's name in DICOM SEG (SegmentLabel). */
      label: z.string().min(1).max(64).optional(),
    }),
    output: z.object({ jobId: z.string() }),
  },
  'predict.start': {
    input: z.object({
      images: ImageSelection,
      mode: z.enum(['fast', 'refine']),
      runId: id.optional(),
      teacher: TeacherChoice.optional(),
      outDir: path,
      format: MaskFileFormat.default('png'),
      label: z.string().min(1).max(64).optional(),
    }),
    output: z.object({ jobId: z.string() }),
  },
  'models.list': { input: z.object({}), output: z.object({ models: z.array(TeacherModelSummary), library: z.array(LibraryModelSummary) }) },
  'models.use': { input: z.object({ hash: modelHash }), output: TeacherModelSummary },
  'models.rename': { input: z.object({ hash: modelHash, name: z.string().trim().min(1).max(200) }), output: LibraryModelSummary },
  'models.remove': { input: z.object({ hash: modelHash }), output: z.object({ removed: z.string(), workspaces: z.array(z.string()), notes: z.array(z.string()) }) },
  'models.add': {
    input: z.object({ encoder: path, decoder: path, family: TeacherFamily, name: z.string().max(200).optional() }),
    output: TeacherModelSummary,
  },
  segment: {
    input: z.object({
      imageId: id,
      points: z.array(PromptPointInput).max(64).default([]),
      box: BoxInput.nullable().default(null),
      modelId: id.optional(),
    }),
    output: SegmentOutput,
  },
  /** The Viewer's prompt: as `segment`, lean (low-resolution decoder run, compact mask), ahead of any background precompute. */
  'segment.interactive': {
    input: z.object({
      imageId: id,
      points: z.array(PromptPointInput).max(64).default([]),
      box: BoxInput.nullable().default(null),
      modelId: id.optional(),
    }),
    output: InteractiveSegmentOutput,
  },
  /** The image's embedding made now (ahead of any background precompute); `source` says whether the encoder ran. */
  'segment.embed': {
    input: z.object({ imageId: id, modelId: id.optional() }),
    output: z.object({ source: z.enum(['memory', 'disk', 'encoder']), encoderMs: z.number() }),
  },
  /** Embeddings of these images (the next frames) made in the background; replaces the previous list, [] cancels. */
  'segment.precompute': {
    input: z.object({ imageIds: z.array(id).max(16), modelId: id.optional() }),
    output: z.object({ queued: z.number().int() }),
  },
  doctor: { input: z.object({}), output: Doctor },
  'review.queue': {
    input: z.object({ offset: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(5000).default(500) }),
    output: z.object({ items: z.array(ReviewQueueItem), total: z.number().int() }),
  },
  'review.image': { input: z.object({ imageId: id }), output: ReviewImage },
  'review.accept': { input: z.object({ pseudoLabelId: id }), output: ReviewResult },
  'review.reject': { input: z.object({ pseudoLabelId: id }), output: ReviewResult },
  'review.correct': {
    input: z.object({ pseudoLabelId: id, maskDataUrl: z.string().min(1).max(16_000_000) }),
    output: ReviewResult,
  },
  'masks.save': {
    input: z.object({
      imageId: id,
      /** A binary label: PNG, opaque black (0) and white (255) only. Either this or `labelMap`. */
      maskDataUrl: z.string().min(1).max(16_000_000).optional(),
      /** A label of several structures (or an ignore region) as a label map. */
      labelMap: CompactLabelMapInput.optional(),
      source: LabelSource,
      /** The ground truth the label was drawn over (null: none); a different current one refuses the save. */
      replaces: id.nullable(),
      /** The label is empty on purpose (a normal image); without it an empty label is refused. */
      noFinding: z.boolean().default(false),
    }),
    output: SavedGroundTruth,
  },
  'masks.versions': { input: z.object({ imageId: id }), output: z.object({ versions: z.array(GroundTruthVersion) }) },
  /** The current ground truth as a label map to edit (a binary one as structure 1); null without one. */
  'masks.labelMap': { input: z.object({ imageId: id }), output: z.object({ labelMap: CompactLabelMapInput.nullable() }) },
} as const;

/** Long work the app runs as a job; training, mining and experiments take the workspace's one job slot. */
export const JobKind = z.enum(['import', 'train', 'mine', 'experiment', 'export', 'predict', 'check', 'pretrain']);
export type JobKind = z.infer<typeof JobKind>;

/**
 * Where a job is: `prepare`/`train`/`validate`/`test`/`epoch-end` are a training run's phases,
 * `supervised`/`pseudo-labelling`/`mining` a mining run's.
 */
export const JobPhase = z.enum(['import', 'prepare', 'train', 'validate', 'test', 'epoch-end', 'supervised', 'pseudo-labelling', 'mining', 'export', 'predict', 'check']);
export type JobPhase = z.infer<typeof JobPhase>;

export const JobProgress = z.object({
  phase: JobPhase,
  done: z.number(),
  total: z.number(),
  message: z.string(),
  /** The run being trained, once it exists. */
  runId: z.number().int().nullable(),
  epoch: z.number().int().nullable(),
  /** Set once per finished epoch: the numbers the charts add. */
  metrics: EpochMetrics.nullable(),
  /** Seconds left in this phase, when known. */
  eta: z.number().nullable(),
  /** Something the user must not miss between progress lines: a learning-rate drop, an early stop. */
  notice: z.string().optional(),
});
export type JobProgress = z.infer<typeof JobProgress>;

/** What `train --json` prints and a training job ends with. */
export const TrainOutcome = z.object({
  runId: z.number().int(),
  backend: z.string(),
  epochs: z.number().int(),
  stopped: z.enum(['early-stop', 'max-epochs']),
  best_epoch: z.number().int(),
  best_val_loss: z.number(),
  best_val_dice: z.number(),
  best_val_iou: z.number(),
  test_n: z.number().int(),
  test_iou_mean: z.number().nullable(),
  test_iou_std: z.number().nullable(),
  test_dice_mean: z.number().nullable(),
  test_dice_std: z.number().nullable(),
  test_std_kind: z.literal('sample (n-1)'),
  seconds: z.number(),
});
export type TrainOutcome = z.infer<typeof TrainOutcome>;

/** What `mine --json` prints and a mining job ends with. */
export const MineOutcome = z.object({
  runId: z.number().int(),
  base_run_id: z.number().int(),
  backend: z.string(),
  epochs: z.number().int(),
  best_val_dice: z.number(),
  test_iou_mean: z.number().nullable(),
  test_iou_std: z.number().nullable(),
  test_dice_mean: z.number().nullable(),
  test_dice_std: z.number().nullable(),
  /** `skipped`: unlabeled images an evaluation teacher could not label (no hidden ground truth). */
  pseudo_labels: z.object({ stored: z.number().int(), images: z.number().int(), skipped: z.number().int() }),
  teacher_seconds: z.array(z.number()),
  encoder_calls: z.array(z.number().int()),
});
export type MineOutcome = z.infer<typeof MineOutcome>;

/** What `pretrain --json` prints and a pre-training job ends with: `runId` is what `--init` takes. */
export const PretrainOutcome = z.object({
  runId: z.number().int(),
  epochs: z.number().int(),
  nt_xent: z.number(),
  seconds: z.number(),
});
export type PretrainOutcome = z.infer<typeof PretrainOutcome>;

/** What a job worker is handed: a request already validated by the API, checked again on arrival. */
export const JobRequest = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('train'), workspace: path, settings: TrainSettings, resume: id.optional() }),
  z.object({ kind: z.literal('mine'), workspace: path, request: MineRequest.optional(), resume: id.optional() }),
  z.object({ kind: z.literal('experiment'), workspace: path, request: ExperimentRequest }),
  z.object({ kind: z.literal('pretrain'), workspace: path, settings: PretrainSettings, resume: id.optional() }),
]);
export type JobRequest = z.infer<typeof JobRequest>;

export const JobEvent = z.discriminatedUnion('type', [
  JobProgress.extend({ type: z.literal('progress'), jobId: z.string(), kind: JobKind }),
  z.object({ type: z.literal('done'), jobId: z.string(), kind: JobKind, result: z.union([ImportResult, TrainOutcome, MineOutcome, ExportOutcome, PredictOutcome, ExperimentOutcome, WorkspaceCheck, PretrainOutcome]) }),
  z.object({ type: z.literal('failed'), jobId: z.string(), kind: JobKind, error: z.string() }),
]);
export type JobEvent = z.infer<typeof JobEvent>;

export const events = { job: JobEvent } as const;

export type CommandName = keyof typeof commands;
export type CommandInput<K extends CommandName> = z.input<(typeof commands)[K]['input']>;
export type CommandParsedInput<K extends CommandName> = z.output<(typeof commands)[K]['input']>;
export type CommandOutput<K extends CommandName> = z.output<(typeof commands)[K]['output']>;
export type EventName = keyof typeof events;
export type EventPayload<K extends EventName> = z.infer<(typeof events)[K]>;

/** What a renderer holds: it cannot tell which transport carries it. */
export interface ApprenticeApi {
  call<K extends CommandName>(name: K, input: CommandInput<K>): Promise<CommandOutput<K>>;
  on<K extends EventName>(name: K, listener: (payload: EventPayload<K>) => void): () => void;
}

/** Envelope on both wires. */
export const Request = z.object({ id: z.number().int(), name: z.string().max(64), input: z.unknown() });
export type Response = { id: number; ok: true; output: unknown } | { id: number; ok: false; error: string };

export function isCommandName(name: string): name is CommandName {
  return Object.prototype.hasOwnProperty.call(commands, name);
}
