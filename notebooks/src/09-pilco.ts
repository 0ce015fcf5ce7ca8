// %% [markdown]
// # 09 · PILCO: probabilistic inference for learning control
//
// PILCO (Deisenroth and Rasmussen, 2011) learned to swing up and balance a real cart-pole from
// under 20 seconds of interaction. Its recipe has three ingredients, each with a closed form:
//
// 1. **a GP dynamics model** (notebook 08): one GP per state dimension predicting the change;
// 2. **long-term prediction by moment matching**: a Gaussian over the state is pushed through the
//    policy and the GPs, step after step; at each step the (non-Gaussian) result is replaced by the
//    Gaussian with the same mean and covariance, which can be computed *exactly*;
// 3. **policy search with analytic gradients**: the expected cost summed over the prediction is a
//    differentiable function of the policy parameters, minimised with a quasi-Newton method (L-BFGS).
//
// Because the model's uncertainty is part of the prediction, the policy is optimised against every
// dynamics the data allow, not just the most likely one: this is what makes PILCO so data efficient.
// This notebook follows lecture 002 (Stanford AA203, seed `002_…`), slides "Case study: PILCO" and
// "PILCO (at a high level)", and lecture 004 (Berkeley CS 294-112, seed `004_…`), slide "Case study:
// model-based policy search with GPs".

// %%
import { makeRng } from "mbrl/core";
import { display, lineChart, histogram, combine, animate, progress, type Series } from "mbrl/viz";
import { loadResult } from "mbrl/datasets";
import { check, checkClose } from "mbrl/exercise";
import { mat } from "mbrl/linalg";
import { fitGp, gpPredict, makeHyp } from "mbrl/models/gp";
import { Pendulum } from "mbrl/envs";
import {
  lossSat,
  mmModelFromGps,
  momentMatch,
  pendulumScenario,
  pendulumSuccess,
  pilco,
  type PilcoTrial,
  type PilcoTrialRecord,
} from "mbrl/pilco";

// %% [markdown]
// ## 1. Moment matching through a GP
//
// *Follows lecture 002, slide "Case study: PILCO" ("approximate the predictive distribution with a
// Gaussian via moment matching"; "because of the squared exponential kernel, mean and variance can be
// computed in closed form").*
//
// Take a GP $f$ with SE kernel (length-scale $\ell$, signal std $\sigma_f$) trained on data, and an
// uncertain input $x \sim \mathcal N(m, v)$. The predictive distribution of $f(x)$ is not Gaussian,
// but its mean has a closed form: the expectation of each kernel bump
// $\sigma_f^2 \exp(-\tfrac12 (x - x_i)^2/\ell^2)$ under the Gaussian input is again a Gaussian bump,
// wider and lower,
//
// $$\mathbb E[f(x)] = \sum_i \beta_i \; \frac{\sigma_f^2}{\sqrt{1 + v/\ell^2}} \exp\Big(-\frac{(x_i - m)^2}{2(\ell^2 + v)}\Big),
//   \qquad \beta = (K + \sigma_n^2 I)^{-1} y .$$
//
// In $D$ dimensions the same computation gives $\sigma_f^2 |S\Lambda^{-1} + I|^{-1/2}\exp(-\tfrac12 \nu_i^\top (S + \Lambda)^{-1}\nu_i)$
// with $\nu_i = x_i - m$ and $\Lambda = \mathrm{diag}(\ell_d^2)$; the variance, the covariance
// between outputs and the covariance between input and output also have closed forms
// (`momentMatch` in the library computes all of them and their derivatives; its tests check every
// term against 100,000 Monte Carlo samples).
//
// ### Exercise: the moment-matched mean (3 points)
//
// Write `momentMatchedMean(X, beta, ell, sf, m, v)`: the mean of $f(x)$ for a one-dimensional GP with
// training inputs `X`, weights `beta` $= (K + \sigma_n^2 I)^{-1}y$, length-scale `ell`, signal std
// `sf`, and an input $x \sim \mathcal N(m, v)$ (`v` is a variance).

// %% exercise id=moment-matched-mean points=3
function momentMatchedMean(X: number[], beta: number[], ell: number, sf: number, m: number, v: number): number {
  // BEGIN SOLUTION
  throw new Error("not implemented yet: moment-matched-mean");
  // END SOLUTION
}

