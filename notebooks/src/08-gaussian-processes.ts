// %% [markdown]
// # 08 · Gaussian processes
//
// PILCO (notebook 09) learns the dynamics of a system with **Gaussian processes** (GPs): a model
// that does not just predict the next state, it also says how sure it is, and that certainty shrinks
// where data were seen and grows away from them. This notebook builds the GP from the ground up:
//
// 1. a GP as a distribution over functions: the squared-exponential kernel and prior samples,
// 2. conditioning on data: the posterior mean and variance (your exercise) and posterior samples,
// 3. what the length-scale and the noise level do,
// 4. choosing them by maximising the marginal likelihood, and automatic relevance determination,
// 5. a GP dynamics model of the pendulum: one GP per state dimension predicting the change.

// %%
import { makeRng } from "mbrl/core";
import { display, lineChart, scatterChart, combine } from "mbrl/viz";
import { check, checkClose } from "mbrl/exercise";
import { mat } from "mbrl/linalg";
import { fitGp, gpPredict, gpSample, gpNegLogMarginal, makeHyp, trainGp, trainGps } from "mbrl/models/gp";
import { Pendulum } from "mbrl/envs";

// %% [markdown]
// ## 1. A distribution over functions
//
// *Follows lecture 002 (Stanford AA203, seed `002_…`), slides "Gaussian process reminder" and "Squared
// Exponential Kernel", and lecture 004 (Berkeley CS 294-112, seed `004_…`), slide "What kind of models
// can we use?" (Gaussian process).*
//
// A GP says: for any finite set of inputs $x_1, \dots, x_n$, the function values
// $f(x_1), \dots, f(x_n)$ are jointly Gaussian, with mean 0 (here) and covariance given by a
// **kernel** $k(x_i, x_j)$. The kernel encodes what we believe about the function before seeing
// data. PILCO uses the squared-exponential kernel with one length-scale per input dimension
// (*automatic relevance determination*, ARD):
//
// $$k(x, x') = \sigma_f^2 \exp\Big(-\tfrac12 \sum_d \frac{(x_d - x'_d)^2}{\ell_d^2}\Big).$$
//
// $\sigma_f^2$ is the signal variance (how far the function strays from 0) and $\ell_d$ says over
// what distance along input $d$ the function changes appreciably. Observations add independent noise,
// $y = f(x) + \varepsilon$ with $\varepsilon \sim \mathcal N(0, \sigma_n^2)$. The library keeps the
// hyper-parameters as $[\log \ell_1, \dots, \log \ell_D, \log \sigma_f, \log \sigma_n]$ (`makeHyp`).
//
// Drawing functions from the prior means sampling a Gaussian vector at a fine grid of inputs:

// %%
const grid = Array.from({ length: 121 }, (_, i) => -6 + i * 0.1);
const gridMat = mat(grid.length, 1, grid);
const rngPrior = makeRng(8);
const priorPlots = [0.5, 1.5, 4].map((ell) => {
  const samples = gpSample(null, gridMat, 3, rngPrior, makeHyp([ell], 1, 0.01));
  return lineChart(
    samples.map((s, k) => ({ name: `sample ${k + 1}`, x: grid, y: s })),
    { title: `prior samples, length-scale ${ell}`, width: 420, height: 140, yDomain: [-3, 3], xTitle: "x", yTitle: "f(x)" },
  );
});
// One above the other: three side by side (each with its legend) would not fit the ~950 px output area.
await display(combine(priorPlots, { direction: "vertical" }));

// %% [markdown]
// Short length-scales give wiggly functions, long ones smooth, slowly varying functions. All have
// the same marginal spread $\sigma_f = 1$.
//
// ## 2. Conditioning on data
//
// *Follows lecture 002, slide "Gaussian process reminder" (the posterior mean and variance).*
//
// Given training inputs $X$ (an $n \times D$ matrix) and targets $y$, the posterior of $f$ at a
// test input $x_*$ is Gaussian with
//
// $$\mu(x_*) = k_*^\top (K + \sigma_n^2 I)^{-1} y, \qquad
//   \sigma^2(x_*) = k(x_*, x_*) - k_*^\top (K + \sigma_n^2 I)^{-1} k_*,$$
//
// where $K_{ij} = k(x_i, x_j)$ and $(k_*)_i = k(x_i, x_*)$. The vector
// $\beta = (K + \sigma_n^2 I)^{-1} y$ does not depend on $x_*$; PILCO reuses it in every prediction.
// The mean is a weighted sum of kernels centred on the data; the variance is the prior variance
// minus what the data explain.
//
// ### Exercise: GP posterior mean and variance (3 points)
//
// Write `gpPosterior(X, y, Xs, ell, sf, sn)` for **one-dimensional** inputs: `X` and `y` are the
// training inputs and targets, `Xs` the test inputs, `ell`, `sf`, `sn` the length-scale, signal std
// and noise std (not their logs). Return `{ mean, variance }`, two arrays as long as `Xs`, where
// `variance` is the variance of the latent $f$ (without the noise). Use plain arrays; to apply
// $(K + \sigma_n^2 I)^{-1}$, solve the linear system (Gaussian elimination or a Cholesky
// factorisation, about ten lines) rather than forming the inverse.

