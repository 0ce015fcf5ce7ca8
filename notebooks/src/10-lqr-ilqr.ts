// %% [markdown]
// # 10 · LQR and iLQR
//
// Model-based RL needs a way to turn a model into actions. When the model is differentiable we can
// do much better than sampling action sequences: we can use the derivatives $\frac{df}{dx_t}$,
// $\frac{df}{du_t}$, $\frac{dc}{dx_t}$, $\frac{dc}{du_t}$ to solve the control problem
//
// $$\min_{u_0, \dots, u_{T-1}} \sum_{t=0}^{T-1} c(x_t, u_t) + c_T(x_T) \quad \text{s.t.} \quad x_{t+1} = f(x_t, u_t).$$
//
// This notebook builds the two tools that lecture 004 (Berkeley CS 294-112, seed `004_…`) relies on when it
// says "backpropagate through $f(s, a)$ to choose actions (e.g. using iLQR)" (slide "That seems like a
// lot of work...") and when it fits local models (slides "Local models" and "What controller to execute?"):
//
// 1. **LQR**: when the dynamics are linear and the cost quadratic, the problem has an exact solution,
//    a *time-varying linear feedback controller* $u_t = K_t x_t + k_t$, found by one backward pass.
// 2. **iLQR**: for nonlinear dynamics, linearise the dynamics and quadratise the cost around the current
//    trajectory, solve that LQR problem, move the trajectory, repeat. We run it on a two-link arm,
//    first with the true dynamics and then with a model learned from data.
//
// You will write the heart of LQR yourself: the backward (Riccati) recursion.

// %%
import { initBackend, makeRng } from "mbrl/core";
import { display, lineChart, scatterChart, combine, animate } from "mbrl/viz";
import { check, checkClose } from "mbrl/exercise";
import { mat, toArray, solve } from "mbrl/linalg";
import {
  lqrBackward,
  lqrRollout,
  ilqr,
  localLqrProblem,
  runFeedback,
  clipAction,
  dynamicsFromEnv,
  dynamicsFromModel,
  armReachCost,
  armDistance,
  maxEntropyController,
  sampleAction,
  type LqrProblem,
} from "mbrl/control";
import { TwoLinkArm, armEndEffector } from "mbrl/envs";
import { MlpDynamicsModel } from "mbrl/models/mlp";
import { emptyDataset, addTransition } from "mbrl/models/types";

await initBackend();

// %% [markdown]
// ## 1. LQR on a linear system
//
// *Follows lecture 004, slide "Local models" ("LQR gives us a linear feedback controller"); the
// derivation is the standard one of its iLQR background.*
//
// Take a cart on a frictionless rail: state $x = (\text{position}, \text{velocity})$, action a force,
// time step $\Delta t = 0.1$:
//
// $$x_{t+1} = A x_t + B u_t, \qquad A = \begin{pmatrix} 1 & 0.1 \\ 0 & 1 \end{pmatrix}, \quad B = \begin{pmatrix} 0.005 \\ 0.1 \end{pmatrix}.$$
//
// The cost $\tfrac12 x_t^\top Q x_t + \tfrac12 u_t^\top R u_t$ per step and $\tfrac12 x_T^\top Q_f x_T$ at the
// end asks the cart to come back to the origin without pushing too hard.
//
// The key fact: the **cost to go** from step $t$ on, if we act optimally, is a quadratic
// $V_t(x) = \tfrac12 x^\top P_t x$. At the end $P_T = Q_f$. One step earlier, the cost of taking
// action $u$ in state $x$ and then acting optimally is
//
// $$Q_t(x, u) = \tfrac12 x^\top Q x + \tfrac12 u^\top R u + \tfrac12 (Ax + Bu)^\top P_{t+1} (Ax + Bu),$$
//
// still a quadratic, now in $(x, u)$. Setting its gradient in $u$ to zero gives the optimal action
//
// $$u_t = K_t x_t, \qquad K_t = -(R + B^\top P_{t+1} B)^{-1} B^\top P_{t+1} A = -Q_{uu}^{-1} Q_{ux},$$
//
// and plugging it back in gives the next value matrix
//
// $$P_t = Q + A^\top P_{t+1} A + A^\top P_{t+1} B K_t .$$
//
// Going backward from $T$ to $0$ gives every gain; the rollout forward then just applies them.
// The library's `lqrBackward` does this for the general time-varying case (with cross terms between
// $x$ and $u$, linear terms, and an offset in the dynamics).

