import { defineExercise } from "../../../../lib/grader/spec";

/** Hidden test of notebook 11's dual variable update: log eta += stepSize (KL - eps) / eps, clipped. */
export default defineExercise({
  notebook: "11-guided-policy-search",
  id: "dual-update",
  entry: "dualUpdate",
  cases: (rng) => [
    { args: [1, 1, 1, 1, 1e-6, 1e16], label: "KL on the bound: eta unchanged" },
    { args: [1, 2, 1, 1, 1e-6, 1e16], label: "KL twice the bound: eta grows by e" },
    { args: [3, 0.5, 1, 1, 1e-6, 1e16], label: "KL half the bound: eta shrinks" },
    { args: [1, 30, 2, 1, 1e-3, 100], label: "clipped at etaMax" },
    { args: [0.01, 0, 5, 2, 0.005, 100], label: "clipped at etaMin" },
    ...Array.from({ length: 8 }, (_, k) => ({
      args: [Math.exp(rng.normal(0, 3)), Math.abs(rng.normal(10, 6)), 5 + 5 * k, rng.uniform(0.2, 1.5), 1e-8, 1e12],
      label: `random step ${k + 1}`,
    })),
  ],
  compare: { rtol: 1e-9, atol: 1e-12 },
  mutants: [
    { name: "wrong direction", body: "return Math.min(etaMax, Math.max(etaMin, eta * Math.exp((stepSize * (epsilon - kl)) / epsilon)));" },
    { name: "additive step instead of log space", body: "return Math.min(etaMax, Math.max(etaMin, eta + stepSize * (kl - epsilon)));" },
    { name: "no clipping", body: "return eta * Math.exp((stepSize * (kl - epsilon)) / epsilon);" },
    { name: "forgets to normalise by epsilon", body: "return Math.min(etaMax, Math.max(etaMin, eta * Math.exp(stepSize * (kl - epsilon))));" },
  ],
});
