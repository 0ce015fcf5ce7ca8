// %% [markdown]
// # 04 · Uncertainty: knowing what the model does not know
//
// A planner optimises *through* a learned model, and an optimiser is very good at finding the places
// where the model is wrong in its favour (notebook 01 walked off a cliff that way). A model that is
// useful for planning must therefore say not only what it predicts, but **how sure it is**. There are
// two different reasons to be unsure, and they call for different treatment:
//
// * **Aleatoric** (statistical) uncertainty: the system itself is random. A die, wind gusts, sensor
//   noise. Even infinitely many data would not remove it; the best model predicts a *distribution*.
// * **Epistemic** (model) uncertainty: we have not seen enough data to pin the model down. It is
//   large where there are no data and shrinks as data arrive. This is the uncertainty a planner can
//   exploit, and the one exploration should seek out.
//
// (Seed 000, the SFU lecture, "2 Types of Uncertainty" and "Model Exploitation"; seed 001, "Sources of
// Uncertainty in Model-Based RL"; seed 002, "Recap: Model-based RL" and "Uncertainty estimation";
// seed 003, "Aleatoric uncertainty in model learning" and "Epistemic uncertainty".)
//
// This notebook separates the two on a one-dimensional regression problem whose answer we know:
//
// 1. a data set with input-dependent noise and a gap without data;
// 2. the exact Bayesian answer for a model that is linear in its parameters: a posterior over weights;
// 3. a deterministic network (no uncertainty at all), and a two-mode system where its mean-squared
//    error fit predicts neither mode;
// 4. a probabilistic network trained by Gaussian negative log-likelihood, with soft bounds on its
//    log-variance (your first exercise), and what the bounds are for;
// 5. ensembles of probabilistic networks, with their uncertainty split into aleatoric and epistemic
//    parts; bootstrap resampling vs random initialisation;
// 6. the ensemble's disagreement (your second exercise), and other estimators in brief.
//
// Settings are small (150 points, networks of two layers of 64 units, 300 epochs) so that the whole
// notebook runs in one to two minutes.

// %%
import { initBackend, makeRng, tf } from "mbrl/core";
import { display, lineChart, scatterChart, combine, type Series, type VegaLiteSpec } from "mbrl/viz";
import { check, checkClose } from "mbrl/exercise";
import { EnsembleMLP, softBoundLogVar, gaussianNll as tfGaussianNll } from "mbrl/nn";
import { disagreement } from "mbrl/dyna";
import {
  fitBayesLinear,
  bayesLinearPredict,
  bayesLinearPrior,
  sampleWeights,
  sampleFunctions,
  linearFeatures,
  rbfFeatures,
} from "mbrl/models/bayesLinear";
import { gapRegressionData, ensembleMoments } from "mbrl/models/uncertainty";

const backend = await initBackend();
console.log(backend.message);

/** mean +/- k standard deviations, from a mean and a variance. */
function band(mean: ArrayLike<number>, variance: ArrayLike<number>, k = 2): { lower: number[]; upper: number[] } {
  const lower: number[] = [],
    upper: number[] = [];
  for (let i = 0; i < mean.length; i++) {
    lower.push(mean[i] - k * Math.sqrt(variance[i]));
    upper.push(mean[i] + k * Math.sqrt(variance[i]));
  }
  return { lower, upper };
}

// %% [markdown]
// ## 1. A data set with noise and a gap
//
// *Lecture: seed 001, "Sources of Uncertainty in Model-Based RL" (epistemic and aleatoric).*
//
// The truth is $f(x) = \sin(1.5x) + 0.25x$ on $[-4, 4]$. Observations are $y = f(x) + \varepsilon$
// with $\varepsilon \sim \mathcal N(0, \sigma(x)^2)$, where the noise level $\sigma(x)$ grows from 0.04
// at the left end to 0.34 at the right end: **heteroscedastic** noise, so the aleatoric uncertainty
// depends on the input. No inputs fall in the gap $(-1, 2)$, and none beyond $\pm 4$: there the
// epistemic uncertainty should be large. We plot on $[-6, 6]$ to see both the gap and the outside.

// %%
const data = gapRegressionData({ seed: 0, n: 150, gap: [-1, 2] });
const X = data.x.map((v) => [v]);
const Y = data.y.map((v) => [v]);
const grid = Array.from({ length: 241 }, (_, i) => -6 + 0.05 * i);
const truthOnGrid = grid.map(data.truth);
const trueNoiseVar = grid.map((x) => data.noiseStd(x) ** 2);
const inGap = (x: number) => x > data.gap[0] && x < data.gap[1];
const outside = (x: number) => x < data.range[0] || x > data.range[1];
const onData = (x: number) => !inGap(x) && !outside(x);
console.log(
  `${data.x.length} points on [${data.range}] without (${data.gap}); noise std from ${data.noiseStd(-4)} to ${data.noiseStd(4).toFixed(2)}`,
);
await display(
  lineChart([{ name: "truth ± 2 noise sd", x: grid, y: truthOnGrid, ...band(truthOnGrid, trueNoiseVar) }], {
    title: "The data: noise that grows to the right, a gap in the middle",
    xTitle: "x",
    yTitle: "y",
    width: 560,
    yDomain: [-3.5, 3.5],
    observations: { x: data.x, y: data.y },
  }),
);