// %%
const A = [
  [1, 0.1],
  [0, 1],
];
const B = [[0.005], [0.1]];
const Qx = [
  [1, 0],
  [0, 0.1],
];
const Ru = [[0.01]];
const Qf = [
  [10, 0],
  [0, 1],
];
const T_cart = 50;

/** The cart problem in the library's form: F = [A B], cost over z = [x; u]. */
const cartProblem: LqrProblem = {
  n: 2,
  m: 1,
  F: Array.from({ length: T_cart }, () => mat(2, 3, [A[0][0], A[0][1], B[0][0], A[1][0], A[1][1], B[1][0]])),
  f: Array.from({ length: T_cart }, () => new Float64Array(2)),
  C: Array.from({ length: T_cart }, () => mat(3, 3, [Qx[0][0], 0, 0, 0, Qx[1][1], 0, 0, 0, Ru[0][0]])),
  c: Array.from({ length: T_cart }, () => new Float64Array(3)),
  CT: mat(2, 2, [Qf[0][0], 0, 0, Qf[1][1]]),
};
const cartSolution = lqrBackward(cartProblem);
const cartRun = lqrRollout(cartProblem, cartSolution, [1, 0]);
console.log(`total cost from x0 = (1, 0): ${cartRun.cost.toFixed(4)}`);

const steps = Array.from({ length: T_cart + 1 }, (_, t) => t);
await display(
  combine([
    lineChart(
      [
        { name: "position", x: steps, y: cartRun.xs.map((x) => x[0]) },
        { name: "velocity", x: steps, y: cartRun.xs.map((x) => x[1]) },
      ],
      { title: "LQR brings the cart back", xTitle: "step", width: 270 },
    ),
    lineChart(
      [
        { name: "K (position)", x: steps.slice(0, T_cart), y: cartSolution.K.map((K) => K.data[0]) },
        { name: "K (velocity)", x: steps.slice(0, T_cart), y: cartSolution.K.map((K) => K.data[1]) },
      ],
      { title: "Time-varying gains K_t", xTitle: "step", width: 270 },
    ),
  ]),
);

// %% [markdown]
// The gains are constant for most of the horizon (far from the end, the problem looks infinite) and
// change near the end, where the terminal cost takes over. That is what *time-varying* buys.
//
// ## Exercise: the backward recursion
//
// Write `riccatiGains(A, B, Q, R, Qf, T)`: the gains $K_0, \dots, K_{T-1}$ (each $m \times n$, as arrays of
// rows) of the time-invariant problem above, by the recursion in the box. Plain arrays in, plain
// arrays out. You need a small linear solve for $Q_{uu}^{-1} Q_{ux}$: write one, or use `solve(M, Y)` from
// `mbrl/linalg`, imported above (it takes arrays of rows and returns a `Mat`; `toArray` turns that back into rows).

// %% exercise id=lqr-backward points=3
function riccatiGains(A: number[][], B: number[][], Q: number[][], R: number[][], Qf: number[][], T: number): number[][][] {
  // BEGIN SOLUTION
  throw new Error("not implemented yet: lqr-backward");
  // END SOLUTION
}

// %% check id=lqr-backward
{
  const K = riccatiGains(A, B, Qx, Ru, Qf, T_cart);
  check("one gain per step", K.length === T_cart);
  check(
    "each gain is 1 x 2",
    K.every((k) => k.length === 1 && k[0].length === 2),
  );
  checkClose("K_0 matches the library", K[0], toArray(cartSolution.K[0]), 1e-6);
  checkClose("K_{T-1} matches the library", K[T_cart - 1], toArray(cartSolution.K[T_cart - 1]), 1e-6);
  // A scalar case by hand: a = b = q = r = qf = 1, one step: K = -(1 / 2).
  checkClose("scalar one-step case", riccatiGains([[1]], [[1]], [[1]], [[1]], [[1]], 1), [[[-0.5]]], 1e-9);
}

