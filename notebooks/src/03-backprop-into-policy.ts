// %% [markdown]
// # 03 · Backpropagate into the policy (model-based RL, version 2.0)
//
// MPC (notebook 02) optimises a new plan at every step: robust, but expensive at run time. Version 2.0
// of the lecture learns a **policy** $\pi_\theta(s)$ instead, by differentiating through the model:
//
// 1. run a base policy $\pi_0$ to collect $\mathcal{D} = \{(s, a, s')_i\}$;
// 2. learn a dynamics model $f(s, a)$;
// 3. backpropagate through $f$ into the policy to optimise $\pi_\theta$;
// 4. run $\pi_\theta$, appending the visited $(s, a, s')$ to $\mathcal{D}$; go to 2.
//
// Step 3 maximises the **unrolled objective**, the model's prediction of the policy's return:
//
// $$J(\theta) = \frac{1}{|S_0|}\sum_{s_0 \in S_0} \sum_{t=0}^{H-1} \gamma^t\, r(s_t, a_t),
//   \qquad a_t = \pi_\theta(s_t),\quad s_{t+1} = f(s_t, a_t).$$
//
// Every term depends on $\theta$ through the whole chain before it, so $\nabla_\theta J$ is computed by
// backpropagation through time, and contains products of up to $H$ **closed-loop** Jacobians
//
// $$\frac{d s_{t+1}}{d s_t} = \frac{\partial f}{\partial s} + \frac{\partial f}{\partial a}\,\frac{\partial \pi_\theta}{\partial s}:$$
//
// under a policy the next state depends on $s_t$ directly and through the action $a_t = \pi_\theta(s_t)$
// (with a fixed action sequence, as in notebook 02's gradient shooting, only $\partial f/\partial s$
// would appear). That is the catch: such products can **explode or vanish** as $H$ grows.
//
// This notebook follows the Berkeley lecture (seed 004, slides "Backpropagate directly into the
// policy?" and "Summary": version 2.0), the SFU lecture (seed 000, "Differentiable Dynamics" and
// "Policy Learning" vs "Online Planning") and the CMU lecture (seed 003, "Model-based control- SGD"
// and "Model-based RL with model-free finetuning", imitation of the MPC planner).

// %%
import { initBackend, makeRng, tf } from "mbrl/core";
import { display, lineChart, barChart, combine } from "mbrl/viz";
import { check, checkClose } from "mbrl/exercise";
import { Pendulum } from "mbrl/envs";
import { MlpDynamicsModel, envReward, concatDatasets } from "mbrl/models";
import {
  runEpisode,
  randomPolicy,
  evaluatePolicy,
  NeuralPolicy,
  mbrlV20,
  policyGradient,
  makeMpc,
  mpcPolicy,
  dagger,
  plannerExpert,
} from "mbrl/mbrl";
import { cemPlan } from "mbrl/planners";

await initBackend();

// %% [markdown]
// ## 1. The unrolled objective by hand
//
// *Lecture: seed 004, "Backpropagate directly into the policy?"; seed 000, "Differentiable Dynamics".*
//
// To see $J$ plainly, take a small model, policy and reward written in plain TypeScript: an Euler step
// of the pendulum (the same physics as notebook 01's identified model), a policy with three
// parameters, $a = 2\tanh(\theta_0 \sin\vartheta + \theta_1 \dot\vartheta + \theta_2)$ for the state
// $(\vartheta, \dot\vartheta)$, and the pendulum's reward taken at the state where the action is applied.

// %%
/**
 * The model: one Euler step of the pendulum, theta = 0 upright, |a| <= 2. `damping` (default 0)
 * removes that fraction of the speed each step; section 3 uses it.
 */
function modelStep(s: number[], a: number, damping = 0): number[] {
  const u = Math.max(-2, Math.min(2, a));
  const thdot = Math.max(-8, Math.min(8, (1 - damping) * s[1] + 0.05 * (15 * Math.sin(s[0]) + 3 * u)));
  return [s[0] + 0.05 * thdot, thdot];
}