// %% [markdown]
// ## 2. The Bayesian answer: a posterior over parameters
//
// *Lecture: seed 002, "Uncertainty estimation" ($y = f_\theta(x)$, likelihood, posterior density);
// seed 003, "Bayesian Inference!" and "Bayes Rule".*
//
// Fitting a model by maximum likelihood picks **one** parameter vector, the one under which the data
// are most probable. Bayes' rule keeps all of them, each weighted by how well it explains the data
// and how plausible it was beforehand:
//
// $$p(w \mid \mathcal D) = \frac{p(\mathcal D \mid w)\, p(w)}{p(\mathcal D)}
// \qquad \text{posterior} = \frac{\text{likelihood} \times \text{prior}}{\text{evidence}}.$$
//
// Predictions then average over the posterior,
// $p(y \mid x, \mathcal D) = \int p(y \mid x, w)\, p(w \mid \mathcal D)\, dw$. Where the data pin $w$
// down, all plausible $w$ predict about the same; where they do not, plausible $w$ disagree, and the
// spread of their predictions *is* the epistemic uncertainty.
//
// For a neural network this integral is intractable. For a model that is **linear in its weights**,
// $y = w^\top \phi(x) + \varepsilon$ with fixed features $\phi$, a Gaussian prior
// $w \sim \mathcal N(0, \alpha^{-1} I)$ and Gaussian noise of variance $\beta^{-1}$, everything is
// Gaussian and exact. With the design matrix $\Phi$ (row $i$ is $\phi(x_i)^\top$):
//
// $$S_N = (\alpha I + \beta\, \Phi^\top \Phi)^{-1}, \qquad m_N = \beta\, S_N \Phi^\top y,
// \qquad p(w \mid \mathcal D) = \mathcal N(m_N, S_N),$$
//
// and the predictive distribution at $x$ is $\mathcal N\big(m_N^\top \phi(x),\ \sigma^2(x)\big)$ with
//
// $$\sigma^2(x) = \underbrace{\beta^{-1}}_{\text{aleatoric}} + \underbrace{\phi(x)^\top S_N\, \phi(x)}_{\text{epistemic}}.$$
//
// The library's `fitBayesLinear` computes this (through a Cholesky factor of the precision
// $S_N^{-1}$); `bayesLinearPredict` returns both parts of the variance.
//
// ### The posterior concentrates as data arrive
//
// Start with the simplest features, $\phi(x) = (1, x)$: a straight line with intercept $w_0$ and
// slope $w_1$. Below, 300 samples of $(w_0, w_1)$ from the posterior after $N = 0, 1, 3, 20$ points of
// the line $y = -0.3 + 0.5x$ plus noise of sd 0.2. With no data the samples are the prior. One point
// only says the line passes near it: a whole ridge of $(w_0, w_1)$ does that. Each new point cuts
// the ridge down, and the cloud shrinks towards the true weights.

// %%
{
  const lineRng = makeRng(11);
  const lx = Array.from({ length: 20 }, () => lineRng.uniform(-1, 1));
  const ly = lx.map((x) => -0.3 + 0.5 * x + lineRng.normal(0, 0.2));
  const lineOpts = { priorStd: 1, noiseStd: 0.2 };
  const charts = [0, 1, 3, 20].map((N) => {
    const post = fitBayesLinear(linearFeatures(1), lx.slice(0, N), ly.slice(0, N), lineOpts);
    const ws = sampleWeights(post, 300, makeRng(100 + N));
    return scatterChart(
      [
        { name: "posterior samples", x: ws.map((w) => w[0]), y: ws.map((w) => w[1]) },
        { name: "true weights", x: [-0.3], y: [0.5] },
      ],
      {
        title: `N = ${N}`,
        xTitle: "w0 (intercept)",
        yTitle: "w1 (slope)",
        width: 200,
        height: 200,
        size: 14,
        xDomain: [-3, 3],
        yDomain: [-3, 3],
      },
    );
  });
  await display(
    combine([combine(charts.slice(0, 2)), combine(charts.slice(2))], {
      direction: "vertical",
      title: "Samples from p(w | first N points)",
    }),
  );
}

// %% [markdown]
// ### Radial basis features on the gap data
//
// A line cannot follow our wave. With 25 Gaussian bumps
// $\phi_k(x) = \exp(-(x - c_k)^2 / (2 \cdot 0.6^2))$, centres $c_k$ evenly spaced on $[-6, 6]$, plus
// a constant, the model is still linear in $w$, so the posterior stays exact. The prior sd of each
// weight is 1. The noise level $\beta^{-1/2}$ is one number for all $x$; we pick it from a few
// candidates by the **evidence** $p(y \mid X)$ (the likelihood with the weights integrated out),
// which `fitBayesLinear` also returns.
//
// Each coloured line below is one sample $w \sim p(w \mid \mathcal D)$ drawn as a function
// $w^\top \phi(x)$. The samples agree where there are data and fan out in the gap and outside.

