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
// backpropagation through time, and contains products of $H$ Jacobians $\partial f / \partial s$.
// That is the catch: such products can **explode or vanish** as $H$ grows.

// %%
import { initBackend, makeRng, tf } from "mbrl/core";
import { display, lineChart } from "mbrl/viz";
import { check, checkClose } from "mbrl/exercise";
import { Pendulum } from "mbrl/envs";
import { MlpDynamicsModel, envReward, concatDatasets } from "mbrl/models";
import { runEpisode, randomPolicy, evaluatePolicy, NeuralPolicy, mbrlV20, policyGradient, makeMpc, mpcPolicy } from "mbrl/mbrl";

await initBackend();

// %% [markdown]
// ## 1. The unrolled objective by hand
//
// To see $J$ plainly, take a small model, policy and reward written in plain TypeScript: an Euler step
// of the pendulum (the same physics as notebook 01's identified model), a policy with three
// parameters, $a = 2\tanh(\theta_0 \sin\vartheta + \theta_1 \dot\vartheta + \theta_2)$ for the state
// $(\vartheta, \dot\vartheta)$, and the pendulum's reward taken at the state where the action is applied.

// %%
/** The model: one Euler step of the pendulum, theta = 0 upright, |a| <= 2. */
function modelStep(s: number[], a: number): number[] {
  const u = Math.max(-2, Math.min(2, a));
  const thdot = Math.max(-8, Math.min(8, s[1] + 0.05 * (15 * Math.sin(s[0]) + 3 * u)));
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
  const two = unrolledObjective([0, 0, 0], [[Math.PI, 0], [0.5, 1]], 3, 0.9);
  const a = unrolledObjective([0, 0, 0], [[Math.PI, 0]], 3, 0.9);
  const b = unrolledObjective([0, 0, 0], [[0.5, 1]], 3, 0.9);
  checkClose("the mean over start states", two, (a + b) / 2);
  check("a stabilising policy beats doing nothing near upright",
    unrolledObjective([-8, -2, 0], [[0.3, 0]], 40, 0.99) > unrolledObjective([0, 0, 0], [[0.3, 0]], 40, 0.99));
}

// %% [markdown]
// ## 2. The landscape gets rugged as the horizon grows
//
// Vary one parameter, $\theta_0$ (how strongly the policy pushes against gravity), keep the others
// fixed, and plot $J$ for a short and a long horizon. A gradient method only sees the local slope.

// %%
const startsHand = [[Math.PI, 0], [2, 0.5], [-2.5, -0.5], [1, 0]];
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
// ## 3. Gradient norm vs horizon through a learned model
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
  const policy = new NeuralPolicy({ stateDim: 2, actionDim: 1, actionLow: [-2], actionHigh: [2], angleDims: [0], hiddenSizes: [32, 32], seed: 10 + k });
  const norms = horizons.map((H) => {
    const g = policyGradient(modelP, envReward(envP), policy, starts, H);
    tf.dispose(g.grads);
    return g.norm;
  });
  policy.dispose();
  return { name: `random policy ${k + 1}`, x: horizons, y: norms, points: true };
});
await display(lineChart(normSeries, { title: "|dJ/dtheta| vs horizon (learned pendulum model)", xTitle: "horizon H", yTitle: "gradient norm", logX: true, logY: true }));

// %% [markdown]
// The norm grows by orders of magnitude with the horizon (the sum has more terms, and each term's
// derivative multiplies more Jacobians). Near an unstable equilibrium like the upright pendulum these
// products grow exponentially. In practice: moderate horizons, clipped gradient norms, discounting,
// or a learned value at the end of the horizon.
//
// ## 4. Version 2.0 on the pendulum
//
// The library's `mbrlV20` runs steps 1 to 4: each round refits the model, takes Adam steps on the
// policy (start states sampled from $\mathcal{D}$, horizon 30, gradient norm clipped at 10), and runs
// the policy once (with a little exploration noise) to add data. Smaller than the benchmark
// (which uses 12 rounds of 50 steps with horizon 40).

// %%
const env4 = new Pendulum({ seed: 4 });
const model4 = new MlpDynamicsModel({ stateDim: 2, actionDim: 1, angleDims: [0], hiddenSizes: [64, 64], maxEpochs: 40, seed: 4 });
const policy4 = new NeuralPolicy({ stateDim: 2, actionDim: 1, actionLow: [-2], actionHigh: [2], angleDims: [0], seed: 5, learningRate: 3e-3 });
const v20 = await mbrlV20({
  env: env4, model: model4, reward: envReward(env4), policy: policy4,
  baseEpisodes: 1, iterations: 9, horizon: 30, policySteps: 25, batchSize: 64, seed: 4,
  onIteration: (r) => console.log(`round ${r.iteration}: episode return ${r.return.toFixed(0)}, model J ${r.objective.toFixed(1)}, mean |grad| ${r.gradNorm.toFixed(1)}`),
});
await display(
  lineChart([{ name: "v2.0 episode return", x: v20.rounds.map((r) => r.transitions), y: v20.rounds.map((r) => r.return), points: true }], {
    title: "Version 2.0: return of each collected episode", xTitle: "real transitions in D", yTitle: "return",
  }),
);

// %% [markdown]
// ## 5. Policy vs MPC: return and decision time
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

// %% [markdown]
// The policy is about two orders of magnitude cheaper per decision. With the small training budget of
// this notebook its return comes close to MPC's on the same model, but is less reliable: watch the
// per-round returns above jump while the policy is still learning, and try other seeds. With the
// benchmark's budget (12 rounds of 50 gradient steps, horizon 40) it reaches about $-150$ over ten
// random starts, like MPC. MPC needs no policy training and adapts at once to a changed reward.
// The lecture's summary: version 2.0 is *computationally cheap at run time* but *can be numerically
// unstable*.
//
// A third option combines them: use MPC as a teacher and **distil** it into a policy by supervised
// learning. Cloning MPC's own trajectories is not enough (the policy's small errors lead it to states
// MPC never visited), so DAgger labels the states **the policy** visits with MPC's actions and
// retrains on all labels so far (lecture 003; `dagger` in `mbrl/mbrl`).
//
// ## Summary
//
// * Version 2.0 optimises a policy by backpropagating the model's predicted return through the
//   unrolled model (BPTT).
// * The gradient multiplies Jacobians over the horizon: it explodes or vanishes; the objective gets
//   rugged; clip, discount, keep horizons moderate.
// * A policy is cheap at decision time; MPC is robust and flexible; DAgger distils one into the other.