// %% [markdown]
// ## 2. iLQR on a two-link arm
//
// *Follows lecture 004, slides "Local models" ($A_t = df/dx_t$, $B_t = df/du_t$) and "What controller to
// execute?" ("iLQR produces $\hat x_t, \hat u_t, K_t, k_t$").*
//
// The arm has a shoulder and an elbow joint driven by torques; its state is the two joint angles and
// their velocities, $x = (q_1, q_2, \dot q_1, \dot q_2)$. The dynamics (mass matrix, Coriolis terms,
// friction) are nonlinear, and so is the cost: we want the *end effector* $p(q)$ at a target point,
//
// $$c(x, u) = |p(q) - p^\ast|^2 + w_v |\dot q|^2 + w_u |u|^2, \qquad c_T(x_T) = 10\, |p(q_T) - p^\ast|^2 + 0.1\, |\dot q_T|^2 .$$
//
// **iLQR** repeats:
//
// 1. linearise the dynamics around the current trajectory $(\hat x_t, \hat u_t)$:
//    $x_{t+1} - \hat x_{t+1} \approx A_t (x_t - \hat x_t) + B_t (u_t - \hat u_t)$ (here by finite differences of the simulator);
// 2. expand the cost to second order (for a squared distance we use the Gauss-Newton Hessian $J^\top J$, which is never indefinite);
// 3. solve that LQR problem in the deviations: $\delta u_t = K_t \delta x_t + k_t$;
// 4. run the *nonlinear* system forward with $u_t = \hat u_t + \alpha k_t + K_t (x_t - \hat x_t)$ and take the largest
//    $\alpha \in \{1, \tfrac12, \tfrac14, \dots\}$ that lowers the true cost (a line search);
// 5. if no step helps, add $\mu I$ to $Q_{uu}$ (Levenberg regularisation: shorter, more gradient-like steps) and retry.
//
// Because a step is only accepted when the true cost goes down, the cost decreases at every iteration.
//
// **Which curvature?** iLQR already drops the dynamics' second derivatives, so its local problem is
// only a sound model of the cost when the cost's curvature $\nabla^2 c$ is positive semi-definite. The
// arm's cost is a sum of squares, so we use its Gauss-Newton curvature $J^\top J$. For a cost given
// only as a function, `ilqr` takes the finite-difference Hessian and, by default
// (`curvature: "psd"`), clips its negative eigenvalues to zero: a saturating cost such as the
// cart-pole swing-up's $1 - e^{-d^2 / 2\sigma^2}$ is concave far from the goal, and with its exact,
// indefinite Hessian iLQR needs so much regularisation that it stalls well above the cost L-BFGS or
// Gauss-Newton reach (`curvature: "exact"` shows it; test/control/ilqr-curvature.test.ts checks it).

// %%
const arm = new TwoLinkArm();
const armTrue = dynamicsFromEnv(arm);
const target = arm.target;
const reachCost = armReachCost({ target });
const armX0 = arm.reset(0);
const T = 100; // 2 s at dt = 0.02
const zeroTorques = Array.from({ length: T }, () => [0, 0]);

const t0 = Date.now();
const plan = ilqr(armTrue, reachCost, armX0, zeroTorques, { maxIter: 60 });
console.log(
  `iLQR: ${plan.iterations} iterations in ${((Date.now() - t0) / 1000).toFixed(1)} s (${plan.reason}); ` +
    `cost ${plan.costs[0].toFixed(3)} -> ${plan.costs[plan.costs.length - 1].toFixed(4)}; ` +
    `final distance to the target ${(armDistance(plan.xs[T], target) * 100).toFixed(3)} cm`,
);

