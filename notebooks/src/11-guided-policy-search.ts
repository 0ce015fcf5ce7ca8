// %% [markdown]
// # 11 · Local models and guided policy search
//
// Notebook 10 planned through a *global* model of the arm: one network that must be right everywhere
// the planner might go. Lecture 004 (Berkeley CS 294-112, seed `004_…`, slide "The trouble with global
// models") points out that the planner seeks out exactly the places where
// such a model is wrong, and that for many tasks the dynamics are far more complex than the policy
// we need. The alternative in this notebook:
//
// 1. run a **linear-Gaussian controller** a few times (5 rollouts);
// 2. fit **local** time-varying linear dynamics $p(x_{t+1} \mid x_t, u_t) = \mathcal{N}(A_t x_t + B_t u_t + c_t, N_t)$
//    around those rollouts only (linear regression; better: Bayesian regression with a prior from a
//    GMM over all the data seen so far);
// 3. improve the controller with LQR on the local model, but **stay close to the old controller**,
//    since the local model is only valid near the old rollouts: a KL-divergence trust region on the
//    trajectory distribution, enforced by dual gradient descent;
// 4. repeat. Finally, **guided policy search** trains one neural-network policy on the local
//    controllers' data, so a single policy works from many start states.
//
// The arm's equations are never used by the algorithm: it only runs the arm and records what happened.
// (Object literals below spell out `T: T` instead of the shorthand `{ T }`: the kernel needs that for
// names defined in an earlier cell.)

// %%
import { initBackend, makeRng } from "mbrl/core";
import { display, lineChart, combine, scatterChart, animate } from "mbrl/viz";
import { check, checkClose } from "mbrl/exercise";
import { mat, toArray } from "mbrl/linalg";
import {
  armReachCost,
  armDistance,
  armStartCorners,
  armStartsInSquare,
  dynamicsFromEnv,
  initialController,
  linearGaussianController,
  linearizeTrajectory,
} from "mbrl/control";
import { TwoLinkArm } from "mbrl/envs";
import {
  fitLocalDynamicsRidge,
  fitLocalDynamicsPrior,
  fitDynamicsGmm,
  linearRegressionStep,
  type Trajectory,
} from "mbrl/models/localLinear";
import {
  sampleRollout,
  quadratizeCost,
  forwardMarginals,
  trajectoryKl,
  klConstrainedUpdate,
  guidedPolicySearch,
  runControllerMean,
  runPolicy,
} from "mbrl/gps";

await initBackend();
const arm = new TwoLinkArm();
const armSystem = dynamicsFromEnv(arm); // used ONLY to run rollouts
const target = arm.target;
const cost = armReachCost({ target });
const x0 = arm.reset(0);
const T = 60;

// %% [markdown]
// ## 1. Local linear models from five rollouts
//
// *Follows lecture 004, slides "Local models", "How to fit the dynamics?" (linear regression per time
// step) and "Can we do better?" (Bayesian linear regression with a global GMM prior).*
//
// Start with the simplest controller, zero torque plus Gaussian noise of standard deviation 1 N m,
// and run it five times from the same start. At each time step $t$ we have five tuples
// $(x_t, u_t, x_{t+1})$ and fit $x_{t+1} \approx A_t x_t + B_t u_t + c_t$ by least squares.
//
// Five samples and $4 + 2 + 1 = 7$ unknowns per output: the regression is *underdetermined*. A small
// ridge keeps it solvable but cannot invent the missing directions. Version 2.0 of the lecture
// fixes this with a **prior**: fit a Gaussian mixture model on all $(x, u, x')$ tuples (of all time
// steps, and of earlier iterations), and use the mixture components that explain step $t$'s samples
// as a normal-inverse-Wishart prior on the joint Gaussian of $(x_t, u_t, x_{t+1})$. Conditioning that
// Gaussian on $(x_t, u_t)$ gives $A_t, B_t, c_t, N_t$.
//
// We compare both fits with the truth: the Jacobians of the simulator along the mean trajectory (we
// compute them here only to grade the fits; the algorithm never sees them).

