import { createRequire } from 'node:module';
import type * as TF from '@tensorflow/tfjs';

/**
 * The one tfjs instance of the student. Loaded with `require` (the CommonJS node builds) so that
 * tfjs, the wasm backend and the optional tfjs-node packages all share one tfjs-core engine,
 * whatever module loader (tsx, vitest, electron-vite) imported this file.
 */
// Not named `require`: electron-vite's ESM shim declares its own in every bundled chunk that calls require().
const nodeRequire = createRequire(import.meta.url);

export const tf = nodeRequire('@tensorflow/tfjs') as typeof TF;
export type Tensor = TF.Tensor;
export type Tensor1D = TF.Tensor1D;
export type Tensor2D = TF.Tensor2D;
export type Tensor4D = TF.Tensor4D;
export type Tensor3D = TF.Tensor3D;
export type Scalar = TF.Scalar;
export type Variable = TF.Variable;
export type Rank = TF.Rank;

export { nodeRequire };