// %% check id=moment-matched-mean
{
  const Xc = [-2, -0.5, 1, 2.5];
  const yc = [0.5, -0.3, 0.9, 0.2];
  const gp = fitGp(mat(4, 1, Xc), yc, makeHyp([0.8], 1.1, 0.1));
  const beta = Array.from(gp.beta);
  // The simplest case first: with v = 0 the mean is the GP posterior mean, sf^2 sum_i beta_i k_i.
  const gpMean = gpPredict(gp, mat(1, 1, [0.3])).mean[0];
  const sfSlip = "sf where sf^2 belongs (sf is the signal's standard deviation; the kernel carries sf^2)";
  checkClose("with v = 0 it is the GP posterior mean", momentMatchedMean(Xc, beta, 0.8, 1.1, 0.3, 0), gpMean, 1e-8, {
    [sfSlip]: gpMean / 1.1,
  });
  const ref = momentMatch(mmModelFromGps([gp]), [0.3], [0.4]).out.M[0];
  checkClose(
    "the mean at x ~ N(0.3, 0.4) equals the library's moment matching",
    momentMatchedMean(Xc, beta, 0.8, 1.1, 0.3, 0.4),
    ref,
    1e-8,
    {
      [sfSlip]: ref / 1.1,
    },
  );
}

// %% [markdown]
// How good is the Gaussian that moment matching returns? Below, a GP fitted to a bumpy function, an
// input $x \sim \mathcal N(0.5, 0.6^2)$, and 20,000 samples of $f(x)$ (sample $x$, then sample $f(x)$
// from the GP posterior at $x$). The exact mean and variance of that sample cloud are what moment
// matching computes; the shape (here skewed) is what it throws away.

// %%
{
  const rng = makeRng(4);
  const Xd = Array.from({ length: 20 }, () => rng.uniform(-3, 3));
  const yd = Xd.map((x) => Math.sin(2 * x) + 0.5 * x + rng.normal(0, 0.1));
  const gp = fitGp(mat(20, 1, Xd), yd, makeHyp([0.7], 1, 0.1));
  const mm = momentMatch(mmModelFromGps([gp]), [0.5], [0.36]).out;
  const xs = Array.from({ length: 20000 }, () => 0.5 + 0.6 * rng.normal());
  const pred = gpPredict(gp, mat(xs.length, 1, xs));
  const fs = xs.map((_, i) => pred.mean[i] + Math.sqrt(pred.variance[i]) * rng.normal());
  const mean = fs.reduce((a, b) => a + b, 0) / fs.length;
  const variance = fs.reduce((a, b) => a + (b - mean) ** 2, 0) / fs.length;
  console.log(`Monte Carlo:     mean ${mean.toFixed(4)}, variance ${variance.toFixed(4)}`);
  console.log(`moment matching: mean ${mm.M[0].toFixed(4)}, variance ${mm.S[0].toFixed(4)}`);
  const gauss = Array.from({ length: 20000 }, () => mm.M[0] + Math.sqrt(mm.S[0]) * rng.normal());
  await display(
    histogram(
      [
        { name: "Monte Carlo", values: fs },
        { name: "moment matching", values: gauss },
      ],
      { title: "f(x) for x ~ N(0.5, 0.6²): samples and the moment-matched Gaussian", bins: 50, xTitle: "f(x)" },
    ),
  );
  check("moment matching gets the Monte Carlo mean", Math.abs(mean - mm.M[0]) < 0.02);
  check("moment matching gets the Monte Carlo variance", Math.abs(variance - mm.S[0]) < 0.05 * mm.S[0]);
}

// %% [markdown]
// ## 2. The saturating cost and its expectation
//
// *Follows lecture 002, slide "Case study: PILCO" (the saturating cost, "similarly squared exponential;
// thus expected cost can be computed exactly, factoring in uncertainty").*
//
// PILCO's cost of a state is $c(x) = 1 - \exp(-\tfrac{1}{2 w^2}\lVert x - x_{\text{target}}\rVert^2)$:
// about quadratic near the target, saturating at 1 far away (a state that is far off is simply bad,
// no matter how far). For the pendulum and the cart-pole, $x$ here is the position of the pole's tip
// (computed from $\sin\theta, \cos\theta$ with the trigonometric moment matching of the library).
// Under a Gaussian state $x \sim \mathcal N(m, S)$ the expected cost is closed form too:
//
// $$\mathbb E[c(x)] = 1 - |I + S W|^{-1/2} \exp\big(-\tfrac12 (m - x_{\text{target}})^\top W (I + S W)^{-1} (m - x_{\text{target}})\big),
//   \qquad W = I / w^2 .$$
//
// ### Exercise: the expected saturating cost (3 points)
//
// Write `expectedSaturatingCost(m, v, target, width)` for a state with **independent** coordinates,
// $x_d \sim \mathcal N(m_d, v_d)$ (`v` holds variances). With a diagonal $S$ the formula above
// factorises over the coordinates.

