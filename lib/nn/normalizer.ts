/**
 * The input normaliser of an ensemble network: x -> (x - mean) / std per input column, applied
 * inside the forward pass so callers pass raw inputs. Kept both as arrays (to copy, save and send to
 * a worker) and as tensors (to apply).
 */
import { tf } from "../core/backend";
import { ShapeError } from "../core/checks";
import { type MatLike, asMat } from "../linalg/mat";

/** Smallest std used: a constant input column divides by this instead of by zero. */
const MIN_STD = 1e-6;

export class InputNormalizer {
  private meanArr: Float32Array;
  private stdArr: Float32Array;
  private meanT: tf.Tensor1D;
  private invStdT: tf.Tensor1D;
  /** False while the normaliser is the identity (never set): apply() then returns its input. */
  active = false;

  constructor(readonly size: number) {
    this.meanArr = new Float32Array(size);
    this.stdArr = new Float32Array(size).fill(1);
    this.meanT = tf.keep(tf.tensor1d(this.meanArr));
    this.invStdT = tf.keep(tf.tensor1d(this.stdArr));
  }

  /** Sets mean and std; std entries below 1e-6 in size count as 1e-6 so constant inputs stay finite. */
  set(mean: ArrayLike<number>, std: ArrayLike<number>): void {
    const n = this.size;
    if (mean.length !== n || std.length !== n) {
      throw new ShapeError(`setInputNormalizer: expected mean and std of length ${n}, got ${mean.length} and ${std.length}`);
    }
    this.meanArr = Float32Array.from(mean);
    this.stdArr = Float32Array.from(std, (s) => Math.max(Math.abs(s), MIN_STD));
    this.meanT.dispose();
    this.invStdT.dispose();
    this.meanT = tf.keep(tf.tensor1d(this.meanArr));
    this.invStdT = tf.keep(tf.tensor1d(Float32Array.from(this.stdArr, (s) => 1 / s)));
    this.active = true;
  }

  /** The per-column mean and (population) standard deviation of x (rows x size); a constant column gets std 1. */
  static statistics(x: MatLike): { mean: Float64Array; std: number[] } {
    const X = asMat(x);
    const n = X.rows,
      d = X.cols;
    const mean = new Float64Array(d),
      sd = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += X.data[i * d + j] / n;
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) sd[j] += (X.data[i * d + j] - mean[j]) ** 2 / n;
    return { mean, std: Array.from(sd, (v) => (v > 1e-12 ? Math.sqrt(v) : 1)) };
  }

  /** (x - mean) / std for x [rows, size] (x itself while inactive). */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    if (!this.active) return x;
    return tf.mul(tf.sub(x, this.meanT), this.invStdT);
  }

  /** Copies of mean and std. */
  arrays(): { mean: Float32Array; std: Float32Array } {
    return { mean: this.meanArr.slice(), std: this.stdArr.slice() };
  }

  dispose(): void {
    this.meanT.dispose();
    this.invStdT.dispose();
  }
}