// %%
const rbf = rbfFeatures(
  Array.from({ length: 25 }, (_, k) => -6 + 0.5 * k),
  0.6,
);
const noiseCandidates = [0.05, 0.1, 0.15, 0.2, 0.3, 0.4];
const evidences = noiseCandidates.map((s) => fitBayesLinear(rbf, data.x, data.y, { priorStd: 1, noiseStd: s }).logEvidence);
const blrNoise = noiseCandidates[evidences.indexOf(Math.max(...evidences))];
console.log(noiseCandidates.map((s, i) => `noise ${s}: log evidence ${evidences[i].toFixed(1)}`).join("\n"));
console.log(`chosen noise sd: ${blrNoise}`);
const blr = fitBayesLinear(rbf, data.x, data.y, { priorStd: 1, noiseStd: blrNoise });
const blrPred = bayesLinearPredict(blr, grid);
const blrSamples = sampleFunctions(blr, grid, 6, makeRng(3));
await display(
  combine([
    lineChart(
      [
        ...blrSamples.map((f, k) => ({ name: `sample ${k + 1}`, x: grid, y: Array.from(f) })),
        { name: "truth", x: grid, y: truthOnGrid, dashed: true },
      ],
      {
        title: "Functions drawn from the posterior",
        xTitle: "x",
        yTitle: "y",
        width: 330,
        height: 240,
        yDomain: [-3.5, 3.5],
        observations: { x: data.x, y: data.y },
      },
    ),
    lineChart(
      [
        { name: "± 2 sd total", x: grid, y: Array.from(blrPred.mean), ...band(blrPred.mean, blrPred.variance) },
        { name: "± 2 sd epistemic", x: grid, y: Array.from(blrPred.mean), ...band(blrPred.mean, blrPred.epistemicVar) },
        { name: "truth", x: grid, y: truthOnGrid, dashed: true },
      ],
      {
        title: "Predictive bands",
        xTitle: "x",
        yTitle: "y",
        width: 330,
        height: 240,
        yDomain: [-3.5, 3.5],
        observations: { x: data.x, y: data.y },
      },
    ),
  ]),
);

// %% [markdown]
// Two lessons. The **epistemic** band is thin where data are dense and opens in the gap and beyond
// the data, as it should. The **aleatoric** part is a single number here, the model's assumption of
// constant noise: too wide on the quiet left, too narrow on the noisy right. Capturing noise that
// depends on $x$ needs a model that predicts the variance as a function of $x$ (section 4).
//
// The epistemic part shrinks as data accumulate near $x$, and never grows: conditioning on more data
// can only reduce the posterior variance. Here is its standard deviation after the first
// $N$ points of a shuffled copy of the data:

// %%
{
  const order = makeRng(4).permutation(data.x.length);
  const curves: Series[] = [bayesLinearPrior(rbf, { priorStd: 1, noiseStd: blrNoise })]
    .concat(
      [5, 20, 150].map((N) =>
        fitBayesLinear(
          rbf,
          order.slice(0, N).map((i) => data.x[i]),
          order.slice(0, N).map((i) => data.y[i]),
          { priorStd: 1, noiseStd: blrNoise },
        ),
      ),
    )
    .map((post) => ({
      name: post.n === 0 ? "prior (N = 0)" : `N = ${post.n}`,
      x: grid,
      y: Array.from(bayesLinearPredict(post, grid).epistemicVar, Math.sqrt),
    }));
  await display(
    lineChart(curves, { title: "Epistemic sd of f(x) as data arrive", xTitle: "x", yTitle: "sd of w^T phi(x)", width: 560, height: 220 }),
  );
}

// %% [markdown]
// ## 3. A deterministic network
//
// *Lecture: seed 000, "Deterministic Models" and "Supervised Learning".*
//
// Now the networks. A plain regression network $\hat y = f_\theta(x)$ trained by mean squared error
// is what notebook 01 used for dynamics. All networks in this notebook are the library's
// `EnsembleMLP` (two hidden layers of 64 SiLU units, Adam with learning rate 0.005, minibatches of
// 32, inputs normalised); with `members: 1` it is a single network.

// %%
const HIDDEN = [64, 64];
const EPOCHS = 300;
const LR = 5e-3;
const seconds = (t0: number) => ((Date.now() - t0) / 1000).toFixed(1);

/** Every member's mean (and variance, for a Gaussian head) on the grid, and the ensemble's moments. */
function predictOnGrid(net: EnsembleMLP) {
  const p = net.predict(grid.map((v) => [v]));
  const means = p.mean.map((m) => m.map((r) => r[0]));
  const variances = p.logVar ? p.logVar.map((m) => m.map((r) => Math.exp(r[0]))) : null;
  return { means, variances, logVars: p.logVar ? p.logVar.map((m) => m.map((r) => r[0])) : null, ...ensembleMoments(means, variances) };
}

let t0 = Date.now();
const detNet = new EnsembleMLP({ inputSize: 1, outputSize: 1, hiddenSizes: HIDDEN, head: "deterministic", learningRate: LR, seed: 1 });
detNet.fit(X, Y, { epochs: EPOCHS, batchSize: 32 });
console.log(`deterministic network trained in ${seconds(t0)} s`);
const detPred = predictOnGrid(detNet);
await display(
  lineChart(
    [
      { name: "network", x: grid, y: detPred.mean },
      { name: "truth", x: grid, y: truthOnGrid, dashed: true },
    ],
    {
      title: "Deterministic network: one answer everywhere",
      xTitle: "x",
      yTitle: "y",
      width: 560,
      yDomain: [-3.5, 3.5],
      observations: { x: data.x, y: data.y },
    },
  ),
);

// %% [markdown]
// The network fits the data and then makes something up in the gap and outside, with exactly the
// same confidence as on the data: it has no way to say otherwise.
//
// ### When the mean is not a prediction: two modes
//
// *Lecture: seed 000, "Stochastic Models" ("Conditional Generative Model").*
//
// A deterministic model trained by mean squared error learns the **conditional mean**
// $\mathbb{E}[y \mid x]$. That is the right answer when the noise is small and symmetric around one
// value; it is a wrong one when the system can go two ways. Think of a pendulum balanced almost upright
// that falls left or right, or a car at a fork: half the time $y \approx +g(x)$, half the time
// $y \approx -g(x)$. The mean of the two branches is a state the system never visits.

