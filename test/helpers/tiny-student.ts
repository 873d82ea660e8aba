import type { TrainConfig } from '../../src/main/student/train';

/** A tiny student at 64×64: tests and benches of the machinery, not of accuracy. */
export const TINY_STUDENT: Partial<TrainConfig> = {
  size: 64,
  batch: 4,
  lr: 1e-3,
  maxEpochs: 2,
  model: { width: 8, blocks: [1, 1, 1, 1], decoder: [32, 16, 8, 8, 4] },
  testEngine: 'tfjs',
  // The numbers tests pin were recorded with He initialisation; at 8 channels PyTorch's smaller
  // decoder start learns too slowly for a two-epoch test at this learning rate.
  initScheme: 'he',
};