const endPath = plan.xs.map((x) => armEndEffector(x[0], x[1]));
await display(
  combine([
    lineChart([{ name: "cost", x: plan.costs.map((_, i) => i), y: plan.costs, points: true }], {
      title: "iLQR: cost per accepted iteration",
      xTitle: "iteration",
      integerX: true,
      yTitle: "total cost",
      logY: true,
      width: 300,
    }),
    scatterChart(
      [
        { name: "end effector", x: endPath.map((p) => p[0]), y: endPath.map((p) => p[1]) },
        { name: "target", x: [target[0]], y: [target[1]] },
        { name: "start", x: [endPath[0][0]], y: [endPath[0][1]] },
      ],
      { title: "End-effector path (m)", xTitle: "x", yTitle: "y", width: 260 },
    ),
  ]),
);

// %% [markdown]
// The first actions saturate the shoulder torque: iLQR handles the bound simply by clipping in the
// rollouts (the gradient of a clipped action is zero, so the optimiser stops pushing on it).
// Here is the motion:

// %%
animate(
  plan.xs.filter((_, t) => t % 2 === 0).map((x) => arm.render(Array.from(x))),
  { fps: 25, title: "iLQR reach with the true dynamics" },
);

// %% [markdown]
// ### Exercise: the forward pass with a line search (3 points)
//
// Steps 4 and 5 above are what keep iLQR safe: the LQR solution is only right for the *linearised*
// dynamics, so the nonlinear rollout must be checked. You will write that forward pass for a small
// system: a damped pendulum ($\theta = 0$ hanging down, 0.05 s steps) that should swing to
// $\theta = \pi$. Its step and its total cost are in the next cell (`pendulumStep`, `pendulumCost`).
//
// Write `ilqrForwardPass(xs, us, K, k, alphas)`. `xs` ($T + 1$ states) and `us` ($T$ actions) are the
// current trajectory $\hat x, \hat u$; `K[t]` ($m \times n$) and `k[t]` come from the backward pass. For each
// `alpha` **in the order given**, run the nonlinear system from `xs[0]` with
//
// $$u_t = \hat u_t + \alpha\, k_t + K_t (x_t - \hat x_t), \qquad x_{t+1} = \text{pendulumStep}(x_t, u_t),$$
//
// (the feedback acts on the deviation of the **new** state from the **old** trajectory at the same step)
// and return `{ xs, us, cost, alpha }` of the first step whose `pendulumCost` is strictly lower than the
// current trajectory's. If no step size lowers the cost, return the current trajectory, its cost and
// `alpha: 0` (iLQR then raises its regularisation $\mu$ and tries again).

// %%
/** A damped pendulum (theta = 0 hanging down), one 0.05 s Euler step; torque u[0] in N m. */
function pendulumStep(x: number[], u: number[]): number[] {
  const w = x[1] + 0.05 * (-9.81 * Math.sin(x[0]) - 0.1 * x[1] + u[0]);
  return [x[0] + 0.05 * w, w];
}
function pendulumRunningCost(x: number[], u: number[]): number {
  return 0.1 * (x[0] - Math.PI) ** 2 + 0.01 * x[1] ** 2 + 0.01 * u[0] ** 2;
}
function pendulumTerminalCost(x: number[]): number {
  return 10 * (x[0] - Math.PI) ** 2 + x[1] ** 2;
}
/** Total cost of a trajectory: running costs of the T steps plus the terminal cost of x_T. */
function pendulumCost(xs: number[][], us: number[][]): number {
  let J = pendulumTerminalCost(xs[us.length]);
  for (let t = 0; t < us.length; t++) J += pendulumRunningCost(xs[t], us[t]);
  return J;
}

// %% exercise id=ilqr-forward-pass points=3
function ilqrForwardPass(
  xs: number[][],
  us: number[][],
  K: number[][][],
  k: number[][],
  alphas: number[],
): { xs: number[][]; us: number[][]; cost: number; alpha: number } {
  // BEGIN SOLUTION
  throw new Error("not implemented yet: ilqr-forward-pass");
  // END SOLUTION
}

