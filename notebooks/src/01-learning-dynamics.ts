// %% [markdown]
// # 01 · Learning dynamics (model-based RL, version 0.5)
//
// Model-based reinforcement learning learns a **model** of the world from data and then uses it to
// decide what to do. Several things can be modelled:
//
// * the **dynamics** $s' = f(s, a)$ (or a distribution $p(s' \mid s, a)$): what happens next;
// * the **reward** $r(s, a, s')$, when it is not given;
// * the **inverse dynamics** $a = g(s, s')$: which action leads from $s$ to $s'$;
// * a **distance** $d(s, s')$: how many steps apart two states are;
// * the **returns** themselves (value functions), which model-free RL learns.
//
// (Seed 001, the Aalto/FCAI tutorial, "Definition: a model is a representation that explicitly encodes
// knowledge about the structure of the environment and task", lists these kinds of models.)
// This notebook is about the first, and a little about the second. The simplest recipe, "version 0.5"
// of the Berkeley lecture (seed 004, "Why learn the model?" and "Does it work?"; seed 000, "Learning
// Dynamics Model"), has three steps:
//
// 1. run a base policy $\pi_0(a \mid s)$ (for example random actions) to collect
//    $\mathcal{D} = \{(s, a, s')_i\}$;
// 2. learn a dynamics model $f(s, a)$ minimising $\sum_i \lVert f(s_i, a_i) - s'_i \rVert^2$;
// 3. plan through $f$ to choose actions.
//
// We do steps 1 and 2 on the pendulum, look hard at how good the model is (one step ahead and many
// steps ahead), and then run all three steps on a small "climb as high as possible" system to see
// where version 0.5 breaks: **distribution shift**.
//
// Settings here are smaller than in the benchmark (`npm run bench -- mbrl-versions`) so that the whole
// notebook runs in about a minute.

// %%
import { initBackend, makeRng } from "mbrl/core";
import { display, lineChart, scatterChart, combine } from "mbrl/viz";
import { check, checkClose } from "mbrl/exercise";
import { Pendulum, Hill, hillHeight } from "mbrl/envs";
import { solve } from "mbrl/linalg";
import {
  LinearModel,
  MlpDynamicsModel,
  RewardModel,
  concatDatasets,
  rollout,
  deltaStats,
  normalizedDeltaLoss as libNormalizedDeltaLoss,
  type DynamicsModel,
  type Dataset,
} from "mbrl/models";
import { runEpisode, randomPolicy, mbrlV05 } from "mbrl/mbrl";

const backend = await initBackend();
console.log(backend.message);

// %% [markdown]
// ## 1. Data from a base policy
//
// *Lecture: seed 000, "Learning Dynamics Model" (collect data with a base policy $\pi_0$).*
//
// The pendulum's state is $s = (\theta, \dot\theta)$ with $\theta = 0$ upright; the action is a
// torque in $[-2, 2]$. Our base policy $\pi_0$ picks torques uniformly at random. Six episodes of 200
// steps give 1,200 transitions. The models work on the raw state $(\theta, \dot\theta)$; the angle is
// not wrapped (it keeps counting turns), so the MLP below reads it through $\cos\theta$ and $\sin\theta$.

// %%
const pendulum = new Pendulum({ seed: 0 });
const dataRng = makeRng(1);
const baseEpisodes = Array.from({ length: 6 }, (_, i) => runEpisode(pendulum, randomPolicy(pendulum, dataRng), { seed: 10 + i }));
const D: Dataset = concatDatasets(...baseEpisodes.map((e) => e.data));
const wrap = (th: number) => Math.atan2(Math.sin(th), Math.cos(th));
console.log(`${D.states.length} transitions; returns of the random episodes: ${baseEpisodes.map((e) => e.return.toFixed(0)).join(", ")}`);
await display(
  scatterChart([{ name: "random-policy data", x: D.states.map((s) => wrap(s[0])), y: D.states.map((s) => s[1]) }], {
    title: "Where the base policy's data lies",
    xTitle: "theta (wrapped, 0 = upright)",
    yTitle: "thetadot",
    size: 8,
  }),
);