// %%
const rng = makeRng(1);
const ctrl0 = initialController(T, 4, 2, [0, 0], 1);
const samples: Trajectory[] = Array.from({ length: 5 }, () => sampleRollout(armSystem, ctrl0, x0, rng));
const older: Trajectory[] = Array.from({ length: 10 }, () => sampleRollout(armSystem, ctrl0, x0, rng)); // "earlier iterations"

const ridgeFit = fitLocalDynamicsRidge(samples, { ridge: 1e-4 });
const gmm = fitDynamicsGmm([...older, ...samples], makeRng(2));
const priorFit = fitLocalDynamicsPrior(samples, gmm);

const meanXs = Array.from({ length: T + 1 }, (_, t) => samples[0].xs[t].map((_, i) => samples.reduce((a, s) => a + s.xs[t][i], 0) / 5));
const meanUs = Array.from({ length: T }, (_, t) => samples[0].us[t].map((_, i) => samples.reduce((a, s) => a + s.us[t][i], 0) / 5));
const truth = linearizeTrajectory(armSystem, meanXs, meanUs);

// Entry (3, 1) of A_t: how the elbow's velocity responds to the elbow's angle; entry (2, 0) of B_t:
// the shoulder velocity's response to the shoulder torque.
const ts = Array.from({ length: T }, (_, t) => t);
await display(
  combine([
    lineChart(
      [
        { name: "true", x: ts, y: truth.A.map((A) => A.data[3 * 4 + 1]), dashed: true },
        { name: "ridge regression", x: ts, y: ridgeFit.F.map((F) => F.data[3 * 6 + 1]) },
        { name: "GMM prior", x: ts, y: priorFit.F.map((F) => F.data[3 * 6 + 1]) },
      ],
      { title: "A_t[3, 1]: d qdot2' / d q2", xTitle: "t", width: 200 },
    ),
    lineChart(
      [
        { name: "true", x: ts, y: truth.B.map((B) => B.data[2 * 2 + 0]), dashed: true },
        { name: "ridge regression", x: ts, y: ridgeFit.F.map((F) => F.data[2 * 6 + 4]) },
        { name: "GMM prior", x: ts, y: priorFit.F.map((F) => F.data[2 * 6 + 4]) },
      ],
      { title: "B_t[2, 0]: d qdot1' / d tau1", xTitle: "t", width: 200 },
    ),
  ]),
);

// Prediction error on fresh rollouts of the same controller.
const fresh = Array.from({ length: 20 }, () => sampleRollout(armSystem, ctrl0, x0, rng));
function predictionError(fit: typeof ridgeFit): number {
  let e = 0,
    count = 0;
  for (const s of fresh) {
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < 4; i++) {
        let p = fit.f[t][i];
        for (let j = 0; j < 4; j++) p += fit.F[t].data[i * 6 + j] * s.xs[t][j];
        for (let j = 0; j < 2; j++) p += fit.F[t].data[i * 6 + 4 + j] * s.us[t][j];
        e += (p - s.xs[t + 1][i]) ** 2;
        count++;
      }
    }
  }
  return Math.sqrt(e / count);
}
console.log(
  `one-step RMS error on fresh rollouts: ridge ${predictionError(ridgeFit).toExponential(2)}, with GMM prior ${predictionError(priorFit).toExponential(2)}`,
);

// %% [markdown]
// ## Exercise: the linear-regression dynamics fit
//
// Write `fitLinearDynamics(X, U, Xnext, ridge)`: given $N$ tuples of one time step (rows of `X`, `U`,
// `Xnext`), return `{ A, B, c }` minimising
//
// $$\sum_i \lVert A x_i + B u_i + c - x'_i \rVert^2 + \text{ridge} \,(\lVert A \rVert_F^2 + \lVert B \rVert_F^2).$$
//
// Stack $z_i = [x_i; u_i; 1]$ as rows of $Z$ and the targets as rows of $Y$; the weights
// $W = (Z^\top Z + \text{ridge}\, I')^{-1} Z^\top Y$, where $I'$ is the identity with a **zero** in the
// constant's corner (we do not shrink the offset). Then $A$, $B$ and $c$ are the transposed blocks of $W$.