// %%
{
  const rngB = makeRng(21);
  const xb: number[] = [],
    yb: number[] = [];
  for (let i = 0; i < 200; i++) {
    const x = rngB.uniform(-2, 2);
    const branch = rngB.uniform() < 0.5 ? 1 : -1; // falls one way or the other
    xb.push(x);
    yb.push(branch * (1.2 + 0.3 * x) + 0.1 * rngB.normal());
  }
  const mseNet = new EnsembleMLP({ inputSize: 1, outputSize: 1, hiddenSizes: [32, 32], head: "deterministic", learningRate: LR, seed: 2 });
  mseNet.fit(
    xb.map((v) => [v]),
    yb.map((v) => [v]),
    { epochs: 150, batchSize: 32 },
  );
  const gridB = Array.from({ length: 81 }, (_, i) => -2 + 0.05 * i);
  const fitB = mseNet.predict(gridB.map((v) => [v])).mean[0].map((r) => r[0]);
  const atData = mseNet.predict(xb.map((v) => [v])).mean[0].map((r) => r[0]);
  mseNet.dispose();
  await display(
    lineChart(
      [
        { name: "MSE network: the conditional mean", x: gridB, y: fitB },
        { name: "upper mode", x: gridB, y: gridB.map((x) => 1.2 + 0.3 * x), dashed: true },
        { name: "lower mode", x: gridB, y: gridB.map((x) => -(1.2 + 0.3 * x)), dashed: true },
      ],
      { title: "Two modes: the MSE fit predicts neither", xTitle: "x", yTitle: "y", width: 560, observations: { x: xb, y: yb } },
    ),
  );
  const nearFit = yb.filter((yv, i) => Math.abs(yv - atData[i]) < 0.3).length / yb.length;
  const toMode = gridB.reduce((acc, x, i) => acc + Math.abs(Math.abs(fitB[i]) - (1.2 + 0.3 * x)), 0) / gridB.length;
  console.log(
    `mean distance from the MSE fit to the nearest mode: ${toMode.toFixed(2)}; data points within 0.3 of the fit: ${(100 * nearFit).toFixed(0)} %`,
  );
  check(
    "the MSE fit lies between the modes, where there are no data",
    nearFit < 0.05,
    `${(100 * nearFit).toFixed(0)} % of the points are near it`,
  );
}

// %% [markdown]
// The network runs between the two branches, through a region without a single data point, with
// the same confidence as everywhere else. A planner using it would plan for a state that never
// happens. A Gaussian head (next section) would at least report a large variance here, but one
// Gaussian still puts its peak in the empty middle. Multi-modal outcomes need a model that can
// represent several modes: a mixture density network, or a conditional generative model (seed 000)
// that *samples* $s'$. The models of this course mostly face unimodal noise, where a Gaussian is
// enough; the ensemble's members (section 5) capture a different kind of "several answers", the
// epistemic one.
//
// ## 4. A probabilistic network: Gaussian negative log-likelihood
//
// *Lecture: seed 003, "Aleatoric uncertainty in model learning" (Gaussian NLL, bounded log-variance);
// seed 002, "Case study: PETS".*
//
// Let the network output a distribution instead: a mean $\mu_\theta(x)$ and a variance
// $\sigma^2_\theta(x)$ of a Gaussian over $y$. Train it by maximum likelihood, i.e. minimise the
// negative log-likelihood of the data,
//
// $$-\log \mathcal N\big(y \mid \mu, \sigma^2\big) = \frac12 \Big[\frac{(y - \mu)^2}{\sigma^2} + \log \sigma^2 + \log 2\pi\Big].$$
//
// The first term is the squared error, *discounted* where the network claims high variance; the
// second term charges for claiming it. The minimum over $\sigma^2$ is at $\sigma^2 = (y - \mu)^2$: the
// predicted variance learns the size of the errors, which is the noise. Dropping the constant and
// the factor $\tfrac12$ (neither moves the minimum), the loss averaged over the data, written with
// the log-variance $\ell = \log\sigma^2$ that the network actually outputs, is (as in PETS)
//
// $$L = \frac1N \sum_i \Big[(y_i - \mu_i)^2 e^{-\ell_i} + \ell_i\Big].$$
//
// The network outputs $\ell$ rather than $\sigma^2$ so any real output is a valid variance. But a raw
// $\ell$ is unbounded: on a training point the mean happens to hit exactly, $\ell \to -\infty$ makes
// the loss as small as you like, and away from the data $\ell$ extrapolates without limit. The CMU
// lecture (seed 003, "Aleatoric uncertainty in model learning") shows the fix used by PETS: squash the raw output $\ell_{\text{raw}}$ softly into
// $(\ell_{\min}, \ell_{\max})$,
//
// $$\ell' = \ell_{\max} - \operatorname{softplus}(\ell_{\max} - \ell_{\text{raw}}), \qquad
//   \ell = \ell_{\min} + \operatorname{softplus}(\ell' - \ell_{\min}),$$
//
// with $\operatorname{softplus}(z) = \log(1 + e^z)$, a smooth version of $\max(z, 0)$. Inside the
// bounds $\ell \approx \ell_{\text{raw}}$; near a bound it bends smoothly and levels off at the bound
// (it can exceed $\ell_{\max}$ by at most $\log(1 + e^{-(\ell_{\max} - \ell_{\min})})$, a negligible
// amount), and unlike hard clipping its gradient never becomes exactly zero. The bounds are themselves learned (PETS starts them at
// $-10$ and $0.5$), with a small penalty $0.01(\ell_{\max} - \ell_{\min})$ that keeps them tight.
//
// ### Exercise: Gaussian NLL with soft-bounded log-variance (3 points)
//
// Write `gaussianNll(mean, rawLogVar, y, minLogVar, maxLogVar)`. The three arrays have one entry per
// data point. Apply the two soft bounds to each `rawLogVar[i]` (upper bound first, then lower), and
// return `{ logVar, loss }`: the bounded log-variances and $L$ above, averaged over the points.
// Hint: `Math.log1p(Math.exp(z))` is softplus for the moderate $z$ used here.