// %% [markdown]
// Random torques rarely bring the pendulum up: most of the data is near the bottom
// ($\theta = \pm\pi$) with moderate speeds. Keep this picture in mind: a model is only trustworthy
// where it has seen data.
//
// ## 2. System identification: fit a few physical parameters
//
// *Lecture: seed 003, "Model learning" (Newtonian physics equations versus a general parametric form;
// "System identification: we assume the dynamics equations given and only have few unknown
// parameters").*
//
// If we know the physics, we can write the model down and fit only its unknown constants. For the
// pendulum, $\ddot\theta = \alpha \sin\theta + \beta u$ with $\alpha = 3g/(2l)$ and $\beta = 3/(ml^2)$.
// With $\Delta t = 0.05$ s, the change of speed over one step is close to
// $\Delta t\,(\alpha \sin\theta + \beta u)$, which is **linear** in $(\alpha, \beta)$: ordinary least
// squares finds them. The true values are $\alpha = 15$, $\beta = 3$.

// %%
const dt = pendulum.dt;
const X = D.states.map((s, i) => [Math.sin(s[0]), D.actions[i][0]]);
const y = D.states.map((s, i) => (D.nextStates[i][1] - s[1]) / dt);
// Normal equations (X^T X) w = X^T y.
const XtX = [0, 1].map((r) => [0, 1].map((c) => X.reduce((acc, x) => acc + x[r] * x[c], 0)));
const Xty = [0, 1].map((r) => X.reduce((acc, x, i) => acc + x[r] * y[i], 0));
const [alphaHat, betaHat] = Array.from(solve(XtX, Xty));
console.log(`identified alpha = ${alphaHat.toFixed(3)} (true 15), beta = ${betaHat.toFixed(3)} (true 3)`);

/** A model written from physics with the two identified constants (semi-implicit Euler, speed limit 8). */
const physicsModel: DynamicsModel = {
  name: "physics (2 parameters)",
  stateDim: 2,
  actionDim: 1,
  fit: async () => ({ trainLoss: [], validLoss: [], epochs: 0, seconds: 0 }),
  predict(s, a) {
    const u = Math.max(-2, Math.min(2, a[0]));
    const thdot = Math.max(-8, Math.min(8, s[1] + dt * (alphaHat * Math.sin(s[0]) + betaHat * u)));
    return Float64Array.from([s[0] + dt * thdot, thdot]);
  },
  predictBatch(S, A) {
    const out = { rows: S.rows, cols: 2, data: new Float64Array(S.rows * 2) };
    for (let i = 0; i < S.rows; i++) out.data.set(this.predict([S.data[2 * i], S.data[2 * i + 1]], [A.data[i]]), 2 * i);
    return out;
  },
};

// %% [markdown]
// Two numbers, fitted in a millisecond, and nearly exact. This is how classical system identification
// works, and it is hard to beat when the physics is known. When it is not (contacts, friction, a
// robot with many parts), we fit a generic function instead.
//
// ## 3. A generic model: the normalised delta MLP
//
// *Lecture: seed 003, "Neural Network Dynamics for Model-Based Deep Reinforcement Learning with
// Model-Free Fine-Tuning" (predict the state change; normalise); seed 000, "Deterministic Models".*
//
// Two choices make a neural dynamics model work much better:
//
// * **Predict the change**, not the next state: $s' = s + \Delta(s, a)$. Over one step of 0.05 s the
//   state changes little; a network that had to output $s'$ would spend its effort copying $s$.
// * **Normalise**. Inputs are shifted and scaled to zero mean and unit variance; so are the targets:
//   the network outputs $o = g_\theta(s, a)$ and is trained so that
//   $o \approx (s' - s - \mu_\Delta) / \sigma_\Delta$, with $\mu_\Delta$ and $\sigma_\Delta$ the mean and
//   standard deviation of the deltas in the data. Each state dimension then counts equally in the
//   loss, whatever its units (radians vs radians per second). To predict, undo it:
//   $s' = s + \mu_\Delta + \sigma_\Delta \odot o$.
//
// ### Exercise: the normalised delta loss (2 points)
//
// Write `normalizedDeltaLoss(out, states, nextStates, mu, sigma)`: `out[i]` is the network's raw
// output for transition $i$; return the mean, over all rows $i$ **and** state dimensions $j$, of
// $\left(o_{ij} - (s'_{ij} - s_{ij} - \mu_j)/\sigma_j\right)^2$.