// %% exercise id=linear-regression-fit points=3
function fitLinearDynamics(X: number[][], U: number[][], Xnext: number[][], ridge: number): { A: number[][]; B: number[][]; c: number[] } {
  // BEGIN SOLUTION
  throw new Error("not implemented yet: linear-regression-fit");
  // END SOLUTION
}

// %% check id=linear-regression-fit
{
  const exact = fitLinearDynamics([[0], [1], [2]], [[0], [0], [1]], [[1], [3], [6]], 0);
  checkClose("exact 1-D fit x' = 2x + u + 1", [exact.A[0][0], exact.B[0][0], exact.c[0]], [2, 1, 1], 1e-8);
  const t = 10;
  const X = samples.map((s) => Array.from(s.xs[t])),
    U = samples.map((s) => Array.from(s.us[t])),
    Y = samples.map((s) => Array.from(s.xs[t + 1]));
  const mine = fitLinearDynamics(X, U, Y, 1e-3);
  const lib = linearRegressionStep(X, U, Y, 1e-3, 0);
  const libF = toArray(lib.F);
  checkClose(
    "A matches the library on the arm samples",
    mine.A,
    libF.map((r) => r.slice(0, 4)),
    1e-6,
  );
  checkClose(
    "B matches the library",
    mine.B,
    libF.map((r) => r.slice(4)),
    1e-6,
  );
  checkClose("c matches the library", mine.c, Array.from(lib.f), 1e-6);
}

// %% [markdown]
// ## 2. Staying close: the KL between trajectory distributions
//
// *Follows lecture 004, slides "What if we go too far?", "How to stay close to old controller?" and
// "KL-divergences between trajectories".*
//
// With a controller $p(u_t \mid x_t)$ and the fitted dynamics, a whole trajectory has the distribution
// $p(\tau) = p(x_0) \prod_t p(u_t \mid x_t)\, p(x_{t+1} \mid x_t, u_t)$. The new and the old controller
// share $p(x_0)$ and the dynamics, so those factors cancel in the KL divergence:
//
// $$D_{\mathrm{KL}}(p(\tau) \,\|\, \bar p(\tau)) = \sum_t E_{p(x_t)}\big[ D_{\mathrm{KL}}(p(u_t \mid x_t) \,\|\, \bar p(u_t \mid x_t)) \big],$$
//
// and with linear-Gaussian everything the state marginals $p(x_t) = \mathcal N(\mu_t, S_t)$ are Gaussians
// we can propagate exactly (lecture 004, slide "KL-divergences between trajectories"). Write the two
// controllers at step $t$ as $p(u \mid x) = \mathcal N(K_t x + k_t, \Sigma_t)$ and
// $\bar p(u \mid x) = \mathcal N(\bar K_t x + \bar k_t, \bar\Sigma_t)$. For a fixed $x$ the KL of two
// Gaussians is $\tfrac12[\operatorname{tr}(\bar\Sigma^{-1}\Sigma) - m + \log|\bar\Sigma| - \log|\Sigma| + \delta^\top \bar\Sigma^{-1} \delta]$
// with the mean difference $\delta = \Delta K\, x + \Delta k$ ($\Delta K = K_t - \bar K_t$, $\Delta k = k_t - \bar k_t$).
// Only $\delta$ depends on $x$, and its expectation under $x \sim \mathcal N(\mu_t, S_t)$ adds a trace term:
//
// $$D_t = \tfrac12\Big[\operatorname{tr}(\bar\Sigma_t^{-1}\Sigma_t) - m + \log\frac{|\bar\Sigma_t|}{|\Sigma_t|}
//   + (\Delta K \mu_t + \Delta k)^\top \bar\Sigma_t^{-1} (\Delta K \mu_t + \Delta k)
//   + \operatorname{tr}\big(\bar\Sigma_t^{-1} \Delta K\, S_t\, \Delta K^\top\big)\Big],
//   \qquad D_{\mathrm{KL}}(p(\tau) \,\|\, \bar p(\tau)) = \sum_t D_t .$$
//
// ### Exercise: the KL between two linear-Gaussian trajectory distributions (3 points)
//
// Write `trajectoryKlLG(p, pBar, xMean, xCov)`. A controller is `{ K, k, Sigma }` with `K[t]`
// ($m \times n$, rows), `k[t]` (length $m$) and `Sigma[t]` ($m \times m$); `xMean[t]` and `xCov[t]` are
// $\mu_t$ and $S_t$, the state marginals under the **new** controller $p$. Return
// `{ total, perStep }` with `perStep[t]` $= D_t$. You need the inverse and the log-determinant of
// $m \times m$ covariance matrices: a small Cholesky factorisation gives both.