/** The policy: a = 2 tanh(theta0 sin(th) + theta1 thdot + theta2). */
function policyAction(theta: number[], s: number[]): number {
  return 2 * Math.tanh(theta[0] * Math.sin(s[0]) + theta[1] * s[1] + theta[2]);
}

/** The reward: the Gym pendulum's, at the state where the action is taken. */
function pendulumReward(s: number[], a: number): number {
  const th = Math.atan2(Math.sin(s[0]), Math.cos(s[0]));
  return -(th * th + 0.1 * s[1] * s[1] + 0.001 * a * a);
}

// %% [markdown]
// ### Exercise: the unrolled objective (3 points)
//
// Write `unrolledObjective(theta, starts, H, gamma)`: for each start state, roll the **model** forward
// $H$ steps under the policy, summing $\gamma^t r(s_t, a_t)$ for $t = 0, \dots, H-1$ (the first reward
// is undiscounted and is taken at the start state); return the mean over the start states. Use
// `modelStep`, `policyAction` and `pendulumReward` from the cell above.

// %% exercise id=unrolled-objective points=3
function unrolledObjective(theta: number[], starts: number[][], H: number, gamma: number): number {
  // BEGIN SOLUTION
  throw new Error("not implemented yet: unrolled-objective");
  // END SOLUTION
}

// %% check id=unrolled-objective
{
  checkClose("upright at rest with zero action: nothing to lose", unrolledObjective([0, 0, 0], [[0, 0]], 5, 1), 0);
  checkClose("H = 1: just the first reward", unrolledObjective([0, 0, 0], [[Math.PI, 0]], 1, 0.9), -(Math.PI ** 2));
  const two = unrolledObjective(
    [0, 0, 0],
    [
      [Math.PI, 0],
      [0.5, 1],
    ],
    3,
    0.9,
  );
  const a = unrolledObjective([0, 0, 0], [[Math.PI, 0]], 3, 0.9);
  const b = unrolledObjective([0, 0, 0], [[0.5, 1]], 3, 0.9);
  checkClose("the mean over start states", two, (a + b) / 2);
  check(
    "a stabilising policy beats doing nothing near upright",
    unrolledObjective([-8, -2, 0], [[0.3, 0]], 40, 0.99) > unrolledObjective([0, 0, 0], [[0.3, 0]], 40, 0.99),
  );
}

// %% [markdown]
// ## 2. The gradient by backpropagation through time
//
// *Lecture: seed 004, "Backpropagate directly into the policy?" (the chain of $\frac{df}{dx}$,
// $\frac{df}{du}$, $\frac{d\pi}{dx}$ through time); seed 003, "Model-based control- SGD".*
//
// Automatic differentiation computes $\nabla_\theta J$ for us in the rest of the notebook; here you
// write it once by hand, to see exactly what it multiplies. Run the rollout forward and keep the
// states $s_t$ and actions $a_t$. Then go **backward** with the *adjoint* $\lambda_t = dJ/ds_t$, the total
// derivative of the objective with respect to the state at step $t$ (everything from $t$ on).
// After the last step nothing more is earned: $\lambda_H = 0$. For $t = H-1, \dots, 0$, with
// $f_s = \partial f/\partial s$ and $f_a = \partial f/\partial a$ at $(s_t, a_t)$ and $\pi_s$, $\pi_\theta$ the
// policy's derivatives at $s_t$:
//
// $$g_t = \gamma^t \frac{\partial r}{\partial a} + \lambda_{t+1}^\top f_a
//   \qquad\text{(what the action } a_t \text{ is worth at the margin: now and through the model)}$$
// $$\nabla_\theta J \mathrel{+}= g_t\, \pi_\theta, \qquad
//   \lambda_t = \gamma^t \frac{\partial r}{\partial s} + f_s^\top \lambda_{t+1} + g_t\, \pi_s .$$
//
// The last term is the closed loop: $s_t$ changes the action too. The cell below gives the three
// Jacobians (they are zero where a clip is active, like the model itself).