// %% check id=ilqr-forward-pass
{
  // One iLQR iteration on the pendulum with the library: a push for 0.5 s, then nothing.
  const pend = {
    stateDim: 2,
    actionDim: 1,
    dynamics(S: Float64Array, U: Float64Array) {
      const out = new Float64Array(S.length);
      for (let i = 0; i < U.length; i++) out.set(pendulumStep([S[2 * i], S[2 * i + 1]], [U[i]]), 2 * i);
      return out;
    },
  };
  const pendCost = {
    running: (x: Float64Array, u: Float64Array) => pendulumRunningCost(Array.from(x), Array.from(u)),
    terminal: (x: Float64Array) => pendulumTerminalCost(Array.from(x)),
  };
  const push = Array.from({ length: 60 }, (_, t) => [t < 10 ? 2 : 0]);
  const xsOld = [[0, 0]];
  for (let t = 0; t < 60; t++) xsOld.push(pendulumStep(xsOld[t], push[t]));
  const sol = lqrBackward(
    localLqrProblem(
      pend,
      pendCost,
      xsOld.map((x) => Float64Array.from(x)),
      push.map((u) => Float64Array.from(u)),
      1e-5,
    ),
    { mu: 1e-6 },
  );
  const K = sol.K.map((G) => toArray(G));
  const k = sol.k.map((v) => Array.from(v));
  const halving = [1, 0.5, 0.25, 0.125, 0.0625];
  const libStep = ilqr(pend, pendCost, [0, 0], push, { maxIter: 1, alphas: halving });
  const mine = ilqrForwardPass(xsOld, push, K, k, halving);
  checkClose(
    "closed loop: the new states match the library's iLQR step (feedback on x_t - x_hat_t)",
    mine.xs,
    libStep.xs.map((x) => Array.from(x)),
    1e-8,
  );
  checkClose("the returned cost is the new trajectory's cost", mine.cost, libStep.costs[1], 1e-8);
  const long = ilqrForwardPass(
    xsOld,
    push,
    K,
    k.map((v) => [2 * v[0]]),
    halving,
  );
  checkClose("a feed-forward step twice too long raises the cost at alpha = 1: the line search halves it", long.alpha, 0.5);
  const uphill = ilqrForwardPass(
    xsOld,
    push,
    K,
    k.map((v) => [-v[0]]),
    halving,
  );
  check(
    "an uphill direction helps at no step size: the old trajectory is kept, alpha = 0",
    uphill.alpha === 0 && uphill.cost === pendulumCost(xsOld, push),
  );
  console.log(`cost ${pendulumCost(xsOld, push).toFixed(1)} -> ${mine.cost.toFixed(1)} with alpha = ${mine.alpha}`);
}

// %% [markdown]
// ## 3. Noise in the controller: $\Sigma_t = Q_{uu}^{-1}$
//
// *Follows lecture 004, slide "What controller to execute?" (version 2.0, $\Sigma_t = Q_{u_t u_t}^{-1}$, and
// the linear-Gaussian solution of the entropy-regularised problem).*
//
// iLQR gives more than a trajectory: it gives a feedback controller
// $u_t = K_t (x_t - \hat x_t) + k_t + \hat u_t$. Lecture 004 adds Gaussian noise to it,
// $p(u_t \mid x_t) = \mathcal{N}(K_t (x_t - \hat x_t) + k_t + \hat u_t, \Sigma_t)$ with $\Sigma_t = Q_{uu,t}^{-1}$.
// $Q_{uu}$ is large where changing the action changes the cost to go a lot, so this controller is
// random only where randomness is cheap: it is the solution of the *maximum-entropy* problem
// $\min \sum_t E[c(x_t, u_t) - \mathcal{H}(p(u_t \mid x_t))]$. We will need this controller to collect
// varied data for local models (notebook 11). The scale of $\Sigma$ follows the scale of the cost (a
// temperature): with the cost multiplied by $\lambda$, $\Sigma$ is divided by $\lambda$. Below: ten noisy runs on the true arm.

