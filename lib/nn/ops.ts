/**
 * The tensor building blocks of lib/nn: a dense layer whose gradient stays on the fast path of the
 * wasm backend, activations, and the soft log-variance bounds and Gaussian NLL of lecture 003.
 *
 * Why a custom gradient: tfjs's own matMul gradient calls matMul with transpose flags, which the wasm
 * backend runs in a scalar loop (about 10x slower than XNNPACK). Transposing explicitly first keeps
 * every product a plain 2-D matMul.
 */
import { heapTensor, heapView, tf } from "../core/backend";

/**
 * A plain 2-D product through the fused-matMul kernel: on wasm it is 1.5-2x faster than tf.matMul
 * (the BatchMatMul kernel) for the same shapes, e.g. 0.85 ms against 1.96 ms for 256 x 200 x 200.
 */
function mm(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.fused.matMul({ a, b }) as tf.Tensor2D;
}

/**
 * The transpose of a 2-D tensor. tfjs-wasm's Transpose kernel writes with a stride of one input row,
 * which for 256 rows (a 1 KiB stride) thrashes the cache: 0.2-0.3 ms for 256 x 200 against 0.02 ms
 * for 200 x 200. On wasm this copies in 32 x 32 tiles straight between heap tensors instead.
 */
export function transpose2d(x: tf.Tensor2D): tf.Tensor2D {
  const [r, c] = x.shape;
  const out = x.dtype === "float32" ? heapTensor([c, r]) : null;
  if (!out) return tf.transpose(x);
  const dst = out.view,
    src = heapView(x)!; // taken after the allocation, which may have grown the heap
  const T = 32;
  for (let i0 = 0; i0 < r; i0 += T) {
    const i1 = Math.min(r, i0 + T);
    for (let j0 = 0; j0 < c; j0 += T) {
      const j1 = Math.min(c, j0 + T);
      for (let i = i0; i < i1; i++) {
        const row = i * c;
        for (let j = j0; j < j1; j++) dst[j * r + i] = src[row + j];
      }
    }
  }
  return out.tensor as tf.Tensor2D;
}

/**
 * dz = dh * silu'(z), with silu'(z) = s + y - y s from the saved output y = z s and sigmoid s. On wasm
 * one JavaScript pass over the heap instead of four kernels, each rounded to float32 exactly as the
 * kernels round (so the numbers are the same bit for bit).
 */
function siluBackward(dh: tf.Tensor, y: tf.Tensor, s: tf.Tensor): tf.Tensor {
  const out = heapTensor(dh.shape);
  if (!out) return tf.mul(dh, tf.add(s, tf.sub(y, tf.mul(y, s))));
  const o = out.view,
    d = heapView(dh)!,
    yv = heapView(y)!,
    sv = heapView(s)!;
  const f = Math.fround;
  for (let i = 0; i < o.length; i++) {
    const yi = yv[i],
      si = sv[i];
    o[i] = f(d[i] * f(si + f(yi - f(yi * si))));
  }
  return out.tensor;
}

/**
 * The bias gradient 1^T dz, the column sums of dz. On wasm one JavaScript pass over the heap,
 * accumulating each column in float32 row by row as XNNPACK's product with a row of ones does (the
 * same numbers bit for bit, checked on random shapes), without the product's packing of dz.
 */
function columnSums(dz: tf.Tensor2D): tf.Tensor1D {
  const [r, c] = dz.shape;
  const out = heapTensor([c]);
  if (!out) return tf.reshape(mm(tf.ones([1, r]) as tf.Tensor2D, dz), [c]);
  const o = out.view,
    d = heapView(dz)!;
  // o is a Float32Array: every store rounds to float32, like the product's accumulator.
  for (let i = 0; i < r; i++) {
    const row = i * c;
    for (let j = 0; j < c; j++) o[j] += d[row + j];
  }
  return out.tensor as tf.Tensor1D;
}