// %% exercise id=normalized-delta-loss points=2
function normalizedDeltaLoss(out: number[][], states: number[][], nextStates: number[][], mu: number[], sigma: number[]): number {
  // BEGIN SOLUTION
  throw new Error("not implemented yet: normalized-delta-loss");
  // END SOLUTION
}

// %% check id=normalized-delta-loss
{
  checkClose("one row: target (3 - 1 - 1) / 2 = 0.5, output 0", normalizedDeltaLoss([[0]], [[1]], [[3]], [1], [2]), 0.25);
  checkClose("a perfect output has zero loss", normalizedDeltaLoss([[0.5, -1]], [[0, 0]], [[1, 1]], [0, 2], [2, 1]), 0);
  const stats = deltaStats(D.states.slice(0, 50), D.nextStates.slice(0, 50));
  const outs = D.states.slice(0, 50).map((_, i) => [Math.sin(i), Math.cos(i)]);
  checkClose(
    "agrees with the library on pendulum data",
    normalizedDeltaLoss(outs, D.states.slice(0, 50), D.nextStates.slice(0, 50), Array.from(stats.mean), Array.from(stats.std)),
    libNormalizedDeltaLoss(outs, D.states.slice(0, 50), D.nextStates.slice(0, 50), stats.mean, stats.std),
    1e-9,
  );
}

// %% [markdown]
// The library's `MlpDynamicsModel` trains exactly this loss with minibatch Adam. It holds out 10 % of
// the data and keeps the weights with the best held-out loss, stopping when that loss has not improved
// for a few epochs (early stopping), so it does not memorise the training set. We also fit a linear
// model $s' = s + W^\top [s; a; 1]$ by least squares, for comparison.

// %%
const mlp = new MlpDynamicsModel({ stateDim: 2, actionDim: 1, angleDims: [0], hiddenSizes: [64, 64], maxEpochs: 40, seed: 1 });
const fitReport = await mlp.fit(D);
const linear = new LinearModel({ stateDim: 2, actionDim: 1 });
await linear.fit(D);
console.log(
  `MLP: ${fitReport.epochs} epochs in ${fitReport.seconds.toFixed(1)} s, best held-out loss ${Math.min(...fitReport.validLoss).toExponential(2)}`,
);
await display(
  lineChart(
    [
      { name: "training loss", x: fitReport.trainLoss.map((_, i) => i + 1), y: fitReport.trainLoss },
      { name: "held-out loss", x: fitReport.validLoss.map((_, i) => i + 1), y: fitReport.validLoss },
    ],
    {
      title: "Normalised delta MLP: loss per epoch",
      xTitle: "epoch",
      yTitle: "mean squared error (normalised)",
      logY: true,
      integerX: true,
    },
  ),
);

// %% [markdown]
// The pendulum is deterministic, so a deterministic model (one prediction per input) is the right
// kind here. With noisy or genuinely random dynamics, a model should predict a *distribution* over
// $s'$; notebook 04 builds those.
//
// ## 4. Compounding error: many steps ahead, open loop
//
// *Lecture: seed 000, "Model-Based Rollout" and "Drift".*
//
// A planner does not use the model once: it feeds the model its own predictions, $H$ steps in a row.
// Each small error moves the next input off the data, where the next error tends to be larger. Below,
// all models start from the same true state and receive the same 100 random torques; no model ever
// sees the true state again.