// %% exercise id=gp-posterior points=3
function gpPosterior(X: number[], y: number[], Xs: number[], ell: number, sf: number, sn: number): { mean: number[]; variance: number[] } {
  // BEGIN SOLUTION
  throw new Error("not implemented yet: gp-posterior");
  // END SOLUTION
}

// %% check id=gp-posterior
{
  const Xc = [-2, -1, 0.5, 2];
  const yc = [0.3, -0.4, 0.8, 0.1];
  const got = gpPosterior(Xc, yc, [-1.5, 0, 3], 0.9, 1.2, 0.1);
  const ref = gpPredict(fitGp(mat(4, 1, Xc), yc, makeHyp([0.9], 1.2, 0.1)), mat(3, 1, [-1.5, 0, 3]));
  checkClose("posterior mean at three test points", got.mean, Array.from(ref.mean), 1e-6);
  checkClose("posterior variance at three test points", got.variance, Array.from(ref.variance), 1e-6);
  const far = gpPosterior(Xc, yc, [100], 0.9, 1.2, 0.1);
  checkClose("far from the data: the prior (mean 0, variance sf^2)", [far.mean[0], far.variance[0]], [0, 1.44], 1e-6);
  check(
    "the variance is smallest at a training input",
    gpPosterior(Xc, yc, [0.5, 1.2], 0.9, 1.2, 0.1).variance[0] < gpPosterior(Xc, yc, [0.5, 1.2], 0.9, 1.2, 0.1).variance[1],
  );
}

// %% [markdown]
// Now a data set with a gap: 14 noisy observations of a smooth function, none between 0 and 3.
// The posterior mean passes near the data, the band (mean ± 2 standard deviations) is narrow where
// data are dense and opens up in the gap and beyond the data, where the model falls back to the prior.

// %%
const truth = (x: number) => Math.sin(1.3 * x) + 0.3 * x;
const rngData = makeRng(3);
const xTrain = Array.from({ length: 14 }, () => {
  const u = rngData.uniform(-5, 3);
  return u < 0 ? u : u + 3; // leave the gap (0, 3)
});
const yTrain = xTrain.map((x) => truth(x) + rngData.normal(0, 0.15));
const Xtr = mat(xTrain.length, 1, xTrain);

// Two of these side by side must fit the ~950 px output area, legends included: 220 px of plot each.
function posteriorChart(hyp: Float64Array, title: string, width = 220) {
  const gp = fitGp(Xtr, yTrain, hyp);
  const p = gpPredict(gp, gridMat);
  const sd = Array.from(p.variance, (v) => Math.sqrt(v));
  return lineChart(
    [
      {
        name: "mean ± 2 sd",
        x: grid,
        y: p.mean,
        lower: grid.map((_, i) => p.mean[i] - 2 * sd[i]),
        upper: grid.map((_, i) => p.mean[i] + 2 * sd[i]),
      },
      { name: "true function", x: grid, y: grid.map(truth), dashed: true },
      { name: "data", x: xTrain, y: yTrain, points: true },
    ],
    { title, width, height: 220, yDomain: [-4, 4], xTitle: "x", yTitle: "f(x)" },
  );
}

const hypDemo = makeHyp([1], 1, 0.15);
await display(posteriorChart(hypDemo, "posterior, length-scale 1, noise 0.15", 520));

// %% [markdown]
// Samples from the posterior are whole functions that agree with the data (up to the noise) and
// disagree where there are no data. PILCO's uncertainty about the dynamics is exactly this spread.