// %% exercise id=expected-saturating-cost points=3
function expectedSaturatingCost(m: number[], v: number[], target: number[], width: number): number {
  // BEGIN SOLUTION
  throw new Error("not implemented yet: expected-saturating-cost");
  // END SOLUTION
}

// %% check id=expected-saturating-cost
{
  const m = [0.4, -0.2];
  const v = [0.3, 0.05];
  const z = [0, 0.1];
  const w = 0.5;
  const W = [1 / (w * w), 0, 0, 1 / (w * w)];
  checkClose("matches the library's lossSat", expectedSaturatingCost(m, v, z, w), lossSat(m, [v[0], 0, 0, v[1]], W, z).L, 1e-9);
  checkClose("a certain state at the target costs 0", expectedSaturatingCost([1, 2], [0, 0], [1, 2], 0.3), 0, 1e-12);
  const rng = makeRng(1);
  let acc = 0;
  for (let k = 0; k < 50000; k++) {
    const d0 = m[0] + Math.sqrt(v[0]) * rng.normal() - z[0];
    const d1 = m[1] + Math.sqrt(v[1]) * rng.normal() - z[1];
    acc += 1 - Math.exp(-(d0 * d0 + d1 * d1) / (2 * w * w));
  }
  checkClose("agrees with 50,000 Monte Carlo samples", expectedSaturatingCost(m, v, z, w), acc / 50000, 0.005);
}

// %% [markdown]
// The expectation has a useful side effect. Below: the expected cost of a 1-D state as its standard
// deviation grows, at the target and one unit away (width 0.5). At the target, uncertainty *raises*
// the expected cost (PILCO prefers to be sure there); far away it *lowers* it (a wide distribution
// might reach the target), which pushes the policy to explore when it is doing badly.

// %%
{
  const sds = Array.from({ length: 60 }, (_, i) => i * 0.05);
  const at = sds.map((s) => lossSat([0], [s * s], [4], [0]).L);
  const away = sds.map((s) => lossSat([1], [s * s], [4], [0]).L);
  await display(
    lineChart(
      [
        { name: "mean at the target", x: sds, y: at },
        { name: "mean 1 away", x: sds, y: away },
      ],
      {
        title: "expected saturating cost vs uncertainty (width 0.5)",
        xTitle: "state standard deviation",
        yTitle: "E[cost]",
        width: 480,
        height: 240,
      },
    ),
  );
}

// %% [markdown]
// ## 3. PILCO on the pendulum swing-up
//
// *Follows lecture 002, slides "Case study: PILCO" (RBF or linear policy, gradient by the chain rule)
// and "PILCO (at a high level)" (the loop), and lecture 004, slide "Case study: model-based policy search
// with GPs".*
//
// The pendulum starts hanging down ($\theta = \pi$) and must swing up to $\theta = 0$ and stay there.
// The policy is an RBF network (a deterministic GP with 10 basis functions whose centres, targets
// and length-scales are the parameters) followed by the squashing $u_{\max}(9\sin z + \sin 3z)/8$,
// which keeps every action within the torque limit. One step of the long-term prediction:
//
// 1. append $[\sin\theta, \cos\theta]$ to the Gaussian state (exact trigonometric moments),
// 2. moment-match the policy and the squashing: a Gaussian over the action, with its covariance to the state,
// 3. moment-match the dynamics GPs on $(\dot\theta, \sin\theta, \cos\theta, u)$: a Gaussian over the change,
// 4. add the change to the state (with the input-output covariances).
//
// Every block has an analytic derivative; chaining them backwards through the horizon gives the
// gradient of $\sum_t \mathbb E[c(x_t)]$ with respect to all policy parameters (checked against
// finite differences in the tests). The loop: one trial with random torques, then *fit GPs →
// optimise the policy on the prediction → run it on the pendulum*, until it succeeds (tip within
// 0.5 of the top for the last second), for at most six learned trials.
//
// To keep this notebook within its time budget, the pendulum here has a stronger motor (torque
// limit 4 instead of 2, so one swing back and forth suffices instead of several) and a 3 s horizon;
// the cart-pole with the paper's settings is the course benchmark (`npm run bench -- pilco`).

