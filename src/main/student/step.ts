import type { Adam } from './adam';
import { bceDiceLoss } from './loss';
import type { BatchStats } from './ops';
import { tf, type Scalar, type Tensor, type Tensor4D, type Variable } from './tf';
import { forward, type UnetWeights } from './unetpp';

/**
 * One optimisation step of the student: forward in training mode, λ·BCE + (1 − λ)·Dice, gradients
 * of every trainable weight, one Adam update, then the BN running statistics. The training loop
 * and the speed bench both call this, so the bench measures exactly what training does.
 */
export class StudentStep {
  private readonly params: Map<string, Variable>;
  private readonly varToParam: Map<string, string>;

  constructor(
    readonly weights: UnetWeights,
    readonly adam: Adam,
  ) {
    this.params = new Map(weights.specs.filter((sp) => sp.trainable).map((sp) => [sp.name, weights.vars.get(sp.name)!]));
    this.varToParam = new Map([...this.params].map(([k, v]) => [v.name, k]));
  }

  /**
   * x: ImageNet-normalised NHWC; y: 0/1 planes [N, K, H, W], a channel per structure; pixelWeights:
   * [N, H, W], 0 on the ignore region. Returns the batch loss (before the update).
   */
  async run(
    x: Float32Array,
    y: Float32Array,
    n: number,
    size: number,
    lambda: number,
    sampleWeights?: Float32Array,
    pixelWeights?: Float32Array,
  ): Promise<number> {
    const stats = new Map<string, BatchStats>();
    const k = this.weights.config.classes;
    const lossValue = tf.tidy(() => {
      const xt = tf.tensor4d(x, [n, size, size, 3]) as Tensor4D;
      const yt = tf.transpose(tf.tensor4d(y, [n, k, size, size]), [0, 2, 3, 1]) as Tensor4D;
      const mt = pixelWeights ? (tf.tensor4d(pixelWeights, [n, size, size, 1]) as Tensor4D) : undefined;
      const { value, grads } = tf.variableGrads(
        () => bceDiceLoss(forward(this.weights, xt, { training: true, stats }), yt, lambda, 1, sampleWeights, mt) as Scalar,
        [...this.params.values()],
      );
      const named = new Map<string, Tensor>();
      for (const [vn, g] of Object.entries(grads)) named.set(this.varToParam.get(vn)!, g);
      this.adam.apply(this.params, named);
      return value;
    });
    this.weights.updateRunningStats(stats);
    for (const st of stats.values()) {
      st.mean.dispose();
      st.variance.dispose();
    }
    const l = (await lossValue.data())[0]!;
    lossValue.dispose();
    return l;
  }
}
