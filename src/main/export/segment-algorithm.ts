import type { MaskDetails, MaskProvenance } from '../../shared/contract';
import { pseudoLabelById, type PseudoLabelVersion } from '../workspace/pseudo-labels';
import type { Workspace } from '../workspace/workspace';
import type { SegOptions } from './dicom-seg';

export type SegAlgorithm = SegOptions['algorithm'];

/** Where a ground-truth mask came from, as the masks store records it. */
export interface GroundTruthOrigin {
  provenance: MaskProvenance;
  pseudoLabelId: number | null;
  details?: MaskDetails | null;
}

/** A pseudo-label version is the teacher's answer to the student's prompts: an automatic segmentation. */
export function pseudoLabelAlgorithm(v: Pick<PseudoLabelVersion, 'teacherLabel' | 'version'>): SegAlgorithm {
  return { type: 'AUTOMATIC', name: `${v.teacherLabel || 'teacher'} pseudo-label v${v.version}` };
}

/** A student prediction, alone (fast) or with the teacher's refinement of its prompts (refine). */
export function predictionAlgorithm(runId: number | null, teacherLabel: string | null): SegAlgorithm {
  return { type: 'AUTOMATIC', name: `Apprentice U-Net++ student${runId !== null ? ` run ${runId}` : ''}${teacherLabel ? ` refined by ${teacherLabel}` : ''}` };
}

/**
 * DICOM's algorithm type for a ground truth, from its provenance: drawn by hand is MANUAL, a SAM
 * proposal accepted (edited or not) or a pseudo-label a radiologist corrected is SEMIAUTOMATIC, an
 * accepted pseudo-label unchanged is AUTOMATIC. Imported masks carry no record of how they were
 * made; they are the project's reference labels, taken as an expert's (MANUAL).
 */
export function groundTruthAlgorithm(ws: Workspace, origin: GroundTruthOrigin): SegAlgorithm {
  const version = origin.pseudoLabelId !== null ? pseudoLabelById(ws, origin.pseudoLabelId) : null;
  switch (origin.provenance) {
    case 'imported':
      return { type: 'MANUAL' };
    case 'drawn':
      return version ? { type: 'SEMIAUTOMATIC', name: `${pseudoLabelAlgorithm(version).name}, corrected` } : { type: 'MANUAL' };
    case 'sam-assisted':
      return { type: 'SEMIAUTOMATIC', name: origin.details?.teacher?.name ?? 'Segment Anything' };
    case 'promoted':
      return version ? pseudoLabelAlgorithm(version) : { type: 'AUTOMATIC', name: 'teacher pseudo-label' };
    default: {
      const unknown: never = origin.provenance;
      throw new Error(`unknown ground-truth provenance ${String(unknown)}`);
    }
  }
}