// %%
/** Jacobians of one model step at (s, a): fs[i][j] = d s'_i / d s_j, fa[i] = d s'_i / d a. */
function modelJacobian(s: number[], a: number, damping = 0): { fs: number[][]; fa: number[] } {
  const inU = Math.abs(a) < 2 ? 1 : 0;
  const raw = (1 - damping) * s[1] + 0.05 * (15 * Math.sin(s[0]) + 3 * Math.max(-2, Math.min(2, a)));
  const inV = Math.abs(raw) < 8 ? 1 : 0;
  const dv = [inV * 0.05 * 15 * Math.cos(s[0]), inV * (1 - damping)]; // d thdot' / d(th, thdot)
  const dva = inV * inU * 0.05 * 3; // d thdot' / da
  return {
    fs: [
      [1 + 0.05 * dv[0], 0.05 * dv[1]],
      [dv[0], dv[1]],
    ],
    fa: [0.05 * dva, dva],
  };
}

/** Derivatives of a = pi_theta(s): ds = d a / d s (2 numbers), dtheta = d a / d theta (3 numbers). */
function policyJacobian(theta: number[], s: number[]): { ds: number[]; dtheta: number[] } {
  const z = theta[0] * Math.sin(s[0]) + theta[1] * s[1] + theta[2];
  const dz = 2 * (1 - Math.tanh(z) ** 2);
  return { ds: [dz * theta[0] * Math.cos(s[0]), dz * theta[1]], dtheta: [dz * Math.sin(s[0]), dz * s[1], dz] };
}

/** Derivatives of the reward r(s, a): ds (2 numbers) and da. */
function rewardGradient(s: number[], a: number): { ds: number[]; da: number } {
  const th = Math.atan2(Math.sin(s[0]), Math.cos(s[0]));
  return { ds: [-2 * th, -0.2 * s[1]], da: -0.002 * a };
}

// %% [markdown]
// ### Exercise: the policy gradient by backpropagation through time (4 points)
//
// Write `bpttGradient(theta, starts, H, gamma, damping)`: the gradient of `unrolledObjective` (with
// the model `modelStep(s, a, damping)`) with respect to the three policy parameters, by the forward
// pass and the backward recursion above, averaged over the start states. Return three numbers.

// %% exercise id=policy-gradient-bptt points=4
function bpttGradient(theta: number[], starts: number[][], H: number, gamma: number, damping = 0): number[] {
  // BEGIN SOLUTION
  throw new Error("not implemented yet: policy-gradient-bptt");
  // END SOLUTION
}

// %% check id=policy-gradient-bptt
{
  // Central finite differences of J, the check any analytic gradient must pass.
  const fd = (theta: number[], starts: number[][], H: number, gamma: number) =>
    theta.map((_, k) => {
      const e = 1e-6;
      const up = theta.map((v, i) => (i === k ? v + e : v));
      const down = theta.map((v, i) => (i === k ? v - e : v));
      return (unrolledObjective(up, starts, H, gamma) - unrolledObjective(down, starts, H, gamma)) / (2 * e);
    });
  const th = [-1.5, -0.4, 0.2];
  checkClose(
    "closed loop: two steps, where s_1 also moves a_1 (lambda needs g_t * dpi/ds)",
    bpttGradient(th, [[0.4, 0.2]], 2, 1),
    fd(th, [[0.4, 0.2]], 2, 1),
    1e-5,
  );
  checkClose(
    "one step: only the reward's own gradient, dr/da * dpi/dtheta",
    bpttGradient(th, [[0.4, 0.2]], 1, 1),
    fd(th, [[0.4, 0.2]], 1, 1),
    1e-5,
  );
  checkClose(
    "discounted: later rewards count gamma^t in the backward pass too",
    bpttGradient(th, [[0.4, 0.2]], 6, 0.5),
    fd(th, [[0.4, 0.2]], 6, 0.5),
    1e-5,
  );
  checkClose(
    "agrees with finite differences over 20 steps from two starts",
    bpttGradient(
      th,
      [
        [0.4, 0.2],
        [2, -1],
      ],
      20,
      0.95,
    ),
    fd(
      th,
      [
        [0.4, 0.2],
        [2, -1],
      ],
      20,
      0.95,
    ),
    1e-4,
  );
}