// %%
{
  const gp = fitGp(Xtr, yTrain, hypDemo);
  const samples = gpSample(gp, gridMat, 4, makeRng(5));
  await display(
    lineChart(
      [
        ...samples.map((s, k) => ({ name: `posterior sample ${k + 1}`, x: grid, y: s })),
        { name: "data", x: xTrain, y: yTrain, points: true },
      ],
      { title: "joint samples from the posterior", width: 520, height: 220, yDomain: [-4, 4], xTitle: "x", yTitle: "f(x)" },
    ),
  );
}

// %% [markdown]
// ## 3. Length-scale and noise
//
// *Follows lecture 002, slide "Squared Exponential Kernel" (what the hyper-parameters mean).*
//
// The same data, four settings. A short length-scale explains every wiggle and returns to the prior
// quickly between points; a long one draws a smooth line and is confident over the gap. A large
// noise level attributes the scatter to noise (smooth mean, wide band at the data); a tiny one forces
// the mean through every point.

// %%
await display(
  combine(
    [
      combine([posteriorChart(makeHyp([0.3], 1, 0.15), "length-scale 0.3"), posteriorChart(makeHyp([3], 1, 0.15), "length-scale 3")]),
      combine([posteriorChart(makeHyp([1], 1, 0.6), "noise 0.6"), posteriorChart(makeHyp([1], 1, 0.01), "noise 0.01")]),
    ],
    { direction: "vertical" },
  ),
);

// %% [markdown]
// ## 4. Fitting by marginal likelihood
//
// *The lectures take the hyper-parameters as given; this section follows Rasmussen and Williams,
// chapter 5, as PILCO's reference code does (lecture 002, "Case study: PILCO").*
//
// Which setting is right? The **marginal likelihood** $p(y \mid X, \theta)$, the probability of the
// observed targets with $f$ integrated out, trades data fit against complexity:
//
// $$-\log p(y \mid X, \theta) = \tfrac12 y^\top (K + \sigma_n^2 I)^{-1} y + \tfrac12 \log|K + \sigma_n^2 I| + \tfrac n2 \log 2\pi.$$
//
// The first term punishes a poor fit, the second punishes flexible models (which spread their
// probability over many data sets). With $K_y = K + \sigma_n^2 I$ and $\beta = K_y^{-1} y$, its gradient
// with respect to a log hyper-parameter $\log\theta$ is
//
// $$\frac{\partial(-\log p)}{\partial \log\theta} = \tfrac12 \operatorname{tr}\Big(\big(K_y^{-1} - \beta\beta^\top\big)\,\frac{\partial K_y}{\partial \log\theta}\Big),$$
//
// (the gradient of $+\log p$ has $\beta\beta^\top - K_y^{-1}$ instead). Because the library keeps
// $\log\ell$, $\log\sigma_f$, $\log\sigma_n$, the derivative needed is $\partial K_y / \partial \log\theta = \theta\, \partial K_y / \partial\theta$:
// for the SE kernel $\partial K_{ij} / \partial \log\ell = K_{ij}\,(x_i - x_j)^2 / \ell^2$,
// $\partial K_{ij} / \partial \log\sigma_f = 2K_{ij}$ and $\partial K_y / \partial \log\sigma_n = 2\sigma_n^2 I$.
// `trainGp` minimises $-\log p$ with L-BFGS in these log coordinates (positive hyper-parameters for
// free), with PILCO's soft bounds on extreme values (Rasmussen and Williams, *Gaussian Processes for
// Machine Learning*, section 5.4; lecture 004, "Model classes: GP").
//
// ### Exercise: the negative log marginal likelihood and its gradient (3 points)
//
// Write `gpNegLogLik(X, y, logEll, logSf, logSn)` for one-dimensional inputs: return
// `{ nlml, grad }`, where `nlml` is $-\log p(y \mid X, \theta)$ from the formula above (with the
// $\tfrac n2 \log 2\pi$) and `grad` $= [\partial/\partial\log\ell, \partial/\partial\log\sigma_f, \partial/\partial\log\sigma_n]$ of it.
// A Cholesky factor $K_y = LL^\top$ gives both $\beta$ (two triangular solves) and
// $\log|K_y| = 2\sum_i \log L_{ii}$; for the trace you need $K_y^{-1}$ (solve for each column of $I$).

// %% exercise id=gp-neg-log-marginal points=3
function gpNegLogLik(X: number[], y: number[], logEll: number, logSf: number, logSn: number): { nlml: number; grad: number[] } {
  // BEGIN SOLUTION
  throw new Error("not implemented yet: gp-neg-log-marginal");
  // END SOLUTION
}