// %% exercise id=trajectory-kl points=3
interface LgController {
  K: number[][][];
  k: number[][];
  Sigma: number[][][];
}

function trajectoryKlLG(p: LgController, pBar: LgController, xMean: number[][], xCov: number[][][]): { total: number; perStep: number[] } {
  // BEGIN SOLUTION
  throw new Error("not implemented yet: trajectory-kl");
  // END SOLUTION
}

// %% check id=trajectory-kl
{
  const one = (K: number, k: number, S: number): LgController => ({ K: [[[K]]], k: [[k]], Sigma: [[[S]]] });
  // u = x vs u = 0 (same noise) with x ~ N(0, 4): the means differ by x, so D = 1/2 E[x^2] = 2.
  checkClose(
    "gains that differ cost KL in proportion to the state's spread (x ~ N(0, 4): KL 2)",
    trajectoryKlLG(one(1, 0, 1), one(0, 0, 1), [[0]], [[[4]]]).total,
    2,
    1e-9,
  );
  checkClose(
    "direction KL(p || p-bar): noise 1 against noise 4 gives 1/2 (1/4 - 1 + log 4)",
    trajectoryKlLG(one(0, 0, 1), one(0, 0, 4), [[0]], [[[1]]]).total,
    0.5 * (0.25 - 1 + Math.log(4)),
    1e-9,
  );
  // Against the library: the initial controller and a perturbed one, with marginals under the local model.
  const rows = (M: { rows: number; cols: number; data: Float64Array }) => toArray(M);
  const asPlain = (c: typeof ctrl0): LgController => ({ K: c.K.map(rows), k: c.k.map((v) => Array.from(v)), Sigma: c.cov.map(rows) });
  const tweak = makeRng(5);
  const pNew = linearGaussianController(
    ctrl0.K.map((K) =>
      mat(
        2,
        4,
        Array.from(K.data, (v) => v + 0.05 * tweak.normal()),
      ),
    ),
    ctrl0.k.map((k) => Array.from(k, (v) => v + 0.3 * tweak.normal())),
    ctrl0.cov.map((S) => mat(2, 2, [0.6 * S.data[0], 0.1, 0.1, 1.4 * S.data[3]])),
  );
  const x0Cov = mat(
    4,
    4,
    Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? 1e-3 : 0)),
  );
  const marg = forwardMarginals(priorFit, pNew, x0, x0Cov);
  const lib = trajectoryKl(pNew, ctrl0, marg);
  const mine = trajectoryKlLG(
    asPlain(pNew),
    asPlain(ctrl0),
    marg.xMean.map((v) => Array.from(v)),
    marg.xCov.map(rows),
  );
  checkClose("per-step KL matches the library's trajectoryKl on the arm's local model", mine.perStep, lib.perStep, 1e-7);
  checkClose("the total is the sum over steps", mine.total, lib.total, 1e-7);
}