// %% [markdown]
// ### Exploding and vanishing gradients
//
// *Lecture: seed 001, "Gradient based approaches are fast But local minima And vanishing/exploding
// gradients"; seed 004, "Summary" (version 2.0 "can be numerically unstable").*
//
// The adjoint is pushed back through the closed-loop Jacobians, so how far the gradient reaches
// depends on their product $\prod_t d s_{t+1}/d s_t$. Two cases with your function and the
// Jacobians above: the undamped pendulum near upright under a policy that pushes **with** gravity
// ($\theta = (0.5, 0.05, 0)$; the upright is unstable, the product grows), and a heavily damped
// pendulum (20 % of the speed lost per step) under a policy that pushes against the swing
// ($\theta = (-0.5, -0.1, 0)$; the product shrinks, so early actions stop mattering to late rewards).

// %%
{
  const cases = [
    { name: "undamped, unstable near upright", theta: [0.5, 0.05, 0], s0: [0.3, 0], damping: 0 },
    { name: "damped (20 % per step)", theta: [-0.5, -0.1, 0], s0: [2.5, 0], damping: 0.2 },
  ];
  const T = 100;
  const steps = Array.from({ length: T }, (_, t) => t + 1);
  const hs = [1, 2, 5, 10, 20, 40, 60, 100];
  const product = cases.map((c) => {
    let M = [
      [1, 0],
      [0, 1],
    ];
    let s = c.s0.slice();
    const norms: number[] = [];
    for (let t = 0; t < T; t++) {
      const a = policyAction(c.theta, s);
      const { fs, fa } = modelJacobian(s, a, c.damping);
      const pj = policyJacobian(c.theta, s);
      const C = [0, 1].map((i) => [0, 1].map((j) => fs[i][j] + fa[i] * pj.ds[j])); // closed loop
      M = [0, 1].map((i) => [0, 1].map((j) => C[i][0] * M[0][j] + C[i][1] * M[1][j]));
      s = modelStep(s, a, c.damping);
      norms.push(Math.max(1e-12, Math.hypot(...M.flat())));
    }
    return { name: c.name, x: steps, y: norms };
  });
  const grads = cases.map((c) => ({
    name: c.name,
    x: hs,
    y: hs.map((H) => Math.max(1e-12, Math.hypot(...bpttGradient(c.theta, [c.s0], H, 1, c.damping)))),
    points: true,
  }));
  await display(
    combine([
      lineChart(product, {
        title: "|d s_t / d s_0| (closed loop)",
        xTitle: "step t",
        yTitle: "norm of the Jacobian product",
        logY: true,
        width: 330,
      }),
      lineChart(grads, {
        title: "|dJ/dtheta| vs horizon (your bpttGradient)",
        xTitle: "horizon H",
        yTitle: "gradient norm",
        logY: true,
        logX: true,
        width: 330,
      }),
    ]),
  );
}

// %% [markdown]
// Near the unstable upright the product, and with it the gradient, grows by orders of magnitude:
// a tiny change of $\theta$ early on moves the whole future, and gradient steps overshoot. In the
// damped case the product decays exponentially: the reward at step 60 carries almost no information
// about what the policy did at step 0, so the gradient cannot credit early actions for late results
// (it saturates instead of growing). Both are the same mechanism, a long product of Jacobians.
//
// ## 3. The landscape gets rugged as the horizon grows
//
// *Lecture: seed 001, "Gradient based approaches are fast But local minima".*
//
// Vary one parameter, $\theta_0$ (how strongly the policy pushes against gravity), keep the others
// fixed, and plot $J$ for a short and a long horizon. A gradient method only sees the local slope.

// %%
const startsHand = [
  [Math.PI, 0],
  [2, 0.5],
  [-2.5, -0.5],
  [1, 0],
];
const theta0s = Array.from({ length: 161 }, (_, i) => -8 + 0.1 * i);
const landscape = (H: number) => theta0s.map((t0) => unrolledObjective([t0, -0.5, 0], startsHand, H, 0.99) / H);
await display(
  lineChart(
    [10, 40, 100].map((H) => ({ name: `H = ${H}`, x: theta0s, y: landscape(H) })),
    { title: "J(theta_0) / H along one parameter", xTitle: "theta_0", yTitle: "mean reward per step (model)" },
  ),
);