export type Activation = "silu" | "swish" | "relu" | "tanh" | "linear";

export const ACTIVATIONS: readonly Activation[] = ["silu", "swish", "relu", "tanh", "linear"];

/** x W + b for x [rows, in], W [in, out], b [out], with a gradient made of plain 2-D matMuls. */
export const dense: (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D = tf.customGrad(
  (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, w, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([x, w]);
    const value = tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias: b });
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
        const dy2 = dy as tf.Tensor2D;
        return [
          mm(dy2, transpose2d(ws)), // d/dx = dy W^T
          mm(transpose2d(xs), dy2), // d/dW = x^T dy
          columnSums(dy2), // d/db = 1^T dy (tf.sum over axis 0 would transpose internally)
        ];
      },
    };
  },
) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

/**
 * SiLU (swish) x * sigmoid(x) with a hand-written gradient sigmoid(x) (1 + x (1 - sigmoid(x))):
 * fewer kernels in the backward pass than differentiating the product.
 */
export const silu: (x: tf.Tensor) => tf.Tensor = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const s = tf.sigmoid(x);
  const y = tf.mul(x, s);
  save([y, s]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [ys, ss] = saved;
      // s (1 + x (1 - s)) = s + y - y s, with y = x s the saved output.
      return tf.mul(dy, tf.add(ss, tf.sub(ys, tf.mul(ys, ss))));
    },
  };
}) as unknown as (x: tf.Tensor) => tf.Tensor;

/**
 * tanh(x) = 2 sigmoid(2x) - 1. On the wasm backend tf.tanh is a scalar loop about 15x slower than
 * tf.sigmoid (7 ms against 0.4 ms for 2,000 x 200 values); the identity costs three cheap kernels.
 * Absolute error ~1e-7 (float32), so relative accuracy is lost only for |x| < 1e-6, where tanh x ~ x.
 */
export function fastTanh(x: tf.Tensor): tf.Tensor {
  return tf.sub(tf.mul(tf.sigmoid(tf.mul(x, 2)), 2), 1);
}

/** Applies a named activation. */
export function activate(x: tf.Tensor2D, act: Activation): tf.Tensor2D {
  switch (act) {
    case "silu":
    case "swish":
      return silu(x) as tf.Tensor2D;
    case "relu":
      return tf.relu(x);
    case "tanh":
      return fastTanh(x) as tf.Tensor2D;
    case "linear":
      return x;
  }
}

/**
 * The soft log-variance bounds of lecture 003 (Chua et al. 2018, PETS):
 *   logvar = maxLV - softplus(maxLV - logvar);  logvar = minLV + softplus(logvar - minLV)
 * Smooth (so gradients always flow) and inside (minLV, maxLV). Bounds broadcast over the last axis.
 */
export function softBoundLogVar(logVar: tf.Tensor, minLogVar: tf.Tensor, maxLogVar: tf.Tensor): tf.Tensor {
  const upper = tf.sub(maxLogVar, tf.softplus(tf.sub(maxLogVar, logVar)));
  return tf.add(minLogVar, tf.softplus(tf.sub(upper, minLogVar)));
}

/**
 * The Gaussian negative log-likelihood without its constant, averaged over all entries:
 *   mean((mean - y)^2 exp(-logVar) + logVar)   (half the usual NLL, times 2, as PETS writes it).
 */
export function gaussianNll(mean: tf.Tensor, logVar: tf.Tensor, y: tf.Tensor): tf.Scalar {
  const err = tf.squaredDifference(mean, y);
  return tf.mean(tf.add(tf.mul(err, tf.exp(tf.neg(logVar))), logVar));
}

/**
 * A whole MLP, x -> act(x W0 + b0) -> ... -> h W_{L-1} + b_{L-1}, as ONE differentiable op with a
 * hand-written backward pass. Compared with chaining `dense` and `activate`, the tape holds one node
 * instead of dozens, and the backward pass uses the fewest kernels: per layer one activation
 * derivative, two explicit transposes and two plain 2-D matMuls (the bias gradient 1^T dz is a column sum).
 * Gradients flow to every weight and bias, and to x unless inputGrad is false (then zeros: for losses
 * on data, which are never differentiated w.r.t. the data).
 */