// %%
const testEnv = new Pendulum({ seed: 5 });
const testEpisode = runEpisode(testEnv, randomPolicy(testEnv, makeRng(77)), { seed: 99, maxSteps: 100 });
const horizonSteps = Array.from({ length: 101 }, (_, t) => t);
const theta = (states: number[][]) => states.map((s) => s[0]);
await display(
  lineChart(
    [
      { name: "truth", x: horizonSteps, y: theta(testEpisode.states) },
      { name: "MLP (normalised deltas)", x: horizonSteps, y: theta(rollout(mlp, testEpisode.states[0], testEpisode.actions)) },
      { name: "linear", x: horizonSteps, y: theta(rollout(linear, testEpisode.states[0], testEpisode.actions)) },
      {
        name: "physics (2 parameters)",
        x: horizonSteps,
        y: theta(rollout(physicsModel, testEpisode.states[0], testEpisode.actions)),
        dashed: true,
      },
    ],
    { title: "100-step open-loop rollout from the same start, same torques", xTitle: "step", yTitle: "theta (rad, unwrapped)" },
  ),
);

// %% [markdown]
// The linear model cannot represent $\sin\theta$ and drifts away within a few steps. The MLP and the
// physics model follow the truth for a while; then small errors in the phase of the swing add up.
//
// ### Exercise: the k-step open-loop error (2 points)
//
// To measure this, we slide a window along a recorded trajectory $s_0, a_0, s_1, \dots, a_{T-1}, s_T$:
// for every start $t$ with $t + k \le T$, roll the model $k$ steps from the **true** $s_t$ with the
// recorded actions $a_t, \dots, a_{t+k-1}$, feeding it its own predictions, and compare the result
// with the true $s_{t+k}$. Return the mean over all windows of the squared Euclidean error
// $\lVert \hat s_{t+k} - s_{t+k} \rVert^2$.
//
// Write `kStepError(A, B, states, actions, k)` for a linear model $s' = A s + B a$ (`A` is
// $d_s \times d_s$, `B` is $d_s \times d_a$, both as arrays of rows).

// %% exercise id=k-step-error points=2
function kStepError(A: number[][], B: number[][], states: number[][], actions: number[][], k: number): number {
  // BEGIN SOLUTION
  throw new Error("not implemented yet: k-step-error");
  // END SOLUTION
}

// %% check id=k-step-error
{
  const line = [[0], [1], [2], [3]];
  const ones = [[1], [1], [1]];
  checkClose("a perfect model has zero error", kStepError([[1]], [[1]], line, ones, 2), 0);
  checkClose("a model that ignores the action: one step off by 1", kStepError([[1]], [[0]], line, ones, 1), 1);
  checkClose("... two steps off by 2, over two windows", kStepError([[1]], [[0]], line, ones, 2), 4);
  // The fitted linear model, in A/B form: s' = (I + W_s^T) s + W_a^T a (+ a bias we drop here).
  const W = linear.W.data;
  const A = [
    [1 + W[0], W[2]],
    [W[1], 1 + W[3]],
  ];
  const B = [[W[4]], [W[5]]];
  const e1 = kStepError(A, B, testEpisode.states, testEpisode.actions, 1);
  const e10 = kStepError(A, B, testEpisode.states, testEpisode.actions, 10);
  check("errors grow with k for the linear model of the pendulum", e10 > e1, `k=1: ${e1}, k=10: ${e10}`);
}

// %% [markdown]
// The same measurement for our models, using the library's `rollout` (which works for any model),
// as a function of the horizon $k$:

// %%
function kStepErrorOf(model: DynamicsModel, states: number[][], actions: number[][], k: number): number {
  let sum = 0;
  let count = 0;
  for (let t = 0; t + k <= actions.length; t += 5) {
    const pred = rollout(model, states[t], actions.slice(t, t + k));
    sum += (pred[k][0] - states[t + k][0]) ** 2 + (pred[k][1] - states[t + k][1]) ** 2;
    count++;
  }
  return sum / count;
}
const ks = [1, 2, 5, 10, 20, 30, 50];
const errorCurve = (model: DynamicsModel) => ks.map((k) => kStepErrorOf(model, testEpisode.states, testEpisode.actions, k));
const mlpErrors = errorCurve(mlp);
await display(
  lineChart(
    [
      { name: "MLP", x: ks, y: mlpErrors, points: true },
      { name: "linear", x: ks, y: errorCurve(linear), points: true },
      { name: "physics (2 parameters)", x: ks, y: errorCurve(physicsModel), points: true },
    ],
    { title: "Open-loop prediction error vs horizon", xTitle: "horizon k (steps)", yTitle: "mean squared error", logY: true },
  ),
);