// %% [markdown]
// ## 3. The trust region, solved by dual gradient descent
//
// *Follows lecture 004, slides "Digression: dual gradient descent" and "DGD with iterative LQR" (the
// surrogate cost $\tilde c = c/\lambda - \log \bar p$; we write $\eta$ for the lecture's $\lambda$).*
//
// The constrained problem $\min_p E_p[\sum_t c] \text{ s.t. } D_{\mathrm{KL}}(p \| \bar p) \le \epsilon$ has the
// Lagrangian $E_p[\sum_t c] + \eta (D_{\mathrm{KL}} - \epsilon)$. For a fixed $\eta$ its minimiser is the
// maximum-entropy LQR solution for the **surrogate cost** $\tilde c = c / \eta - \log \bar p(u_t \mid x_t)$
// (with $\Sigma_t = \tilde Q_{uu}^{-1}$). **Dual gradient descent** then adjusts $\eta$: the derivative of
// the dual function is $D_{\mathrm{KL}} - \epsilon$, so a KL above the bound raises $\eta$ (more weight on
// staying close) and a KL below it lowers $\eta$. Because $\eta$ ranges over orders of magnitude the
// library's `dualStep` steps in $\log \eta$, normalised by $\epsilon$ and clipped:
//
// $$\log \eta \leftarrow \log \eta + s\, \frac{D_{\mathrm{KL}} - \epsilon}{\epsilon}, \qquad \eta \leftarrow \min(\eta_{\max}, \max(\eta_{\min}, \eta)),$$
//
// with step size $s$ (1 by default) and the exponent itself clipped to $\pm 20$ so one bad KL cannot overflow.

// %% [markdown]
// One C-step on the local model fitted above, with bound $\epsilon = 30$ nats over the 60 steps. The
// library's `klConstrainedUpdate` uses the same update and additionally keeps $\eta$ inside the bracket
// that earlier iterations have established (the dual is concave, so the sign of $D_{\mathrm{KL}} - \epsilon$
// says on which side of the optimum $\eta$ lies).

// %%
{
  const mean = { xs: meanXs.map((x) => Float64Array.from(x)), us: meanUs.map((u) => Float64Array.from(u)) };
  const quad = quadratizeCost(cost, mean.xs, mean.us);
  const x0Cov = { rows: 4, cols: 4, data: new Float64Array(16).map((_, i) => (i % 5 === 0 ? 1e-6 : 0)) };
  const step = klConstrainedUpdate(priorFit, quad, ctrl0, mean.xs[0], x0Cov, 30);
  console.log(`status ${step.status}: eta = ${step.eta.toExponential(3)}, KL = ${step.kl.toFixed(2)} (bound 30)`);
  const exactKl = trajectoryKl(step.controller, ctrl0, forwardMarginals(priorFit, step.controller, mean.xs[0], x0Cov)).total;
  console.log(`KL recomputed from the returned controller: ${exactKl.toFixed(2)}`);
  await display(
    combine([
      lineChart(
        [
          { name: "KL", x: step.history.map((_, i) => i), y: step.history.map((h) => h.kl), points: true },
          { name: "bound", x: [0, step.history.length - 1], y: [30, 30], dashed: true },
        ],
        {
          title: "Dual iterations: KL",
          xTitle: "dual iteration",
          integerX: true,
          logY: true,
          width: 280,
        },
      ),
      lineChart([{ name: "eta", x: step.history.map((_, i) => i), y: step.history.map((h) => h.eta), points: true }], {
        title: "Dual iterations: eta",
        xTitle: "dual iteration",
        integerX: true,
        logY: true,
        width: 280,
      }),
    ]),
  );
}