// %% exercise id=gaussian-nll points=3
function gaussianNll(
  mean: number[],
  rawLogVar: number[],
  y: number[],
  minLogVar: number,
  maxLogVar: number,
): { logVar: number[]; loss: number } {
  // BEGIN SOLUTION
  throw new Error("not implemented yet: gaussian-nll");
  // END SOLUTION
}

// %% check id=gaussian-nll
{
  const inside = gaussianNll([0], [-3], [0.1], -10, 0.5);
  checkClose("well inside the bounds the log-variance is almost unchanged", inside.logVar[0], -3, 1e-2);
  checkClose("... and the loss is 0.1^2 e^3 + logvar", inside.loss, 0.01 * Math.exp(-inside.logVar[0]) + inside.logVar[0], 1e-9);
  const ends = gaussianNll([0, 0], [50, -50], [1, 1], -10, 0.5);
  checkClose("a huge raw value levels off at the upper bound", ends.logVar[0], 0.5, 1e-3);
  checkClose("a very negative raw value levels off at the lower bound", ends.logVar[1], -10, 1e-3);
  const rng = makeRng(21);
  const mean = Array.from({ length: 8 }, () => rng.normal());
  const raw = Array.from({ length: 8 }, () => rng.uniform(-12, 3));
  const y = mean.map((m) => m + rng.normal(0, 0.5));
  const mine = gaussianNll(mean, raw, y, -8, 0.5);
  const lib = tf.tidy(() => {
    const lv = softBoundLogVar(tf.tensor1d(raw), tf.scalar(-8), tf.scalar(0.5));
    return { logVar: Array.from(lv.dataSync()), loss: tfGaussianNll(tf.tensor1d(mean), lv, tf.tensor1d(y)).dataSync()[0] };
  });
  checkClose("bounded log-variances agree with the library (float32)", mine.logVar, lib.logVar, 1e-4);
  checkClose("the loss agrees with the library (float32)", mine.loss, lib.loss, 1e-4);
}

// %% [markdown]
// The library's `EnsembleMLP` with `head: "gaussian"` has exactly this head and loss. One
// probabilistic network:

// %%
t0 = Date.now();
const probNet = new EnsembleMLP({ inputSize: 1, outputSize: 1, hiddenSizes: HIDDEN, head: "gaussian", learningRate: LR, seed: 2 });
const probLosses = probNet.fit(X, Y, { epochs: EPOCHS, batchSize: 32 }).losses;
console.log(`probabilistic network trained in ${seconds(t0)} s; final loss ${probLosses[probLosses.length - 1].toFixed(3)}`);
console.log(`learned bounds: min ${probNet.minLogVar!.dataSync()[0].toFixed(2)}, max ${probNet.maxLogVar!.dataSync()[0].toFixed(2)}`);
const probPred = predictOnGrid(probNet);
await display(
  combine([
    lineChart(
      [
        { name: "mean ± 2 sd", x: grid, y: probPred.mean, ...band(probPred.mean, probPred.aleatoric) },
        { name: "truth", x: grid, y: truthOnGrid, dashed: true },
      ],
      {
        title: "Probabilistic network",
        xTitle: "x",
        yTitle: "y",
        width: 330,
        height: 240,
        yDomain: [-3.5, 3.5],
        observations: { x: data.x, y: data.y },
      },
    ),
    lineChart(
      [
        { name: "predicted sd", x: grid, y: probPred.aleatoric.map(Math.sqrt) },
        { name: "true noise sd", x: grid, y: trueNoiseVar.map(Math.sqrt), dashed: true },
      ],
      { title: "Predicted vs true noise level", xTitle: "x", yTitle: "sd", width: 330, height: 240 },
    ),
  ]),
);

// %% [markdown]
// On the data the band follows the noise: narrow on the left, wide on the right, close to the true
// noise level, which Bayesian linear regression with one noise level could not do. In the gap and
// outside, though, the predicted sd is just whatever the network's variance output happens to
// extrapolate to. It is **aleatoric** uncertainty only: a statement about noise, learned where there
// were data. Nothing in the NLL rewards a large variance where there are no data, because there are
// no data there to be surprised by.
//
// ### What the soft bounds do
//
// To see the bounds at work, train the same network with the bounds pushed out of the way (fixed at
// $\pm 40$, far beyond any value it will produce) and look at the log-variance over a wider input
// range, $[-12, 12]$, three times the width of the data.

// %%
t0 = Date.now();
const unboundedNet = new EnsembleMLP({
  inputSize: 1,
  outputSize: 1,
  hiddenSizes: HIDDEN,
  head: "gaussian",
  learningRate: LR,
  seed: 2,
  minLogVar: -40,
  maxLogVar: 40,
  learnLogVarBounds: false,
});
const unboundedLosses = unboundedNet.fit(X, Y, { epochs: EPOCHS, batchSize: 32 }).losses;
console.log(`without bounds: trained in ${seconds(t0)} s; final loss ${unboundedLosses[unboundedLosses.length - 1].toFixed(3)}`);
{
  const wide = Array.from({ length: 241 }, (_, i) => -12 + 0.1 * i);
  const lv = (net: EnsembleMLP) => net.predict(wide.map((v) => [v])).logVar![0].map((r) => r[0]);
  const lo = probNet.minLogVar!.dataSync()[0],
    hi = probNet.maxLogVar!.dataSync()[0];
  await display(
    lineChart(
      [
        { name: "soft bounds", x: wide, y: lv(probNet) },
        { name: "no bounds", x: wide, y: lv(unboundedNet) },
        { name: "true log noise var", x: wide, y: wide.map((x) => 2 * Math.log(data.noiseStd(x))), dashed: true },
        { name: "learned max", x: [-12, 12], y: [hi, hi], dashed: true },
        { name: "learned min", x: [-12, 12], y: [lo, lo], dashed: true },
      ],
      { title: "Predicted log-variance far beyond the data (data on [-4, 4])", xTitle: "x", yTitle: "log variance", width: 560 },
    ),
  );
}