// %% [markdown]
// Over 10 steps $J$ is smooth; over 100 steps it has kinks and plateaus: small changes of $\theta_0$
// decide whether the pendulum swings over the top or falls back, and the gradient is either tiny or
// huge.
//
// ## 4. Gradient norm vs horizon through a learned model
//
// *Lecture: seed 000, "Differentiable Dynamics"; seed 004, "Backpropagate directly into the policy?".*
//
// Now a learned model (the normalised delta MLP of notebook 01, differentiable in tfjs) and a neural
// policy $\pi_\theta$ (an MLP with a $\tanh$ squash into $[-2, 2]$). `policyGradient` computes
// $\nabla_\theta J$ by automatic differentiation through the unrolled model; we measure its norm for
// several horizons and three random policies.

// %%
const envP = new Pendulum({ seed: 2 });
const rngP = makeRng(2);
const dataP = concatDatasets(...Array.from({ length: 3 }, (_, i) => runEpisode(envP, randomPolicy(envP, rngP), { seed: 20 + i }).data));
const modelP = new MlpDynamicsModel({ stateDim: 2, actionDim: 1, angleDims: [0], hiddenSizes: [64, 64], maxEpochs: 30, seed: 2 });
await modelP.fit(dataP);
const horizons = [1, 5, 10, 20, 40, 80];
const starts = tf.tensor2d(dataP.states.slice(0, 32));
const normSeries = [0, 1, 2].map((k) => {
  const policy = new NeuralPolicy({
    stateDim: 2,
    actionDim: 1,
    actionLow: [-2],
    actionHigh: [2],
    angleDims: [0],
    hiddenSizes: [32, 32],
    seed: 10 + k,
  });
  const norms = horizons.map((H) => {
    const g = policyGradient(modelP, envReward(envP), policy, starts, H);
    tf.dispose(g.grads);
    return g.norm;
  });
  policy.dispose();
  return { name: `random policy ${k + 1}`, x: horizons, y: norms, points: true };
});
await display(
  lineChart(normSeries, {
    title: "|dJ/dtheta| vs horizon (learned pendulum model)",
    xTitle: "horizon H",
    yTitle: "gradient norm",
    logX: true,
    logY: true,
  }),
);

// %% [markdown]
// The norm grows by orders of magnitude with the horizon (the sum has more terms, and each term's
// derivative multiplies more Jacobians). Near an unstable equilibrium like the upright pendulum these
// products grow exponentially. In practice: moderate horizons, clipped gradient norms, discounting,
// or a learned value at the end of the horizon.
//
// ## 5. Version 2.0 on the pendulum
//
// *Lecture: seed 004, "Backpropagate directly into the policy?" (model-based RL version 2.0).*
//
// The library's `mbrlV20` runs steps 1 to 4: each round refits the model, takes Adam steps on the
// policy (start states sampled from $\mathcal{D}$, horizon 30, gradient norm clipped at 10), and runs
// the policy once (with a little exploration noise) to add data. Smaller than the benchmark
// (which uses 12 rounds of 50 steps with horizon 40).

// %%
const env4 = new Pendulum({ seed: 4 });
const model4 = new MlpDynamicsModel({ stateDim: 2, actionDim: 1, angleDims: [0], hiddenSizes: [64, 64], maxEpochs: 40, seed: 4 });
const policy4 = new NeuralPolicy({
  stateDim: 2,
  actionDim: 1,
  actionLow: [-2],
  actionHigh: [2],
  angleDims: [0],
  seed: 5,
  learningRate: 3e-3,
});
const v20 = await mbrlV20({
  env: env4,
  model: model4,
  reward: envReward(env4),
  policy: policy4,
  baseEpisodes: 1,
  iterations: 9,
  horizon: 30,
  policySteps: 25,
  batchSize: 64,
  seed: 4,
  onIteration: (r) =>
    console.log(
      `round ${r.iteration}: episode return ${r.return.toFixed(0)}, model J ${r.objective.toFixed(1)}, mean |grad| ${r.gradNorm.toFixed(1)}`,
    ),
});
await display(
  lineChart([{ name: "v2.0 episode return", x: v20.rounds.map((r) => r.transitions), y: v20.rounds.map((r) => r.return), points: true }], {
    title: "Version 2.0: return of each collected episode",
    xTitle: "real transitions in D",
    yTitle: "return (higher is better; 0 is perfect)",
  }),
);