// %%
// Sigma = Q_uu^-1 is in the units of the cost: multiplying the cost by 1000 divides Sigma by 1000.
// Our cost is small (a squared distance in metres), so Q_uu^-1 is huge; we use Sigma = (1000 Q_uu)^-1.
const lgc = maxEntropyController(plan.xs, plan.us, plan.K, plan.k, plan.Quu, 1e-3);
const noiseRng = makeRng(3);
const noisyPaths = Array.from({ length: 10 }, (_, r) => {
  let x = Array.from(armX0);
  const pts: [number, number][] = [armEndEffector(x[0], x[1])];
  for (let t = 0; t < T; t++) {
    const u = Array.from(sampleAction(lgc, t, x, noiseRng));
    x = arm.nextState(x, u);
    pts.push(armEndEffector(x[0], x[1]));
  }
  return { name: `run ${r + 1}`, x: pts.map((p) => p[0]), y: pts.map((p) => p[1]) };
});
console.log(
  `torque std at t = 0: ${Math.sqrt(lgc.cov[0].data[0]).toFixed(3)} (shoulder), at t = ${T - 1}: ${Math.sqrt(lgc.cov[T - 1].data[0]).toFixed(3)}`,
);
await display(
  scatterChart(noisyPaths, {
    title: "Ten runs of the linear-Gaussian controller (Sigma = (1000 Q_uu)^-1)",
    xTitle: "x (m)",
    yTitle: "y (m)",
    size: 8,
  }),
);

// %% [markdown]
// ### Which controller to run: open loop, feedback or noise?
//
// Lecture 004 (slide "What controller to execute?") lists three ways to execute iLQR's result:
// **version 0.5** replays the planned actions $\hat u_t$ open loop ("doesn't correct deviations or
// drift"); **version 1.0** adds the feedback $K_t(x_t - \hat x_t)$; **version 2.0** samples from the
// linear-Gaussian controller $\mathcal N(K_t(x_t - \hat x_t) + k_t + \hat u_t, \Sigma_t)$ so that repeated
// runs explore (here with $\Sigma = (1000\,Q_{uu})^{-1}$, as above). To see the difference, the real arm below is pushed around: every step a random
// disturbance of standard deviation 0.05 rad/s is added to both joint velocities (the same 20
// disturbance sequences for each controller).

// %%
const DISTURBANCE = 0.05;
function disturbedRun(act: (t: number, x: number[], rng: ReturnType<typeof makeRng>) => number[], seed: number): number[] {
  const pushRng = makeRng(1000 + seed); // the disturbances: identical for every controller
  const actRng = makeRng(2000 + seed); // the controller's own noise (version 2.0 only)
  let x = Array.from(armX0);
  const dist = [armDistance(x, target)];
  for (let t = 0; t < T; t++) {
    const u = Array.from(clipAction(armTrue, Float64Array.from(act(t, x, actRng))));
    x = arm.nextState(x, u);
    x[2] += DISTURBANCE * pushRng.normal();
    x[3] += DISTURBANCE * pushRng.normal();
    dist.push(armDistance(x, target));
  }
  return dist;
}
const controllers: [string, (t: number, x: number[], rng: ReturnType<typeof makeRng>) => number[]][] = [
  ["v0.5: open loop", (t) => Array.from(plan.us[t])],
  [
    "v1.0: feedback",
    (t, x) =>
      Array.from(
        plan.us[t],
        (u, i) =>
          u +
          plan.K[t].data[i * 4] * (x[0] - plan.xs[t][0]) +
          plan.K[t].data[i * 4 + 1] * (x[1] - plan.xs[t][1]) +
          plan.K[t].data[i * 4 + 2] * (x[2] - plan.xs[t][2]) +
          plan.K[t].data[i * 4 + 3] * (x[3] - plan.xs[t][3]),
      ),
  ],
  ["v2.0: noisy", (t, x, rng) => Array.from(sampleAction(lgc, t, x, rng))],
];
const RUNS_DISTURBED = 20;
const stepsT = Array.from({ length: T + 1 }, (_, t) => t);
const disturbed = controllers.map(([name, act]) => {
  const runs = Array.from({ length: RUNS_DISTURBED }, (_, r) => disturbedRun(act, r));
  const mean = stepsT.map((t) => (100 * runs.reduce((a, d) => a + d[t], 0)) / RUNS_DISTURBED);
  return { name, mean, final: runs.map((d) => 100 * d[T]) };
});
await display(
  lineChart(
    disturbed.map((d) => ({ name: d.name, x: stepsT, y: d.mean })),
    {
      title: `Disturbed arm (velocity noise ${DISTURBANCE} rad/s per step), mean of ${RUNS_DISTURBED} runs`,
      xTitle: "step",
      yTitle: "distance to target (cm)",
      logY: true,
      width: 480,
    },
  ),
);
for (const d of disturbed) {
  const sorted = d.final.slice().sort((a, b) => a - b);
  console.log(
    `${d.name.padEnd(24)} final distance: median ${sorted[RUNS_DISTURBED / 2].toFixed(2)} cm, worst ${sorted[RUNS_DISTURBED - 1].toFixed(2)} cm`,
  );
}
check("feedback ends closer to the target than open loop under disturbances", disturbed[1].mean[T] < disturbed[0].mean[T]);