// %% [markdown]
// On the data both networks agree with each other and with the true noise: the bounds do not get in
// the way there. Beyond the data, the unbounded log-variance keeps following whatever trend its last
// layer extrapolates (SiLU networks become linear far out). Here it climbs on both sides, to
// variances hundreds of times the largest noise in the data; another seed could as well make it
// dive, claiming near-certainty where nothing was ever seen. The bounded one levels off at the
// learned bounds, which sit just outside the range of noise in the data (the true log noise
// variance runs from $2\log 0.04 \approx -6.4$ to $2\log 0.34 \approx -2.2$): the model cannot
// claim more certainty, nor more noise, than it ever saw. In a
// dynamics model that is fed its own predictions for many steps (PETS, notebook 05), one absurd
// variance is enough to wreck a whole rollout, so PETS always uses the bounds.
//
// ## 5. Ensembles: epistemic uncertainty
//
// *Lecture: seed 000, "Ensemble", "How to train ensemble?" (bootstrapping, "In practice"); seed 003,
// "NN Ensembles for representing Epistemic uncertainty".*
//
// We cannot integrate over all networks' weights as in section 2, but we can keep a handful of them.
// An **ensemble** is $B$ networks trained on the same task that differ by chance: by their random
// initial weights, by the order of their minibatches, and optionally by their data. They should
// agree where the data constrain them and, hopefully, disagree elsewhere. Treat the ensemble as a
// sample from the posterior: its prediction is the uniform mixture of the members' Gaussians
// $\mathcal N(\mu_b(x), \sigma_b^2(x))$, whose variance splits by the law of total variance into
//
// $$\operatorname{Var}[y \mid x] = \underbrace{\frac1B \sum_b \sigma_b^2(x)}_{\text{aleatoric: the noise each member predicts}}
// + \underbrace{\frac1B \sum_b \big(\mu_b(x) - \bar\mu(x)\big)^2}_{\text{epistemic: how much the members disagree}},
// \qquad \bar\mu(x) = \frac1B \sum_b \mu_b(x).$$
//
// `ensembleMoments(means, variances)` computes these. A **probabilistic ensemble** (PE, the model of
// PETS) is $B = 5$ probabilistic networks; `EnsembleMLP` trains all members together in one batched
// step. First with each member on its own **bootstrap** resample of the data: $N$ points drawn
// *with replacement*, so each member sees about 63 % of the distinct points, some of them twice.

// %%
t0 = Date.now();
const bootNet = new EnsembleMLP({
  inputSize: 1,
  outputSize: 1,
  hiddenSizes: HIDDEN,
  members: 5,
  head: "gaussian",
  learningRate: LR,
  seed: 3,
});
bootNet.fit(X, Y, { epochs: EPOCHS, batchSize: 32, bootstrap: true });
console.log(`bootstrap ensemble (5 members) trained in ${seconds(t0)} s`);
const bootPred = predictOnGrid(bootNet);

function ensembleCharts(pred: ReturnType<typeof predictOnGrid>, title: string, width = 330): VegaLiteSpec[] {
  return [
    lineChart(
      [...pred.means.map((m, b) => ({ name: `member ${b + 1}`, x: grid, y: m })), { name: "truth", x: grid, y: truthOnGrid, dashed: true }],
      {
        title: `${title}: the members' means`,
        xTitle: "x",
        yTitle: "y",
        width,
        height: 240,
        yDomain: [-3.5, 3.5],
        observations: { x: data.x, y: data.y },
      },
    ),
    lineChart(
      [
        { name: "± 2 sd total", x: grid, y: pred.mean, ...band(pred.mean, pred.total) },
        { name: "± 2 sd aleatoric", x: grid, y: pred.mean, ...band(pred.mean, pred.aleatoric) },
        { name: "truth", x: grid, y: truthOnGrid, dashed: true },
      ],
      {
        title: `${title}: total vs aleatoric band`,
        xTitle: "x",
        yTitle: "y",
        width,
        height: 240,
        yDomain: [-3.5, 3.5],
        observations: { x: data.x, y: data.y },
      },
    ),
  ];
}
await display(combine(ensembleCharts(bootPred, "Bootstrap PE")));

// %% [markdown]
// Where there are data, the members' means lie on top of each other and the total band is the
// aleatoric band: the uncertainty there is noise. In the gap and outside the data, the members go
// their own ways, and the total band opens up well beyond the aleatoric one. Plotting the two standard
// deviations separately makes the split explicit:

// %%
{
  const mean = (xs: number[], keep: (x: number) => boolean) => {
    const v = xs.filter((_, i) => keep(grid[i]));
    return v.reduce((a, b) => a + b, 0) / v.length;
  };
  const aleSd = bootPred.aleatoric.map(Math.sqrt),
    epiSd = bootPred.epistemic.map(Math.sqrt);
  console.log(
    `mean epistemic sd: on the data ${mean(epiSd, onData).toFixed(3)}, in the gap ${mean(epiSd, inGap).toFixed(3)}, outside ${mean(epiSd, outside).toFixed(3)}`,
  );
  console.log(
    `mean aleatoric sd: on the data ${mean(aleSd, onData).toFixed(3)} (true noise ${mean(trueNoiseVar.map(Math.sqrt), onData).toFixed(3)})`,
  );
  await display(
    lineChart(
      [
        { name: "aleatoric sd", x: grid, y: aleSd },
        { name: "epistemic sd", x: grid, y: epiSd },
        { name: "true noise sd", x: grid, y: trueNoiseVar.map(Math.sqrt), dashed: true },
        { name: "epistemic sd, BLR", x: grid, y: Array.from(blrPred.epistemicVar, Math.sqrt), dashed: true },
      ],
      { title: "Two kinds of uncertainty, separated (bootstrap PE)", xTitle: "x", yTitle: "standard deviation", width: 560, height: 240 },
    ),
  );
}

// %% [markdown]
// The aleatoric sd (the mean of the members' predicted noise) tracks the true noise on the data. The
// epistemic sd (the spread of the members' means) behaves like the exact posterior of Bayesian linear
// regression (BLR, section 2): small on the data, large in the gap and outside. The scales differ,
// because the two models assume different things about which functions are plausible a priori.
//
// ### Bootstrap or just different random initialisations?
//
// The SFU lecture (seed 000, "How to train ensemble?") notes a catch: bootstrapping *reduces* the data each model sees. In practice, it says,
// initialising the members with different random weights and training them all on the same data,
// with the randomness of SGD, already makes the members diverse enough. The same ensemble again,
// every member on all the data (`bootstrap: false`):

// %%
t0 = Date.now();
const initNet = new EnsembleMLP({
  inputSize: 1,
  outputSize: 1,
  hiddenSizes: HIDDEN,
  members: 5,
  head: "gaussian",
  learningRate: LR,
  seed: 3,
});
initNet.fit(X, Y, { epochs: EPOCHS, batchSize: 32, bootstrap: false });
console.log(`random-init ensemble (5 members, same data) trained in ${seconds(t0)} s`);
const initPred = predictOnGrid(initNet);
{
  const gapSd = (pred: ReturnType<typeof predictOnGrid>) => {
    const v = pred.epistemic.filter((_, i) => inGap(grid[i])).map(Math.sqrt);
    return (v.reduce((a, b) => a + b, 0) / v.length).toFixed(3);
  };
  console.log(`mean epistemic sd in the gap: bootstrap ${gapSd(bootPred)}, random init only ${gapSd(initPred)}`);
}
await display(
  combine(
    [
      combine([ensembleCharts(bootPred, "Bootstrap", 300)[1], ensembleCharts(initPred, "Random init only", 300)[1]]),
      lineChart(
        [
          { name: "bootstrap", x: grid, y: bootPred.epistemic.map(Math.sqrt) },
          { name: "random init only", x: grid, y: initPred.epistemic.map(Math.sqrt) },
        ],
        { title: "Epistemic sd of the two ensembles", xTitle: "x", yTitle: "sd", width: 640, height: 180 },
      ),
    ],
    { direction: "vertical" },
  ),
);

// %% [markdown]
// Both ensembles separate the two kinds of uncertainty in the same way: thin epistemic spread on the
// data, wide in the gap and outside. Random initialisation alone already gives that shape, as the
// lecture says. In this run it is the more confident of the two, with about half the bootstrap ensemble's
// spread in the gap, and its total band only just reaches the true peak near $x = 1$: ensembles of a
// few members tend to *under*-estimate epistemic uncertainty. Bootstrapping adds diversity (each
// member saw a different sample of the data and its noise) at the price of fitting each member on
// fewer distinct points. PETS uses bootstrap resampling; many later methods rely on random
// initialisation alone. Neither is the true posterior: both are cheap stand-ins that are right in the
// way that matters most for planning, large where there are no data.
//
// ## 6. Disagreement
//
// *Lecture: seed 000, "How to use ensemble?" (disagreement, penalty, termination).*
//
// Methods that *use* an ensemble's epistemic uncertainty often reduce it to one number per input,
// the **disagreement** between the members' predicted means (seed 000, "How to use ensemble?"):
//
// $$d(x) = \max_{i, j}\ \big\lVert \mu_i(x) - \mu_j(x) \big\rVert_2 ,$$
//
// the largest distance between two members. A model-based learner can then distrust its model where
// $d$ is large. Softly: subtract a penalty proportional to the uncertainty from the simulated reward,
// $r - \lambda u(s, a)$ (MOPO, with $u$ an uncertainty estimate such as $d$). Or with a hard rule: where
// $d$ exceeds a threshold $\alpha$, replace the reward by a large negative constant $-\kappa$ and
// **halt** the simulated rollout there (MOReL). Notebook 07 compares both. Or, the other way round,
// seek those places out to explore.
//
// ### Exercise: ensemble disagreement (2 points)
//
// Write `ensembleDisagreement(means)`, where `means[b][i]` is member $b$'s predicted mean at input
// $i$, a vector (array) of any length $D$. Return an array with $d$ for every input $i$: the largest
// Euclidean distance between the means of two different members (0 for a single member).

// %% exercise id=ensemble-disagreement points=2
function ensembleDisagreement(means: number[][][]): number[] {
  // BEGIN SOLUTION
  throw new Error("not implemented yet: ensemble-disagreement");
  // END SOLUTION
}