// %% [markdown]
// ## 6. Policy vs MPC: return and decision time
//
// *Lecture: seed 000, "Model-Based Policy Learning" vs "Online Planning"; seed 004, "Summary".*
//
// Both use the same final model. The policy costs one small network call per step; MPC runs CEM
// (100 candidates, horizon 15, 3 iterations) at every step.

// %%
const tPolicy = performance.now();
const policyReturns = evaluatePolicy(env4, policy4.asStatePolicy(), 3, 5000);
const policyMs = (performance.now() - tPolicy) / (3 * env4.maxSteps);
const mpc4 = makeMpc(env4, model4, envReward(env4), 15, { population: 100, elites: 10, iterations: 3 });
const tMpc = performance.now();
const mpcReturns = evaluatePolicy(env4, mpcPolicy(mpc4, makeRng(6)), 1, 5000);
const mpcMs = (performance.now() - tMpc) / env4.maxSteps;
const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`policy: mean return ${meanOf(policyReturns).toFixed(0)} over 3 episodes, ${policyMs.toFixed(2)} ms per decision`);
console.log(`MPC:    return ${meanOf(mpcReturns).toFixed(0)} on the first of those starts, ${mpcMs.toFixed(1)} ms per decision`);
await display(
  combine([
    barChart(
      [
        { name: "policy (v2.0), first start", value: policyReturns[0] },
        { name: "MPC, same start", value: mpcReturns[0] },
      ],
      {
        title: "Return on the same start",
        xTitle: "episode return (0 is perfect)",
        width: 260,
      },
    ),
    barChart(
      [
        { name: "policy (v2.0)", value: policyMs },
        { name: "MPC (CEM 100 x 3, H = 15)", value: mpcMs },
      ],
      {
        title: "Time per decision",
        xTitle: "ms per decision (log)",
        logX: true,
        width: 260,
      },
    ),
  ]),
);

// %% [markdown]
// The policy is about two orders of magnitude cheaper per decision. With the small training budget of
// this notebook its return comes close to MPC's on the same model, but is less reliable: watch the
// per-round returns above jump while the policy is still learning, and try other seeds. With the
// benchmark's budget (12 rounds of 50 gradient steps, horizon 40) it reaches about $-150$ over ten
// random starts, like MPC. MPC needs no policy training and adapts at once to a changed reward.
// The lecture's summary: version 2.0 is *computationally cheap at run time* but *can be numerically
// unstable*.
//
// ## 7. Distilling MPC into a policy with DAgger
//
// *Lecture: seed 003, "Neural Network Dynamics for Model-Based Deep Reinforcement Learning with
// Model-Free Fine-Tuning" and "Why model learning" (an imitation learning method by imitating the MPC
// planner); seed 004, "Case study" slides on the same paper.*
//
// A third option combines them: use MPC as a teacher and **distil** it into a policy by supervised
// learning. Cloning MPC's own trajectories is not enough: the policy's small errors lead it to states
// MPC never visited, where it has no labels. DAgger therefore labels the states **the policy** visits
// with MPC's actions and retrains on all labels so far (`dagger` in `mbrl/mbrl`). Round 0 below is
// plain behaviour cloning of one MPC episode; each later round adds the policy's own states. The
// teacher is the MPC of section 6 (same learned model and planner settings), planning from scratch at
// every queried state. Kept small (100-step episodes, two rounds), so expect a noisy curve.