// %%
const TORQUE = 4;
const scenario = pendulumScenario({ maxTorque: TORQUE, H: 30 });
const env = new Pendulum({ start: "down", maxSteps: 1e9, params: { maxTorque: TORQUE } });
const bar = progress(7, { label: "PILCO trials" });
const result = pilco(env, scenario, {
  seed: 1,
  trials: 6,
  policyIters: 40,
  policyRelTol: 1e-7, // stop an optimisation once it stalls (keeps this notebook quick)
  nBasis: 10,
  policyLengthscales: [1, 0.7, 0.7],
  stopOnSuccess: true,
  success: pendulumSuccess,
  onTrial: (t: PilcoTrial) =>
    bar.tick({ trial: t.index, cost: t.realCosts.reduce((a, b) => a + b, 0).toFixed(1), success: t.success ? "yes" : "no" }),
});
bar.close();
console.log(
  result.firstSuccess === null
    ? "no success within the trials run"
    : `first success at learned trial ${result.firstSuccess}, after ${result.interactionSeconds.toFixed(1)} s of interaction`,
);

// %% [markdown]
// **Cost per trial.** The real summed cost of each trial and, for the learned ones, the summed
// expected cost PILCO predicted for its policy before running it.

// %%
{
  const idx = result.trials.map((t) => t.index);
  const learned = result.trials.filter((t) => t.prediction);
  await display(
    lineChart(
      [
        { name: "real cost", x: idx, y: result.trials.map((t) => t.realCosts.reduce((a, b) => a + b, 0)), points: true },
        { name: "predicted cost", x: learned.map((t) => t.index), y: learned.map((t) => t.prediction!.total), points: true, dashed: true },
      ],
      {
        title: "cost per trial (trial 0: random torques)",
        xTitle: "trial",
        yTitle: "summed cost over the trial",
        width: 480,
        height: 240,
        integerX: true,
      },
    ),
  );
}

// %% [markdown]
// **A linear policy beside the RBF network.** Lecture 002 names two policy classes for PILCO: the RBF
// network above, and a linear policy $u = u_{\max}\,\text{squash}(W x + b)$ on the same inputs
// $(\dot\theta, \sin\theta, \cos\theta)$. The same loop, the same seed, only the policy class changes:

// %%
const barLinear = progress(7, { label: "PILCO trials, linear policy" });
const linearResult = pilco(env, scenario, {
  seed: 1,
  trials: 6,
  policy: "linear",
  policyIters: 40,
  policyRelTol: 1e-7,
  stopOnSuccess: true,
  success: pendulumSuccess,
  onTrial: (t: PilcoTrial) =>
    barLinear.tick({ trial: t.index, cost: t.realCosts.reduce((a, b) => a + b, 0).toFixed(1), success: t.success ? "yes" : "no" }),
});
barLinear.close();
{
  const total = (t: PilcoTrial) => t.realCosts.reduce((a, b) => a + b, 0);
  await display(
    lineChart(
      [
        { name: "RBF network", x: result.trials.map((t) => t.index), y: result.trials.map(total), points: true },
        { name: "linear policy", x: linearResult.trials.map((t) => t.index), y: linearResult.trials.map(total), points: true },
      ],
      {
        title: "real cost per trial: RBF vs linear policy",
        xTitle: "trial",
        integerX: true,
        yTitle: "summed cost over the trial",
        width: 420,
        height: 240,
      },
    ),
  );
  const said = (r: typeof result) =>
    r.firstSuccess === null ? "no success within 6 learned trials" : `first success at learned trial ${r.firstSuccess}`;
  console.log(`RBF network: ${said(result)}; linear policy: ${said(linearResult)}`);
}

// %% [markdown]
// On this pendulum, with its strong motor, the simple policy is enough, and (printed above) it can
// even succeed sooner: a linear map of $(\dot\theta, \sin\theta, \cos\theta)$ through the squashing
// already pumps energy (push with the velocity) and then holds the top (push against $\sin\theta$), and
// its few parameters are quick to optimise and hard to overfit to a wrong model. The RBF network
// pays off where one linear map of these features cannot express what is needed, as in the cart-pole
// swing-up, where the pole must be swung up and the cart brought back to the centre at the same time
// (PILCO's cart-pole results use the RBF network). More flexibility is not free: more parameters,
// more local optima, and more ways to exploit what the model gets wrong.