export function mlp(
  x: tf.Tensor2D,
  ws: readonly tf.Tensor2D[],
  bs: readonly tf.Tensor1D[],
  act: Activation,
  { inputGrad = true }: { inputGrad?: boolean } = {},
): tf.Tensor2D {
  const L = ws.length;
  if (L === 0) return x;
  const silu = act === "silu" || act === "swish";
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const W = args.slice(1, 1 + L) as tf.Tensor2D[];
    const B = args.slice(1 + L, 1 + 2 * L) as tf.Tensor1D[];
    // Saved for the backward pass: H[l], the input of layer l (so H[l] = output of layer l - 1), and
    // for SiLU the sigmoids S[l]. tfjs copies every saved tensor, so nothing is saved twice, and
    // weights that are tf.Variables (they outlive the step) are read directly instead of saved.
    const H: tf.Tensor[] = [];
    const S: tf.Tensor[] = [];
    let h = args[0] as tf.Tensor2D;
    for (let l = 0; l < L; l++) {
      H.push(h);
      if (l === L - 1 || act === "linear") {
        h = tf.fused.matMul({ a: h, b: W[l], bias: B[l] }) as tf.Tensor2D;
      } else if (act === "relu") {
        h = tf.fused.matMul({ a: h, b: W[l], bias: B[l], activation: "relu" }) as tf.Tensor2D;
      } else if (act === "tanh") {
        h = fastTanh(tf.fused.matMul({ a: h, b: W[l], bias: B[l] })) as tf.Tensor2D;
      } else {
        const z = tf.fused.matMul({ a: h, b: W[l], bias: B[l] });
        const s = tf.sigmoid(z);
        h = tf.mul(z, s) as tf.Tensor2D;
        S.push(s);
      }
    }
    const savedW = W.filter((w) => !(w instanceof tf.Variable));
    save([...H, ...S, ...savedW]);
    return {
      value: h,
      gradFunc: (dy: tf.Tensor, sv: tf.Tensor[]) => {
        const Hs = sv.slice(0, L) as tf.Tensor2D[];
        const Ss = sv.slice(L, L + S.length);
        let k = L + S.length;
        const Ws = W.map((w) => (w instanceof tf.Variable ? w : (sv[k++] as tf.Tensor2D)));
        const dW: tf.Tensor[] = new Array(L),
          dB: tf.Tensor[] = new Array(L);
        let dz = dy as tf.Tensor2D;
        let dx: tf.Tensor = dz;
        for (let l = L - 1; l >= 0; l--) {
          dW[l] = mm(transpose2d(Hs[l]), dz);
          dB[l] = columnSums(dz);
          if (l === 0) {
            // A training loss never differentiates w.r.t. its data: zeros instead of one more product.
            dx = inputGrad ? mm(dz, transpose2d(Ws[0])) : tf.fill(Hs[0].shape, 0, "float32");
            break;
          }
          const dh = mm(dz, transpose2d(Ws[l]));
          // Back through the activation of layer l - 1, whose output is Hs[l].
          const y = Hs[l];
          if (act === "linear") dz = dh as tf.Tensor2D;
          else if (act === "relu") dz = tf.mul(dh, tf.step(y)) as tf.Tensor2D;
          else if (act === "tanh") dz = tf.mul(dh, tf.sub(1, tf.square(y))) as tf.Tensor2D;
          else if (silu) dz = siluBackward(dh, y, Ss[l - 1]) as tf.Tensor2D; // silu'(z) = s + y - y s
        }
        return [dx, ...dW, ...dB];
      },
    };
  });
  return op(x, ...ws, ...bs) as tf.Tensor2D;
}
