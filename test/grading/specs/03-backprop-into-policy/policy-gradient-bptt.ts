import { defineExercise } from "../../../../lib/grader/spec";

/**
 * Hidden test of notebook 03: dJ/dtheta by backpropagation through time (forward rollout, then the
 * adjoint lambda_t = dJ/ds_t pushed back through the closed-loop Jacobian df/ds + df/da dpi/ds).
 */
const FORWARD =
  "const grad = [0, 0, 0];\nfor (const s0 of starts) {\n  const states = [s0.slice()]; const actions: number[] = [];\n" +
  "  for (let t = 0; t < H; t++) { actions.push(policyAction(theta, states[t])); states.push(modelStep(states[t], actions[t], damping)); }\n" +
  "  let lambda = [0, 0];\n  for (let t = H - 1; t >= 0; t--) {\n" +
  "    const { fs, fa } = modelJacobian(states[t], actions[t], damping); const pj = policyJacobian(theta, states[t]); const rg = rewardGradient(states[t], actions[t]);\n";
const END = "  }\n}\nreturn grad.map((g) => g / starts.length);";

export default defineExercise({
  notebook: "03-backprop-into-policy",
  id: "policy-gradient-bptt",
  entry: "bpttGradient",
  cases: (rng) => [
    { args: [[-1.5, -0.4, 0.2], [[0.4, 0.2]], 2, 1, 0], label: "two steps under a policy that reacts to the state (closed loop)" },
    { args: [[-1.5, -0.4, 0.2], [[0.4, 0.2]], 1, 1, 0], label: "one step: the reward's own gradient" },
    { args: [[0.5, 0.05, 0], [[0.3, 0]], 8, 1, 0], label: "a later reward depends on theta through the model" },
    { args: [[-1.5, -0.4, 0.2], [[0.4, 0.2]], 6, 0.5, 0], label: "discounted" },
    { args: [[-0.5, -0.1, 0], [[2.5, 0]], 15, 0.95, 0.2], label: "damped model" },
    {
      args: [
        [-1.5, -0.4, 0.2],
        [
          [0.4, 0.2],
          [2, -1],
        ],
        20,
        0.95,
        0,
      ],
      label: "two starts: the mean",
    },
    ...Array.from({ length: 5 }, (_, k) => ({
      args: [
        [rng.normal(0, 1), rng.normal(0, 0.3), rng.normal(0, 0.3)],
        Array.from({ length: 1 + (k % 3) }, () => [rng.uniform(-Math.PI, Math.PI), rng.uniform(-1, 1)]),
        3 + 4 * k,
        [1, 0.95, 0.9][k % 3],
        [0, 0.1][k % 2],
      ],
      label: `random policy and starts ${k + 1}`,
    })),
  ],
  compare: { rtol: 1e-7, atol: 1e-9 },
  mutants: [
    {
      name: "open-loop adjoint: lambda goes back through df/ds only, forgetting that s_t also moves a_t = pi(s_t)",
      body:
        FORWARD +
        "    const disc = Math.pow(gamma, t); const gA = disc * rg.da + lambda[0] * fa[0] + lambda[1] * fa[1];\n" +
        "    for (let k = 0; k < 3; k++) grad[k] += gA * pj.dtheta[k];\n" +
        "    lambda = [0, 1].map((j) => disc * rg.ds[j] + lambda[0] * fs[0][j] + lambda[1] * fs[1][j]);\n" +
        END,
    },
    {
      name: "no backpropagation through time: each action only gets credit for its own step's reward",
      body:
        FORWARD +
        "    const disc = Math.pow(gamma, t); const gA = disc * rg.da;\n" +
        "    for (let k = 0; k < 3; k++) grad[k] += gA * pj.dtheta[k];\n" +
        END,
    },
    {
      name: "discount dropped in the backward pass",
      body:
        FORWARD +
        "    const gA = rg.da + lambda[0] * fa[0] + lambda[1] * fa[1];\n" +
        "    for (let k = 0; k < 3; k++) grad[k] += gA * pj.dtheta[k];\n" +
        "    lambda = [0, 1].map((j) => rg.ds[j] + lambda[0] * fs[0][j] + lambda[1] * fs[1][j] + gA * pj.ds[j]);\n" +
        END,
    },
  ],
});