// %% [markdown]
// ## 5. Training for many steps: the k-step unrolled loss
//
// *Lecture: seed 003, "How to train our model so that unrolling works".*
//
// The one-step loss never shows the network its own errors. An **unrolled** loss does: starting from
// recorded states, the model predicts $k$ steps ahead from its own outputs (with the recorded actions),
// and the errors at all $k$ steps are penalised; gradients flow back through the whole chain. The
// training objective then matches how a planner uses the model. Below, a model with the same
// architecture and the same number of epochs is trained with $k = 5$.

// %%
const mlpK = new MlpDynamicsModel({ stateDim: 2, actionDim: 1, angleDims: [0], hiddenSizes: [64, 64], maxEpochs: 40, kStep: 5, seed: 1 });
const kReport = await mlpK.fit(D);
console.log(`5-step model: ${kReport.epochs} epochs in ${kReport.seconds.toFixed(1)} s`);
const mlpKErrors = errorCurve(mlpK);
for (let i = 0; i < ks.length; i++)
  console.log(
    `k = ${String(ks[i]).padStart(2)}: one-step-trained ${mlpErrors[i].toExponential(2)}, 5-step-trained ${mlpKErrors[i].toExponential(2)}`,
  );
await display(
  lineChart(
    [
      { name: "trained on 1-step loss", x: ks, y: mlpErrors, points: true },
      { name: "trained on 5-step loss", x: ks, y: mlpKErrors, points: true },
    ],
    { title: "Does the unrolled loss help far ahead?", xTitle: "horizon k (steps)", yTitle: "mean squared error", logY: true },
  ),
);

// %% [markdown]
// Look at the numbers before believing a story. On this noise-free pendulum the one-step model is
// already very accurate, and the 5-step loss does not beat it (it costs about four times as long per
// epoch, and is no better, even a little worse far ahead). The unrolled loss pays off when one-step
// training leaves a systematic bias that compounds: a model class that cannot fit the dynamics
// exactly, noisy data, or long planning horizons. What it always does is optimise the quantity a
// planner depends on, multi-step error, at $k$ times the cost per sample.
//
// ## 6. Version 0.5 end to end, and distribution shift
//
// *Lecture: seed 000, "Problem" and "Distribution Shift" (climb as high as possible); seed 004, "No!"
// ($p_{\pi_f}(s_t) \neq p_{\pi_0}(s_t)$); seed 000, "Reward Model".*
//
// The "hill" is a point on a one-dimensional landscape; its action is a walking speed in $[-1, 1]$ and
// the slope makes it slide downhill. The reward is the height after each step: climb as high as
// possible. The summit is at $x = 4$ (height 3); behind it is a cliff. Here the agent does **not** know
// the reward either, so it fits a **reward model** $\hat r(s')$ (a small MLP) next to the dynamics
// model.
//
// Version 0.5: ten random episodes (step 1), fit both models (step 2), plan a whole 100-step episode
// through them with CEM (step 3, notebook 02 explains CEM), then execute that plan on the real hill.