// %% check id=gp-neg-log-marginal
{
  const Xc = [-2, -1, 0.5, 2];
  const yc = [0.3, -0.4, 0.8, 0.1];
  const th = [Math.log(0.9), Math.log(1.2), Math.log(0.1)];
  const got = gpNegLogLik(Xc, yc, th[0], th[1], th[2]);
  // Finite differences of the library's -log p in the LOG hyper-parameters: tests the sign and the coordinates.
  const f = (t: number[]) => gpNegLogMarginal(mat(4, 1, Xc), yc, Float64Array.from(t));
  const fd = th.map((_, d) => {
    const h = 1e-5;
    const up = th.slice(),
      dn = th.slice();
    up[d] += h;
    dn[d] -= h;
    return (f(up) - f(dn)) / (2 * h);
  });
  checkClose("the gradient is that of -log p in log(ell), log(sf), log(sn) (central differences)", got.grad, fd, 1e-5);
  checkClose("-log p(y | X) matches the library, including the 1/2 log|K + sn^2 I| term", got.nlml, f(th), 1e-8);
  const one = gpNegLogLik([0], [1.5], 0, Math.log(2), Math.log(0.5));
  checkClose("one point: -log N(1.5; 0, sf^2 + sn^2)", one.nlml, 0.5 * Math.log(2 * Math.PI * 4.25) + (0.5 * 1.5 ** 2) / 4.25, 1e-9);
}

// %% [markdown]
// First the landscape along the length-scale (signal and noise fixed):

// %%
const logEll = Array.from({ length: 60 }, (_, i) => Math.log(0.1) + (i / 59) * Math.log(100));
await display(
  lineChart(
    [
      {
        name: "-log p(y | X)",
        x: logEll.map(Math.exp),
        y: logEll.map((le) => gpNegLogMarginal(Xtr, yTrain, Float64Array.from([le, 0, Math.log(0.15)]))),
      },
    ],
    {
      title: "the marginal likelihood prefers an intermediate length-scale",
      logX: true,
      xTitle: "length-scale",
      yTitle: "-log p(y | X)",
      width: 480,
      height: 220,
    },
  ),
);
const start = makeHyp([0.2], 2, 0.8);
const fit = trainGp(Xtr, yTrain, { init: start });
const h = Array.from(fit.gp.hyp, Math.exp);
console.log(`before: -log p = ${fit.nlmlBefore.toFixed(2)}  (ell 0.2, sf 2, sn 0.8)`);
console.log(
  `after:  -log p = ${fit.nlmlAfter.toFixed(2)}  (ell ${h[0].toFixed(2)}, sf ${h[1].toFixed(2)}, sn ${h[2].toFixed(3)}; the data noise was 0.15)`,
);
check("fitting lowered the negative log marginal likelihood", fit.nlmlAfter < fit.nlmlBefore);
await display(combine([posteriorChart(start, "before fitting"), posteriorChart(fit.gp.hyp, "after fitting")]));

// %% [markdown]
// **Automatic relevance determination.** With one length-scale per input, fitting can switch an
// input off: an input the target does not depend on gets a huge length-scale (the function is flat
// along it). Here $y$ depends on $x_1$ only; $x_2$ is a distractor.

// %%
{
  const rng = makeRng(11);
  const n = 80;
  const X2 = mat(n, 2);
  const y2 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    X2.data[2 * i] = rng.uniform(-3, 3);
    X2.data[2 * i + 1] = rng.uniform(-3, 3);
    y2[i] = Math.sin(X2.data[2 * i]) + rng.normal(0, 0.1);
  }
  const fit2 = trainGp(X2, y2);
  const l = Array.from(fit2.gp.hyp.slice(0, 2), Math.exp);
  console.log(`length-scales: x1 ${l[0].toFixed(2)}, x2 ${l[1].toFixed(1)}`);
  check("the irrelevant input gets a much longer length-scale", l[1] > 10 * l[0]);
}

// %% [markdown]
// ## 5. A GP dynamics model
//
// *Follows lecture 002, slide "Case study: PILCO" ("use Gaussian process for dynamics"), and lecture 004,
// slide "Case study: model-based policy search with GPs".*
//
// PILCO models a system $x_{t+1} = f(x_t, u_t)$ with one GP per state dimension, each predicting the
// **change** $\Delta_t = x_{t+1} - x_t$ from the state and action (changes are small and smooth, and a
// GP's prior mean 0 then means "nothing happens", a sensible default). Angles enter through
// $\sin\theta, \cos\theta$ so the model does not see a jump at $\pm\pi$. Here: 80 transitions of the
// pendulum under random torques (every action held for two simulator steps, 0.1 s), then a prediction
// of $\Delta\dot\theta$ along a sweep of the angle with $\dot\theta = 0$ and $u = 0$, against the truth.