// %% [markdown]
// ## 4. Trajectory optimisation with local models
//
// *Follows lecture 004, slides "Trust regions & trajectory distributions" and "Example: local models &
// iterative LQR".*
//
// Now the whole loop: sample 5 rollouts, refit the GMM prior and the local dynamics, quadratise the
// cost around the sample mean, take a KL-constrained step. The bound itself adapts: after each
// iteration we compare the improvement the old local model *predicted* with the improvement the new
// samples *show*. If they agree, the model can be trusted further and $\epsilon$ grows (up to 10x);
// if the real improvement falls short, $\epsilon$ shrinks.

// %%
const trajRuns: { cost: number; kl: number; eps: number; dist: number }[] = [];
guidedPolicySearch(armSystem, cost, { T: T, conditions: [x0], samplesPerCondition: 5, iterations: 8, klStep: 0.5, seed: 1 }, (info, st) => {
  const dist = armDistance(runControllerMean(armSystem, st.controllers[0], x0).xs[T], target);
  trajRuns.push({ cost: info.sampleCost[0], kl: info.kl[0], eps: info.epsilon[0], dist });
  console.log(
    `iteration ${info.iteration + 1}: sample cost ${info.sampleCost[0].toFixed(3)}, KL ${info.kl[0].toFixed(1)} / bound ${info.epsilon[0].toFixed(1)}, ` +
      `controller mean ends ${(dist * 100).toFixed(2)} cm from the target`,
  );
});
const its = trajRuns.map((_, i) => i + 1);
await display(
  combine([
    lineChart([{ name: "mean sample cost", x: its, y: trajRuns.map((r) => r.cost), points: true }], {
      title: "Cost per iteration (5 rollouts each)",
      xTitle: "iteration",
      integerX: true,
      yTitle: "cost (log scale)",
      logY: true,
      width: 220,
    }),
    lineChart(
      [
        { name: "KL of the step", x: its, y: trajRuns.map((r) => r.kl), points: true },
        { name: "bound epsilon", x: its, y: trajRuns.map((r) => r.eps), dashed: true },
      ],
      { title: "KL vs its bound", xTitle: "iteration", yTitle: "KL (log scale)", logY: true, width: 220, integerX: true },
    ),
  ]),
);

// %% [markdown]
// ## 5. Guided policy search: one policy for many starts
//
// *Follows lecture 004, slide "Example: local models & iterative LQR" (Levine et al., "Learning
// Contact-Rich Manipulation Skills with Guided Policy Search"); the mirror-descent form is from Montgomery
// and Levine (2016).*
//
// A linear-Gaussian controller is tied to its start state. Guided policy search trains a **global**
// neural-network policy $\pi_\theta(u \mid x)$ from several local controllers, one per start state
// ("condition"), and keeps each local controller close to the policy (mirror-descent GPS):
//
// - **C-step**: each controller $p_i$ takes a KL-constrained step, but the KL is measured against the
//   policy's linearisation around $p_i$'s samples, so the controllers cannot wander where the policy
//   cannot follow;
// - **S-step**: the policy is trained by plain supervised regression on the controllers' mean actions
//   at all sampled states.
//
// Here the KL is measured against the policy, not against the controller's own last samples, so the
// step multiplier is capped lower (3x instead of 10x): a large bound would let a controller leave the
// region where its local model was fitted.
//
// Four start states at the corners of a square in joint space; afterwards the policy runs, without
// any local controller, from start states it has never seen.