// %% [markdown]
// **Predictions against reality.** For each learned trial: the predicted distribution of the angle
// (mean ± 2 standard deviations) that the policy was optimised on, and the angle the real pendulum
// followed with that policy. Below the charts: the fraction of time steps at which the real angle is
// inside the band. Look at where it is *not*: the band is the model's belief, and a Gaussian fitted by
// moment matching to a GP trained on a few dozen transitions can be too narrow, above all in the
// first trials and during the fast swing, where little data was seen. The real trajectory then leaves
// the band, and the next trial's data correct the model there.

// %%
{
  const charts = result.trials
    .filter((t) => t.prediction)
    .map((t) => {
      const p = t.prediction!;
      const time = p.means.map((_, k) => k * 0.1);
      const mean = p.means.map((m) => m[0]);
      const sd = p.covs.map((S) => Math.sqrt(Math.max(S[0], 0)));
      return lineChart(
        [
          {
            name: "predicted θ ± 2 sd",
            x: time,
            y: mean,
            lower: mean.map((v, k) => v - 2 * sd[k]),
            upper: mean.map((v, k) => v + 2 * sd[k]),
          },
          { name: "real θ", x: time, y: t.states.map((s) => s[0]) },
        ],
        {
          title: `trial ${t.index}${t.success ? " (success)" : ""}`,
          xTitle: "time (s)",
          yTitle: "θ (0 = upright)",
          width: 200,
          height: 170,
          yDomain: [-8, 10],
        },
      );
    });
  // Two charts per row: each carries its own legend, and three side by side would not fit the ~950 px
  // output area of the classic notebook.
  for (let i = 0; i < charts.length; i += 2) await display(combine(charts.slice(i, i + 2)));
  for (const t of result.trials.filter((tr) => tr.prediction)) {
    const p = t.prediction!;
    const inside = p.means.filter((m, k) => Math.abs(t.states[k][0] - m[0]) <= 2 * Math.sqrt(Math.max(p.covs[k][0], 0))).length;
    console.log(
      `trial ${t.index}: the real angle is inside the predicted band at ${inside} of ${p.means.length} steps (${Math.round((100 * inside) / p.means.length)} %)`,
    );
  }
}

// %% [markdown]
// **The learned swing-up**, replayed from the last trial's recorded states.

// %%
{
  const last = result.trials[result.trials.length - 1];
  const frames = last.states.map((s) => env.render(s));
  animate(frames, { fps: 10, title: `PILCO, trial ${last.index}${last.success ? " (success)" : ""}` });
  check(
    "the last trial ends closer to upright than the random trial",
    Math.cos(last.states[last.states.length - 1][0]) > Math.cos(result.trials[0].states[result.trials[0].states.length - 1][0]) - 1e-9 ||
      last.success,
  );
}

// %% [markdown]
// ## The cart-pole swing-up: the paper's task, from a stored run
//
// The paper's headline task is the cart-pole: a cart on a rail, pushed left and right with at most
// 10 N, must swing a pole from hanging down to upright and balance it there. Same algorithm, bigger
// problem: a 4-dimensional state, the tip distance to the target in the cost, an RBF policy on
// $(x, \dot x, \dot\theta, \sin\theta, \cos\theta)$. Each trial takes minutes of computing here,
// so the run comes from a committed result file, made with the reference constants (dt = 0.1 s, 4 s
// trials, cost width 0.25 m, one random trial, then learned trials until the pole is up for the last
// second of a trial) by
//
//     npm run bench -- pilco --seeds 1 --out datasets/results/pilco.json
//
// Left: the real cost of each trial and the cost the model predicted for it. Right and below: the pole
// angle (upright at $\theta = \pi$) in the last learned trials, against the predicted band. A trial
// whose pole stands up can still fail: the cost and the success test measure the distance of the pole's
// tip to the target above the cart's starting point, so the cart must come back to the centre too.