// %% check id=ensemble-disagreement
{
  checkClose("two members 3-4-5 apart", ensembleDisagreement([[[0, 0]], [[3, 4]]]), [5]);
  checkClose("the farthest pair counts, not the average", ensembleDisagreement([[[0]], [[1]], [[-2]]]), [3]);
  checkClose(
    "one member: no disagreement",
    ensembleDisagreement([
      [
        [1, 2],
        [3, 4],
      ],
    ]),
    [0, 0],
  );
  const rng = makeRng(5);
  const B = 4,
    n = 6,
    D = 3;
  const rand = Array.from({ length: B }, () => Array.from({ length: n }, () => Array.from({ length: D }, () => rng.normal())));
  checkClose(
    "agrees with the library's disagreement on random means",
    ensembleDisagreement(rand),
    Array.from(
      disagreement(
        rand.map((m) => Float64Array.from(m.flat())),
        n,
        D,
      ),
    ),
    1e-9,
  );
}

// %% [markdown]
// The disagreement of both ensembles along $x$, with the data marked below the curves:

// %%
{
  const toVectors = (pred: ReturnType<typeof predictOnGrid>) => pred.means.map((m) => m.map((v) => [v]));
  const dBoot = ensembleDisagreement(toVectors(bootPred));
  const dInit = ensembleDisagreement(toVectors(initPred));
  await display(
    lineChart(
      [
        { name: "bootstrap PE", x: grid, y: dBoot },
        { name: "random-init PE", x: grid, y: dInit },
      ],
      {
        title: "Disagreement between the members' means (dots: training inputs)",
        xTitle: "x",
        yTitle: "d(x)",
        width: 560,
        height: 240,
        observations: { x: data.x, y: data.x.map(() => -0.05) },
      },
    ),
  );
  const at = (d: number[], keep: (x: number) => boolean) => Math.max(...d.filter((_, i) => keep(grid[i])));
  console.log(`largest d on the data: bootstrap ${at(dBoot, onData).toFixed(2)}, random init ${at(dInit, onData).toFixed(2)}`);
  console.log(`largest d in the gap:  bootstrap ${at(dBoot, inGap).toFixed(2)}, random init ${at(dInit, inGap).toFixed(2)}`);
  check(
    "both ensembles disagree more in the gap than anywhere on the data",
    at(dBoot, inGap) > at(dBoot, onData) && at(dInit, inGap) > at(dInit, onData),
  );
}

// %% [markdown]
// A threshold on $d$ separates "the model knows" from "the model is guessing" without looking at the
// truth, which a planner never has.
//
// ## 7. Other estimators, in brief
//
// *Lecture: seed 000, "Uncertainty Estimation"; seed 001, "How to Quantify Uncertainty in Dynamics?".*
//
// Ensembles are the workhorse of model-based RL because they are simple and robust, but not the
// only option:
//
// * **Bayesian neural networks** put a distribution on every weight and approximate the intractable
//   posterior, usually variationally (a Gaussian per weight, fitted by maximising a lower bound on
//   the evidence). Principled, but harder to train and often over-confident in practice.
// * **Monte Carlo dropout**: train with dropout (randomly zeroing units) and keep it switched on at
//   prediction time; each forward pass is then a different thinned network, and the spread over
//   several passes estimates the epistemic uncertainty. Almost free to add to an existing network;
//   the quality of its uncertainty depends strongly on the dropout rate.
// * **Gaussian processes** (notebook 08) are the non-parametric relative of section 2: exact
//   posteriors, excellent with a few hundred points, expensive with many.
// * Others: normalised maximum likelihood, test-time augmentation, ...
//
// ## Summary
//
// * **Aleatoric** uncertainty is noise in the system; a **probabilistic** model learns it, e.g. a
//   network trained by Gaussian NLL. It does not shrink with more data.
// * **Epistemic** uncertainty is lack of data; it lives in the posterior over parameters. Bayesian
//   linear regression has it in closed form; an **ensemble** approximates it by the spread of its
//   members, and it shrinks where data arrive.
// * Predict the log-variance and **soft-bound** it between learned limits: no collapse onto training
//   points, no absurd variances away from them.
// * An ensemble's variance = mean of the members' variances (aleatoric) + variance of their means
//   (epistemic). Bootstrap resampling and random initialisation both give useful diversity.
// * The **disagreement** $d = \max_{i,j} \lVert \mu_i - \mu_j \rVert$ flags inputs where the model is
//   guessing. Notebook 05 puts probabilistic ensembles to work in planning (PETS).
// * A mean-squared-error fit predicts the conditional mean, which for a two-way system is neither way.
//
// ## Check your understanding
//
// 1. You collect ten times more data in the gap. Which part of the ensemble's variance shrinks, which
//    does not, and how would you check it on the plots of section 5?
// 2. Why is the soft lower bound on the log-variance needed at all, when the NLL already charges
//    $+\ell$ for claiming a small variance? What happens on a training point the mean fits exactly?
// 3. For the two-mode system, would a Gaussian NLL network fix the problem? What would it predict,
//    and what would a planner do with that prediction?
// 4. A planner should avoid states where the model is guessing. Would you use the disagreement $d$
//    or the ensemble's total variance for that, and why might the choice matter for a noisy system?
//
// ## Try it
//
// * In the **two modes** cell, change the branch probability `rngB.uniform() < 0.5` to `< 0.9`:
//   where does the MSE fit go now, and is it a good prediction of anything?
// * In the **ensembles** cell (`bootNet`), change `members: 5` to 2 and rerun it and the disagreement
//   cells: how much of the epistemic band in the gap is left, and is the gap still flagged by $d$?
// * In the **what the soft bounds do** cell, change the fixed bounds `minLogVar: -40, maxLogVar: 40`
//   to PETS's starting values `-10` and `0.5`: which of the two curves changes, and where?