// %%
const daggerEnv = new Pendulum({ seed: 7, maxSteps: 100 });
const daggerProblem = { model: model4, reward: envReward(daggerEnv), horizon: 15, actionLow: [-2], actionHigh: [2] };
const teacher = plannerExpert((s, rng) => cemPlan(daggerProblem, s, { population: 100, elites: 10, iterations: 3 }, rng));
const student = new NeuralPolicy({
  stateDim: 2,
  actionDim: 1,
  actionLow: [-2],
  actionHigh: [2],
  angleDims: [0],
  seed: 8,
  learningRate: 3e-3,
});
const distilled = await dagger({
  env: daggerEnv,
  expert: teacher,
  policy: student,
  iterations: 2,
  epochs: 40,
  seed: 9,
  onIteration: (r) =>
    console.log(`DAgger round ${r.iteration}: the policy's return ${r.policyReturn.toFixed(0)} before retraining on ${r.labels} labels`),
});
// The same start for both: the teacher as a warm-started MPC controller, the distilled policy after its last refit.
const teacherReturns = evaluatePolicy(daggerEnv, mpcPolicy(mpc4, makeRng(11)), 1, 7000);
const studentReturns = evaluatePolicy(daggerEnv, student.asStatePolicy(), 1, 7000);
await display(
  lineChart(
    [
      {
        name: "distilled policy, its own episode in each round",
        x: distilled.rounds.map((r) => r.iteration),
        y: distilled.rounds.map((r) => r.policyReturn),
        points: true,
      },
      {
        name: "distilled policy after the last refit (evaluation start)",
        x: [distilled.rounds.length],
        y: [studentReturns[0]],
        points: true,
      },
      { name: "MPC teacher (evaluation start)", x: [0, distilled.rounds.length], y: [teacherReturns[0], teacherReturns[0]], dashed: true },
    ],
    {
      title: "DAgger: the policy's return per round (100-step episodes)",
      xTitle: "DAgger round (0 = behaviour cloning only)",
      yTitle: "return",
      integerX: true,
    },
  ),
);
console.log(
  `same start, 100 steps: distilled policy after the last refit ${studentReturns[0].toFixed(0)}, MPC teacher ${teacherReturns[0].toFixed(0)}`,
);
student.dispose();

// %% [markdown]
// Behaviour cloning alone (round 0) often fails: a handful of MPC states do not cover where the policy
// drifts. The aggregated labels fix that where the policy actually goes. The per-round returns are
// noisy (each round starts from a different state and has few labels); the point to compare with the
// teacher is the last one, on the same start as the teacher's run. The distilled policy then
// decides as cheaply as the v2.0 policy, with no gradient through the model at all; Nagabandi et al.
// go one step further and fine-tune it with model-free RL (MBMF).
//
// ## Summary
//
// * Version 2.0 optimises a policy by backpropagating the model's predicted return through the
//   unrolled model (BPTT).
// * The gradient multiplies Jacobians over the horizon: it explodes or vanishes; the objective gets
//   rugged; clip, discount, keep horizons moderate.
// * A policy is cheap at decision time; MPC is robust and flexible; DAgger distils one into the other.
//
// ## Check your understanding
//
// 1. Your `bpttGradient` keeps the term $g_t\,\partial\pi/\partial s$ in the adjoint. Notebook 02's
//    gradient shooting differentiates with respect to a fixed action sequence. Why does one need the
//    term and the other not, and what would a policy gradient without it get wrong?
// 2. In the damped case the gradient stops growing with the horizon. Is that good news (a stable
//    optimisation) or bad news for learning a swing-up? What does the policy fail to learn?
// 3. The same learned model serves v2.0, MPC and DAgger above. Which would you deploy on a robot that
//    must decide at 1 kHz, and which if the reward changes every day? Why?
// 4. DAgger asks the teacher to label states the *student* visits. What goes wrong if the teacher is
//    MPC on a model that is poor exactly in those states?
//
// ## Try it
//
// * In the **exploding and vanishing gradients** cell, set the damped case's `damping` to 0.05 and
//   then 0.5: where does the Jacobian product switch from growing to decaying? Then change the
//   undamped case's `theta` to the stabilising `[-8, -2, 0]` and watch the explosion disappear.
// * In the **version 2.0** cell, change `horizon: 30` to 10 and to 60 (keep everything else). Look at
//   the printed mean gradient norm and at the per-round returns: which horizon learns the swing-up?
// * In the **DAgger** cell, set `iterations: 4` (two more rounds of the policy's own states) and
//   compare the final return of the distilled policy with the two-round run; then set `iterations: 1`.