// %%
const q0 = arm.startQ;
const spread = 0.3;
const conditions = armStartCorners(q0, spread);
const gpsCosts: number[] = [];
const gps = guidedPolicySearch(
  armSystem,
  cost,
  {
    T: T,
    conditions: conditions,
    samplesPerCondition: 5,
    iterations: 4,
    klStep: 0.5,
    seed: 2,
    policy: { hiddenSizes: [64, 64], epochs: 25 },
  },
  (info) => {
    gpsCosts.push(info.sampleCost.reduce((a, b) => a + b, 0) / conditions.length);
    console.log(
      `GPS iteration ${info.iteration + 1}: mean sample cost ${gpsCosts[gpsCosts.length - 1].toFixed(3)} (${info.seconds.toFixed(0)} s)`,
    );
  },
);
const policy = gps.policy!;
const newStarts = armStartsInSquare(q0, spread, 6, makeRng(99));
const policyRuns = newStarts.map((s) => runPolicy(armSystem, policy, s, T));
const finalDistances = policyRuns.map((r) => armDistance(r.xs[T], target));
console.log(`global policy from 6 new starts: final distances ${finalDistances.map((d) => (d * 100).toFixed(2)).join(", ")} cm`);
check("the policy reaches the target (within 3 cm) from most new starts", finalDistances.filter((d) => d < 0.03).length >= 4);
await display(
  lineChart(
    policyRuns.map((r, i) => ({ name: `new start ${i + 1}`, x: r.xs.map((_, t) => t), y: r.xs.map((x) => armDistance(x, target) * 100) })),
    { title: "Global policy from new start states", xTitle: "step", yTitle: "distance to target (cm)" },
  ),
);
animate(
  policyRuns[0].xs.map((x) => arm.render(Array.from(x))),
  { fps: 25, title: "The global policy from a start it never trained on" },
);
policy.net.dispose();

// %% [markdown]
// **Takeaways.**
//
// - Local linear models need only a handful of rollouts, especially with a prior from a global GMM.
// - A local model is only trustworthy near the data it came from; the KL bound between trajectory
//   distributions keeps each update there, and dual gradient descent finds the Lagrange multiplier
//   $\eta$ that makes the bound tight. The bound adapts to how well the model predicted the last step.
// - The linear-Gaussian controllers act as teachers: guided policy search distils them into one
//   neural-network policy that generalises to new start states.
//
// ## Check your understanding
//
// 1. With 5 rollouts and 7 unknowns per output row, plain regression is underdetermined at every time
//    step. Why does a prior from a GMM fitted on *all* time steps and earlier iterations fix this, and
//    when could that prior mislead the fit?
// 2. The KL in the trust region is $D_{\mathrm{KL}}(p \,\|\, \bar p)$ with the state marginals of the *new*
//    controller $p$. What does the term $\operatorname{tr}(\bar\Sigma^{-1}\Delta K S_t \Delta K^\top)$ add, and why
//    would a bound on the KL at the mean state alone be too weak?
// 3. Dual gradient descent raises $\eta$ when the KL exceeds $\epsilon$. What happens to the surrogate
//    cost $c/\eta - \log \bar p$ and to the new controller as $\eta \to \infty$, and as $\eta \to 0$?
// 4. Why does the step bound $\epsilon$ adapt to how well the last local model predicted the real
//    improvement? What would a fixed, large $\epsilon$ do in the first iterations?
// 5. Guided policy search trains the network by supervised regression on the controllers' actions.
//    Why not train the network by iLQR directly, or by model-free RL from the start?
//
// ## Try it
//
// * **Step bound 3 vs 300.** In the cell of section 3 that calls `klConstrainedUpdate(priorFit, quad, ctrl0, ..., 30)`,
//   replace the bound `30` by `3` and by `300`. Compare the status, the final $\eta$ and the number of
//   dual iterations in the two plots. Which bound leaves the new controller far from `ctrl0`?
// * **Fewer samples, with and without the prior.** In the first cell of section 1, make
//   `samples` 3 rollouts instead of 5 (`{ length: 3 }`, and the two `/ 5` in `meanXs` and `meanUs`
//   become `/ 3`) and rerun the cell and the comparison plot:
//   how do the ridge and the Bayesian fits of $A_t[3, 1]$ and $B_t[2, 0]$ change?
// * **A bolder trust region.** In the cell of section 4 that runs `guidedPolicySearch(... klStep: 0.5 ...)`,
//   try `klStep: 0.05` and `klStep: 5`. Does the cost fall faster, and does the KL stay near its bound?
