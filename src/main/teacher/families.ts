import type { TeacherFamily } from '../../shared/contract';

export type { TeacherFamily } from '../../shared/contract';

export type EncoderLayout = 'nchw' | 'hwc';

/** What the app knows about each family's weights (the export layouts they come in: layouts.ts). */
export interface FamilySpec {
  family: TeacherFamily;
  label: string;
  /** How the source image becomes the encoder's input (see preprocess.ts). */
  preprocess: 'sam-longest-side' | 'medsam-stretch';
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
    maskFrom: 'masks',
    needsBox: false,
  },
  mobilesam: {
    family: 'mobilesam',
    label: 'MobileSAM (TinyViT encoder, SAM decoder)',
    preprocess: 'sam-longest-side',
    maskFrom: 'masks',
    needsBox: false,
  },
  medsam: {
    family: 'medsam',
    label: 'MedSAM (SAM ViT-B fine-tuned on medical images, box prompts)',
    preprocess: 'medsam-stretch',
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
