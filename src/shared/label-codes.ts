import type { CodedConcept } from './contract';

/**
 * The short picklist of SNOMED CT codes the label schema editor offers (DICOM CID 7150 segmentation
 * property categories, CID 7151/7152/7160 types). Any other code can be typed in as free text.
 */

const sct = (value: string, meaning: string): CodedConcept => ({ value, scheme: 'SCT', meaning });

export const CATEGORIES = {
  tissue: sct('85756007', 'Tissue'),
  anatomicalStructure: sct('91723000', 'Anatomical Structure'),
  // The meaning a binary project's SEGs have always carried; DICOM's current wording is "Morphologically Altered Structure".
  morphologicallyAltered: sct('49755003', 'Morphologically Abnormal Structure'),
} as const;

export interface CodedTerm {
  category: CodedConcept;
  type: CodedConcept;
}

export const TERMS: readonly CodedTerm[] = [
  { category: CATEGORIES.morphologicallyAltered, type: sct('4147007', 'Mass') },
  { category: CATEGORIES.morphologicallyAltered, type: sct('52988006', 'Lesion') },
  { category: CATEGORIES.morphologicallyAltered, type: sct('108369006', 'Neoplasm') },
  { category: CATEGORIES.morphologicallyAltered, type: sct('41329004', 'Polyp') },
  { category: CATEGORIES.anatomicalStructure, type: sct('10200004', 'Liver') },
  { category: CATEGORIES.anatomicalStructure, type: sct('39607008', 'Lung') },
  { category: CATEGORIES.anatomicalStructure, type: sct('44029006', 'Left lung') },
  { category: CATEGORIES.anatomicalStructure, type: sct('3341006', 'Right lung') },
  { category: CATEGORIES.anatomicalStructure, type: sct('80891009', 'Heart') },
  { category: CATEGORIES.anatomicalStructure, type: sct('64033007', 'Kidney') },
  { category: CATEGORIES.anatomicalStructure, type: sct('78961009', 'Spleen') },
  { category: CATEGORIES.tissue, type: sct('272673000', 'Bone') },
];

/** A binary project's one structure: what every SEG it exported was called before schemas existed. */
export const DEFAULT_TERM: CodedTerm = TERMS[0]!;

/**
 * Colours for new structures, in order: the first is the ground-truth green the Viewer has always
 * used; none is a colour the overlay gives the student, SAM or pseudo-labels.
 */
export const STRUCTURE_PALETTE: readonly string[] = ['#00e676', '#2962ff', '#ff1744', '#76ff03', '#00bfa5', '#aa00ff', '#c6ff00', '#8d6e63'];