// %%
{
  const env = new Pendulum({ start: "random", maxSteps: 1e9 });
  const rng = makeRng(2);
  const Xd: number[] = [];
  const Yd: number[] = [];
  env.reset(1);
  for (let t = 0; t < 80; t++) {
    if (t % 20 === 0) env.setState([rng.uniform(-Math.PI, Math.PI), rng.uniform(-2, 2)]);
    const s = env.getState();
    const u = rng.uniform(-2, 2);
    env.step([u]);
    env.step([u]);
    const s2 = env.getState();
    Xd.push(s[1], Math.sin(s[0]), Math.cos(s[0]), u);
    Yd.push(s2[0] - s[0], s2[1] - s[1]);
  }
  const dyn = trainGps(mat(80, 4, Xd), mat(80, 2, Yd));
  const th = Array.from({ length: 73 }, (_, i) => -Math.PI + (i * 2 * Math.PI) / 72);
  const query = mat(
    th.length,
    4,
    th.flatMap((a) => [0, Math.sin(a), Math.cos(a), 0]),
  );
  const p = gpPredict(dyn.gps[1], query);
  const trueDelta = th.map((a) => {
    const probe = new Pendulum({ maxSteps: 1e9 });
    probe.reset(0);
    probe.setState([a, 0]);
    probe.step([0]);
    probe.step([0]);
    return probe.getState()[1];
  });
  await display(
    lineChart(
      [
        {
          name: "GP mean ± 2 sd",
          x: th,
          y: p.mean,
          lower: th.map((_, i) => p.mean[i] - 2 * Math.sqrt(p.variance[i])),
          upper: th.map((_, i) => p.mean[i] + 2 * Math.sqrt(p.variance[i])),
        },
        { name: "true change", x: th, y: trueDelta, dashed: true },
      ],
      {
        title: "pendulum: change of angular velocity over 0.1 s at rest, u = 0",
        xTitle: "angle θ (0 = upright)",
        yTitle: "Δθ̇",
        width: 520,
        height: 240,
      },
    ),
  );
  const err = Math.max(...trueDelta.map((v, i) => Math.abs(v - p.mean[i])));
  console.log(`largest error of the GP mean along the sweep: ${err.toFixed(3)} rad/s`);
}

// %% [markdown]
// The GP learns gravity's pull from 80 transitions. Notebook 09 propagates a whole Gaussian
// *distribution* of states through these GPs, step after step, to predict where a policy will take
// the system and how uncertain that prediction is, and then improves the policy by gradient descent
// on the predicted cost.
//
// ## Check your understanding
//
// 1. Far from the data the posterior mean returns to 0 and the variance to $\sigma_f^2$. For a
//    dynamics model that predicts the *change* of the state, what does that mean physically, and why
//    is it a sensible default for PILCO?
// 2. The marginal likelihood has a data-fit term and a complexity term. Which of the two prefers a
//    short length-scale, and which a long one? What would you get by minimising the data-fit term alone?
// 3. The library optimises $\log\ell, \log\sigma_f, \log\sigma_n$ instead of $\ell, \sigma_f, \sigma_n$.
//    Give two reasons. How does the gradient change between the two parameterisations?
// 4. You have 5,000 transitions of a robot arm. Would you fit a GP to all of them? What breaks, and
//    what does PILCO's library do instead?
// 5. With ARD, the length-scale of an irrelevant input grows very large. What would happen to the
//    posterior if you used one shared length-scale for all inputs on the distractor example?
//
// ## Try it
//
// * **Where the band opens.** In the cell that defines `xTrain` (section 2), change the gap from
//   $(0, 3)$ to $(-1, 1)$ (`u < -1 ? u : u + 2`, with `rngData.uniform(-5, 3)`). Rerun the posterior
//   plot: how wide does the band get in the gap, and how far is the true function from the mean?
// * **A local optimum.** In the cell of section 4 that defines `start`, use `makeHyp([5], 0.5, 0.6)`
//   (a long length-scale and a large noise: "everything is noise"). Does `trainGp` reach the same
//   $-\log p$ as before? Look at the "after" chart.
// * **Less data for the dynamics.** In the GP dynamics cell (section 5), collect 20 transitions instead
//   of 80 (the loop bound and `mat(80, ...)`), and see where along the angle sweep the band opens.