// %%
const hill = new Hill({ seed: 0, startStd: 1 });
const hillReward = new RewardModel({ stateDim: 1, actionDim: 1, inputs: "next", hiddenSizes: [32, 32], epochs: 60, seed: 3 });
const hillDynamics = new MlpDynamicsModel({ stateDim: 1, actionDim: 1, hiddenSizes: [32, 32], maxEpochs: 60, seed: 3 });
const hillModel: DynamicsModel = {
  name: "hill mlp",
  stateDim: 1,
  actionDim: 1,
  predict: (s, a) => hillDynamics.predict(s, a),
  predictBatch: (S, A) => hillDynamics.predictBatch(S, A),
  fit: async (data) => {
    await hillReward.fit(data); // step 2 fits the reward model too
    return hillDynamics.fit(data);
  },
};
const v05 = await mbrlV05({
  env: hill,
  model: hillModel,
  reward: hillReward,
  baseEpisodes: 10,
  cem: { population: 200, elites: 20, iterations: 8 },
  actionRepeat: 10,
  evalSeed: 8,
  seed: 1,
});
console.log(`v0.5 plan: the model predicts a return of ${v05.predicted.toFixed(1)}; on the real hill it gets ${v05.real.toFixed(1)}`);
const stepsH = v05.predictedStates.map((_, t) => t);
const predictedHeight = hillReward.batch(
  { rows: stepsH.length, cols: 1, data: Float64Array.from(v05.predictedStates.map((s) => s[0])) },
  { rows: stepsH.length, cols: 1, data: new Float64Array(stepsH.length) },
  { rows: stepsH.length, cols: 1, data: Float64Array.from(v05.predictedStates.map((s) => s[0])) },
);
await display(
  combine([
    scatterChart(
      [
        { name: "base-policy data", x: v05.data.states.map((s) => s[0]), y: v05.data.states.map((s) => hillHeight(s[0])) },
        { name: "where the plan really goes", x: v05.realStates.map((s) => s[0]), y: v05.realStates.map((s) => hillHeight(s[0])) },
      ],
      { title: "Data vs where the plan goes", xTitle: "position x", yTitle: "true height", size: 12, width: 320 },
    ),
    lineChart(
      [
        { name: "height the models predict", x: stepsH, y: Array.from(predictedHeight) },
        { name: "real height", x: stepsH, y: v05.realStates.map((s) => hillHeight(s[0])) },
      ],
      { title: "The plan: predicted vs real height", xTitle: "step", yTitle: "height", width: 320 },
    ),
  ]),
);

// %% [markdown]
// The base policy's data lies near the start, where the hill is low and gets steeper to the right.
// Both models extrapolate that trend: walking right keeps climbing. The plan trusts them, walks right
// at full speed, passes the summit and falls off the cliff, where neither model has ever seen data:
// $p_{\pi_f}(s_t) \neq p_{\pi_0}(s_t)$. The more expressive the model class, the more confidently
// wrong it can be away from its data.
//
// The fix (version 1.0) is to collect data where the plan goes and refit: notebook 02, section 7,
// runs it on this same hill with these same settings, and the plan stops falling off the cliff.
//
// ## Summary
//
// * Models: dynamics, reward, inverse dynamics, distance, returns; this notebook fitted dynamics and
//   a reward.
// * With known physics, fit a few parameters (system identification); otherwise a generic network.
// * Predict normalised state **deltas**; normalise inputs.
// * One-step accuracy is not enough: errors **compound** open loop; an unrolled loss trains for it.
// * A model is only right near its data; a planner seeks out exactly where it is wrong
//   (distribution shift).
//
// ## Check your understanding
//
// 1. The two-parameter physics model beat the 64 x 64 MLP on 100-step rollouts. When would you still
//    choose the MLP, and what would you have to give up?
// 2. Why does predicting normalised deltas help more for the speed $\dot\theta$ than it would for a
//    state whose change per step is as large as the state itself?
// 3. The MLP's one-step error is tiny, yet its 50-step error is large. Which of the two numbers would
//    you report to someone who will plan 30 steps ahead with it, and why?
// 4. On the hill, a *less* expressive model (say, a linear fit of the height) would also be wrong
//    past the summit. Would it be more or less dangerous than the MLP for the planner? Why?
//
// ## Try it
//
// * In the **data from a base policy** cell, change `length: 6` (random episodes) to 2 and rerun
//   the cells down to the error-vs-horizon plot: which model suffers most from less data?
// * In the **k-step unrolled loss** cell, change `kStep: 5` to 2 and to 10: does any setting beat the
//   one-step model far ahead on this noise-free pendulum? Watch the training time too.
// * In the **version 0.5** cell, change `baseEpisodes: 10` to 30: does more random data near the start
//   stop the plan from walking off the cliff? (Compare with notebook 02's version 1.0.)
