import type { TeacherFamily } from '../../shared/contract';

export type { TeacherFamily } from '../../shared/contract';

export type EncoderLayout = 'nchw' | 'hwc';

/** What the app knows about each SAM-family export; adding a family means adding an entry here. */
export interface FamilySpec {
  family: TeacherFamily;
  label: string;
  /** How the source image becomes the encoder's input (see preprocess.ts). */
  preprocess: 'sam-longest-side' | 'medsam-stretch';
  /** Encoder input layouts this family's exports come in. */
  layouts: readonly EncoderLayout[];
  /** Which decoder output becomes the mask at source resolution (see segment.ts). */
  maskFrom: 'masks' | 'low_res_masks';
  /** MedSAM was trained with box prompts only. */
  needsBox: boolean;
}

export const FAMILIES: Readonly<Record<TeacherFamily, FamilySpec>> = {
  sam: {
    family: 'sam',
    label: 'Segment Anything (ViT-B/L/H)',
    preprocess: 'sam-longest-side',
    layouts: ['nchw', 'hwc'],
    maskFrom: 'masks',
    needsBox: false,
  },
  mobilesam: {
    family: 'mobilesam',
    label: 'MobileSAM (TinyViT encoder, SAM decoder)',
    preprocess: 'sam-longest-side',
    layouts: ['nchw', 'hwc'],
    maskFrom: 'masks',
    needsBox: false,
  },
  medsam: {
    family: 'medsam',
    label: 'MedSAM (SAM ViT-B fine-tuned on medical images, box prompts)',
    preprocess: 'medsam-stretch',
    layouts: ['nchw'],
    maskFrom: 'low_res_masks',
    needsBox: true,
  },
};

export function isTeacherFamily(s: string): s is TeacherFamily {
  return Object.hasOwn(FAMILIES, s);
}

export function familySpec(family: string): FamilySpec {
  if (!isTeacherFamily(family)) throw new Error(`unknown teacher family "${family}" (known: ${Object.keys(FAMILIES).join(', ')})`);
  return FAMILIES[family];
}

/** The decoder's I/O, as the official segment-anything scripts/export_onnx_model.py writes it. */
export const EMBEDDING_SHAPE = [1, 256, 64, 64] as const;
export const DECODER_INPUTS = [
  { name: 'image_embeddings', shape: [1, 256, 64, 64] },
  { name: 'point_coords', shape: [1, 'N', 2] },
  { name: 'point_labels', shape: [1, 'N'] },
  { name: 'mask_input', shape: [1, 1, 256, 256] },
  { name: 'has_mask_input', shape: [1] },
  { name: 'orig_im_size', shape: [2] },
] as const;
export const DECODER_OUTPUTS = [
  { name: 'masks', shape: [1, 'C', 'H', 'W'] },
  { name: 'iou_predictions', shape: [1, 'C'] },
  { name: 'low_res_masks', shape: [1, 'C', 256, 256] },
] as const;