// %% [markdown]
// Open loop, the disturbances add up: nothing ever notices that the arm has left the planned path,
// so the end points scatter far from the target (the printed median is more than ten centimetres off). The feedback gains notice and push back, and the
// arm ends near the target whatever the pushes were. The noisy controller ends near the target too: its
// noise is small where it matters, because $\Sigma_t = Q_{uu}^{-1}$ is small where the action changes
// the cost to go a lot, and the feedback removes what the noise adds. Its runs differ from each other
// in a way that is cheap, which is what makes it a good data collector for notebook 11.

// %% [markdown]
// ## 4. iLQR through a learned model
//
// *Follows lecture 004, slides "Does it work? No!" (the distribution mismatch $p_{\pi_f}(s_t) \ne p_{\pi_0}(s_t)$)
// and "Can we do better?" (version 1.0: execute, add the data, refit).*
//
// Without the true equations we can learn $f$ from data and plan through the model (model-based RL
// version 1.0): collect random-torque episodes, fit a neural network that predicts normalised state
// changes, run iLQR **on the model**, execute the resulting feedback controller on the **real** arm,
// add what happened to the data, and refit. The Jacobians of the network come from finite
// differences with a larger step (the network computes in float32).

// %%
const dataRng = makeRng(7);
const D = emptyDataset();
const record = (xs: ArrayLike<number>[], us: ArrayLike<number>[]) => {
  for (let t = 0; t < us.length; t++) addTransition(D, xs[t], us[t], 0, xs[t + 1]);
};
for (let e = 0; e < 30; e++) {
  const xs: number[][] = [Array.from(armX0)],
    us: number[][] = [];
  let u = [dataRng.uniform(-3, 3), dataRng.uniform(-3, 3)];
  for (let t = 0; t < T; t++) {
    u = u.map((v) => Math.max(-5, Math.min(5, 0.9 * v + dataRng.normal(0, 1))));
    us.push(u);
    xs.push(arm.nextState(xs[t], u));
  }
  record(xs, us);
}
const model = new MlpDynamicsModel({ stateDim: 4, actionDim: 2, angleDims: [0, 1], hiddenSizes: [128, 128], maxEpochs: 60, seed: 3 });
const learned = dynamicsFromModel(model, { uLow: armTrue.uLow, uHigh: armTrue.uHigh });
const learnedRounds: { round: number; planned: number; real: number }[] = [];
let lastRealPath: Float64Array[] = [];
for (let round = 1; round <= 3; round++) {
  await model.fit(D);
  const mplan = ilqr(learned, reachCost, armX0, zeroTorques, { maxIter: 40, eps: 1e-3 });
  const run = runFeedback(armTrue, mplan, armX0, round < 3 ? { rng: dataRng, noiseStd: 0.3 } : {});
  record(run.xs, run.us);
  lastRealPath = run.xs;
  learnedRounds.push({ round, planned: armDistance(mplan.xs[T], target), real: armDistance(run.xs[T], target) });
  console.log(
    `round ${round}: ${D.states.length} transitions; distance the model promises ${(learnedRounds[round - 1].planned * 100).toFixed(2)} cm, ` +
      `distance on the real arm ${(learnedRounds[round - 1].real * 100).toFixed(2)} cm`,
  );
}
model.dispose();
await display(
  lineChart(
    [
      { name: "model's promise", x: learnedRounds.map((r) => r.round), y: learnedRounds.map((r) => 100 * r.planned), points: true },
      { name: "real arm", x: learnedRounds.map((r) => r.round), y: learnedRounds.map((r) => 100 * r.real), points: true },
    ],
    {
      title: "iLQR through the learned model, round by round",
      xTitle: "round (refit on all data so far)",
      integerX: true,
      yTitle: "final distance (cm)",
      logY: true,
      width: 420,
    },
  ),
);
const learnedPath = lastRealPath.map((x) => armEndEffector(x[0], x[1]));
await display(
  scatterChart(
    [
      { name: "true-model plan", x: endPath.map((p) => p[0]), y: endPath.map((p) => p[1]) },
      { name: "learned model", x: learnedPath.map((p) => p[0]), y: learnedPath.map((p) => p[1]) },
      { name: "target", x: [target[0]], y: [target[1]] },
    ],
    { title: "Planning through the truth vs through a learned model", xTitle: "x (m)", yTitle: "y (m)" },
  ),
);