// %%
const cartpoleRun = loadResult<{
  bench: string;
  command: string;
  firstSuccessTrial: (number | null)[];
  interactionSecondsToSuccess: (number | null)[];
  secondsPerPolicyOptimisation: number;
  protocol: { trialSeconds: number; samplingTimeSeconds: number };
  trials: { cartpole: PilcoTrialRecord[] };
}>("pilco");
{
  const trials = cartpoleRun.trials.cartpole;
  const learnedCp = trials.filter((t) => t.predictedCost !== null);
  const costChart = lineChart(
    [
      { name: "real cost", x: trials.map((t) => t.index), y: trials.map((t) => t.realCost), points: true },
      { name: "predicted cost", x: learnedCp.map((t) => t.index), y: learnedCp.map((t) => t.predictedCost!), points: true, dashed: true },
    ],
    {
      title: "cart-pole: cost per trial (trial 0: random)",
      xTitle: "trial",
      yTitle: "summed cost",
      width: 300,
      height: 200,
      integerX: true,
    },
  );
  const angleChart = (t: PilcoTrialRecord) => {
    const time = t.angle.map((_, k) => +(k * cartpoleRun.protocol.samplingTimeSeconds).toFixed(2));
    const series: Series[] = [{ name: "real θ", x: time, y: t.angle }];
    if (t.predictedAngleMean && t.predictedAngleSd) {
      const m = t.predictedAngleMean;
      const sd = t.predictedAngleSd;
      series.unshift({
        name: "predicted θ ± 2 sd",
        x: time.slice(0, m.length),
        y: m,
        lower: m.map((v, k) => v - 2 * sd[k]),
        upper: m.map((v, k) => v + 2 * sd[k]),
      });
    }
    series.push({ name: "upright (π)", x: [0, time[time.length - 1]], y: [Math.PI, Math.PI], dashed: true });
    return lineChart(series, {
      title: `trial ${t.index}${t.success ? " (success)" : ""}`,
      xTitle: "time (s)",
      yTitle: "θ",
      width: 200,
      height: 170,
    });
  };
  const lastFew = learnedCp.slice(-3);
  await display(combine([costChart, angleChart(lastFew[0])]));
  if (lastFew.length > 1) await display(combine(lastFew.slice(1).map(angleChart)));
  const first = cartpoleRun.firstSuccessTrial[0];
  console.log(
    first === null
      ? `stored run: no success within ${trials.length - 1} learned trials`
      : `stored run: swung up and balanced at learned trial ${first}, after ${cartpoleRun.interactionSecondsToSuccess[0]} s of interaction ` +
          `(the paper: under 20 s); ${cartpoleRun.secondsPerPolicyOptimisation} s of computing per policy optimisation`,
  );
}

// %% [markdown]
// ### The paper's protocol
//
// The run above follows the reference code (4 s trials). The ICML 2011 paper counts differently: its
// trials last 2.5 s, and its "17.5 s of interaction" is 7 such trials, the random one included. A
// shorter trial asks the policy for the swing-up only (there is no time left to balance for long) and
// gives less data per trial; whether it also makes the task easier is what the stored run tests.
// The same algorithm with that protocol, over 3 seeds, is stored in a second file, made by
//
//     npm run bench -- pilco --paper --seeds 3 --pred-horizon 40 --restarts 2 --out datasets/results/pilco-paper.json
//
// Success there is the tip within 0.25 m for the last 0.5 s of a 2.5 s trial; because 2.5 s cannot
// show that the pole stays up, the benchmark also runs the final policy once for 4 s (not counted, not
// learned from) and records whether the tip stays up for that run's last second.
//
// Two choices inside the policy search made the difference under this protocol (the trials and
// their counting stay the paper's). Optimised on a 2.5 s prediction, the policy settled on spinning
// the pole over the top: a summed cost of about 19 of 25 against about 15 for a pole caught at the
// top, but a local optimum that every later search, started from it, kept (two of three seeds never
// succeeded within 15 trials). Over 2.5 s, catching the pole earns only the last few steps. So the
// policy is optimised on a 4 s prediction (`predictionHorizon: 40`), where holding the pole pays for
// longer, and at each search two fresh random policies get a short search beside the current one,
// the best going on (`policyRestarts: 2`): policy search is local, and a restart is the cheapest way
// off a plateau.

