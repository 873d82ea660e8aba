/**
 * The teacher: a frozen SAM-family model (ONNX encoder + prompt decoder) that turns prompts —
 * the user's, or ones made from the student's probability map — into masks at source resolution.
 *
 *   families.ts    what each family's weights (sam, mobilesam, medsam) expect
 *   layouts.ts     the export layouts, recognised from the graphs (names, dtypes, shapes)
 *   registry.ts    detects the layout of encoder/decoder files (a refusal lists every layout tried), stores them
 *   decoder-io.ts  per layout: prompt encoding, prompt translation (no box input), mask choice
 *   preprocess.ts  source RGB → the encoder's input, per layout and family (and each layout's prompt frame)
 *   half.ts        float16 ↔ float32 at the boundary of fp16 exports
 *   (frames: source pixels ↔ student frames ↔ the teacher's 1024 frame live in imaging/geometry/frames.ts)
 *   embeddings.ts  image embeddings, computed once per (image, encoder), cached in the blob store
 *   prompts.ts     prompts from a probability map (points, box, components), with recorded settings
 *   segment.ts     decoder runs, masks at source resolution
 * Sessions open through src/main/onnx/ (runtime, device choice, shared options), as the student's do.
 */
export { FAMILIES, familySpec, isTeacherFamily, type TeacherFamily } from './families';
export { LAYOUTS, layoutFeeding, type LayoutId } from './layouts';
export { addTeacherModel, checkTeacherFiles, detectLayout, getTeacherModel, listTeacherModels, TeacherModelError, type TeacherModel, type TeacherInterface } from './registry';
export { preprocessForTeacher } from './preprocess';
export { embeddingCache, EmbeddingCache } from './embeddings';
export { DEFAULT_PROMPT_SETTINGS, promptSettings, promptsFromMap, type PromptSettings, type ProbabilityMap, type TeacherPrompt, type PromptPoint } from './prompts';
export { recordPrompts, releaseTeacherSessions, segmentFromMap, segmentImage, type SegmentResult, type UserPrompt } from './segment';