// %% [markdown]
// The first model was fitted on random torques only, so the plan it produces leads the arm where the
// model has seen little data and the real arm misses (the *distribution mismatch* of lecture 004, slide "Does it work? No!").
// Each round adds data along the arm's actual path, and the real arm ends closer to the target round
// after round (the plot above). The model's promise and the real outcome need not agree exactly: in
// the later rounds the real arm typically ends further away than the plan promised: that difference is
// the model's remaining error near the target, and more rounds (more data there) reduce it. The feedback gains help too: $K_t (x_t - \hat x_t)$ corrects
// deviations from the planned path instead of replaying the actions blindly.
//
// **Takeaways.** LQR solves linear-quadratic problems exactly by one backward pass; iLQR applies it
// repeatedly to local approximations, with a line search and regularisation to keep each step safe;
// the same machinery works with any differentiable (or finite-differenced) model, true or learned.
// Notebook 11 goes further: it never learns a global model of the dynamics at all, only *local*
// linear models around the current controller.
//
// ## Check your understanding
//
// 1. The LQR gains $K_t$ of section 1 are constant for most of the horizon and change only near the
//    end. What would they look like with $Q_f = 0$, and why does a finite horizon need time-varying
//    gains at all?
// 2. In the forward pass you wrote, the feedback term uses $x_t - \hat x_t$, the deviation from the
//    *old* trajectory. Why not simply roll out the new open-loop actions $\hat u_t + \alpha k_t$? Which of
//    the two is the rollout that the LQR step actually optimised?
// 3. A step with $\alpha = 1$ can raise the true cost even though LQR promised a decrease. Where does the
//    promise come from, and what makes it wrong on the arm? What does iLQR do when *no* $\alpha$ helps?
// 4. You must collect data with the arm for a local model (notebook 11). Which controller of the
//    disturbed-arm plot would you run, and why not the one that reached the target most reliably?
// 5. In section 4 the learned model promised a distance that the real arm did not achieve. Is that a
//    failure of iLQR or of the model? What in the loop reduces the gap from round to round?
//
// ## Try it
//
// * **Open loop vs feedback.** In the cell that defines `DISTURBANCE` (section 3), set it to `0` and
//   then to `0.2`. With no disturbance, do the three controllers still differ? How fast does the
//   open-loop curve leave the others as the disturbance grows?
// * **Line search at work.** In the cell that runs `ilqr(armTrue, reachCost, ...)` (section 2), pass
//   `{ maxIter: 60, alphas: [1] }` (no backtracking) and then `{ maxIter: 60, alphas: [0.1] }` (always
//   a small step). Compare the number of iterations, the final cost and the `reason` printed.
// * **The temperature of the noise.** In the cell that builds `lgc` (section 3), change the last
//   argument of `maxEntropyController` from `1e-3` to `1e-2` and `1e-4`, and rerun it and the
//   disturbed-arm cell: how wide do the ten noisy runs spread, and how far from the target does the
//   v2.0 controller end?