// %%
{
  const paperRun = loadResult<{
    bench: string;
    command: string;
    firstSuccessTrial: (number | null)[];
    interactionSecondsToSuccess: (number | null)[];
    holdsFor4s: (boolean | null)[];
    protocol: { trialSeconds: number };
  }>("pilco-paper");
  paperRun.firstSuccessTrial.forEach((trial, i) => {
    const seconds = paperRun.interactionSecondsToSuccess[i];
    console.log(
      `seed ${i + 1}: ` +
        (trial === null
          ? `no success within the learned trials`
          : `first success at learned trial ${trial}, ${seconds} s of interaction (${paperRun.protocol.trialSeconds} s trials); ` +
            `the final policy ${paperRun.holdsFor4s[i] ? "holds" : "does not hold"} the pole up over 4 s`),
    );
  });
  console.log("the paper: about 17.5 s of interaction");
}

// %% [markdown]
// ## Where this leaves us
//
// * Moment matching turns a GP into a deterministic, differentiable map from a state distribution to
//   the next one, so the expected cost of a policy over a whole trial is a smooth function of its
//   parameters, with exact gradients.
// * The model's uncertainty enters the prediction. What protects PILCO from exploiting model errors
//   (compare notebook 01) is not that the model is never wrong (the band above is sometimes too
//   narrow) but that the GP *admits* its uncertainty where data are scarce: there the predicted state
//   distribution widens, the expected cost accounts for every dynamics the data allow, and a policy
//   cannot profit from one optimistic guess. The saturating cost makes uncertainty attractive only
//   where the policy is doing badly.
// * The price is computation: every prediction step costs $O(E^2 n^2 D)$ for $n$ data points, $E$
//   outputs and $D$ inputs, so PILCO keeps $n$ to a few hundred and is limited to low-dimensional
//   systems. This library trains the hyper-parameters on at most a few hundred points and, once the
//   data grows, predicts with a sparse (FITC) GP on 100 inducing inputs, as the reference code does.
//   PETS (notebook 05) trades the closed form for sampling to scale further.
// * The cart-pole, the paper's headline task, needs more trials than the pendulum and up to a minute
//   or two of computing per policy optimisation (the stored runs above print their figures). With the
//   paper's 2.5 s trials, a 4 s prediction and random restarts, two of the three stored seeds swing
//   the pole up within the paper's 17.5 s of interaction; the third sits on a plateau of the predicted
//   cost for trial after trial, the pole going over the top without being caught. PILCO's policy
//   search is a local optimisation, and which optimum it finds depends on what it is asked to predict
//   and where it starts. None of the stored first successes holds the pole for 4 s yet: a policy that
//   has just caught the pole once has seen few data near the top. `npm run bench -- pilco --seeds 3`
//   repeats the reference run.
//
// ## Check your understanding
//
// 1. Moment matching replaces the true predictive distribution by a Gaussian with the same mean and
//    variance. In the histogram of section 1 the true distribution is skewed. When would this
//    approximation mislead the policy search most: a unimodal skewed prediction, or a bimodal one
//    (say, the pendulum may fall left or right)? Why?
// 2. At the target, more uncertainty raises the expected saturating cost; far from it, it lowers it.
//    Explain with the shape of $c(x)$, and say what behaviour each side encourages.
// 3. In trials where the real angle leaves the predicted band, the model was overconfident there. Why
//    does PILCO still improve on the next trial, and what would happen if it planned with the GP's
//    mean only (no uncertainty in the prediction)?
// 4. PILCO optimises the policy with exact gradients and L-BFGS, while PETS (notebook 05) samples
//    action sequences at every step. For a 6-dimensional system with 2,000 transitions, which would
//    you choose, and why? Which would you choose for the pendulum with 100 transitions?
// 5. The linear policy succeeded sooner than the RBF network here. Why does that not make it the
//    better choice in general?
//
// ## Try it
//
// * **The Gym pendulum's motor.** In the cell that defines `TORQUE` (section 3), set it to `2` (and
//   `H: 60` in `pendulumScenario`, six seconds to swing several times). Does PILCO still succeed within
//   six learned trials? Then rerun the linear-policy cell: does the linear policy still keep up?
// * **Fewer basis functions.** In the same cell, change `nBasis: 10` to `nBasis: 3`. How do the cost per
//   trial and the band of "predictions against reality" change?
// * **Uncertainty vs cost.** In the cell of section 2 that plots the expected cost against the standard
//   deviation, change the width from 0.5 (`[4]`, i.e. $1/w^2$) to 2 (`[0.25]`). Where does uncertainty
//   still lower the expected cost?
