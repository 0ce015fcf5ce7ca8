/**
 * The ensemble network's configuration: its type, with each default in one table beside it, and the
 * check that turns a user's config into the complete one.
 */
import { ValueError, checkInt } from "../core/checks";
import { ACTIVATIONS, type Activation } from "./ops";

export type Head = "deterministic" | "gaussian";
export type LossKind = "mse" | "nll";

export interface EnsembleConfig {
  inputSize: number;
  /** Outputs per member; for a Gaussian head, the size of the mean (and of the log-variance). */
  outputSize: number;
  /** Widths of the hidden layers, e.g. [200, 200, 200]. May be empty (a linear model). */
  hiddenSizes: readonly number[];
  /** Ensemble size B (1 = a single network). */
  members?: number;
  /** Hidden activation. */
  activation?: Activation;
  /** "deterministic": raw outputs. "gaussian": a mean and a soft-bounded log-variance. */
  head?: Head;
  /** Initial soft bounds of the log-variance (Gaussian head), as PETS sets them. */
  minLogVar?: number;
  maxLogVar?: number;
  /** Learn the bounds (with a penalty on their gap). */
  learnLogVarBounds?: boolean;
  /** Weight of the penalty boundPenalty * (sum maxLogVar - sum minLogVar). */
  boundPenalty?: number;
  /** Adam learning rate. */
  learningRate?: number;
  /** L2 on the weights (not biases), PyTorch-Adam style: weightDecay * W is added to the gradient. */
  weightDecay?: number;
  /** Seed of the initial weights. */
  seed: number;
}

/** The defaults of every optional field of EnsembleConfig. */
export const ENSEMBLE_DEFAULTS = {
  members: 1,
  activation: "silu",
  head: "deterministic",
  minLogVar: -10,
  maxLogVar: 0.5,
  learnLogVarBounds: true,
  boundPenalty: 0.01,
  learningRate: 1e-3,
  weightDecay: 0,
} as const satisfies Omit<Required<EnsembleConfig>, "inputSize" | "outputSize" | "hiddenSizes" | "seed">;

/** The complete config (defaults filled in), after checking sizes, activation, head and bounds. */
export function resolveConfig(cfg: EnsembleConfig): Required<EnsembleConfig> {
  const members = checkInt("EnsembleMLP members", cfg.members ?? ENSEMBLE_DEFAULTS.members);
  checkInt("EnsembleMLP inputSize", cfg.inputSize);
  checkInt("EnsembleMLP outputSize", cfg.outputSize);
  for (const h of cfg.hiddenSizes) checkInt("EnsembleMLP hiddenSizes entry", h);
  const activation = cfg.activation ?? ENSEMBLE_DEFAULTS.activation;
  if (!ACTIVATIONS.includes(activation)) {
    throw new ValueError(`EnsembleMLP: unknown activation "${activation}" (use one of ${ACTIVATIONS.join(", ")})`);
  }
  const head = cfg.head ?? ENSEMBLE_DEFAULTS.head;
  if (head !== "deterministic" && head !== "gaussian") throw new ValueError(`EnsembleMLP: unknown head "${head}"`);
  const out: Required<EnsembleConfig> = {
    inputSize: cfg.inputSize,
    outputSize: cfg.outputSize,
    hiddenSizes: cfg.hiddenSizes.slice(),
    members,
    activation,
    head,
    minLogVar: cfg.minLogVar ?? ENSEMBLE_DEFAULTS.minLogVar,
    maxLogVar: cfg.maxLogVar ?? ENSEMBLE_DEFAULTS.maxLogVar,
    learnLogVarBounds: cfg.learnLogVarBounds ?? ENSEMBLE_DEFAULTS.learnLogVarBounds,
    boundPenalty: cfg.boundPenalty ?? ENSEMBLE_DEFAULTS.boundPenalty,
    learningRate: cfg.learningRate ?? ENSEMBLE_DEFAULTS.learningRate,
    weightDecay: cfg.weightDecay ?? ENSEMBLE_DEFAULTS.weightDecay,
    seed: cfg.seed,
  };
  if (!(out.minLogVar < out.maxLogVar)) {
    throw new ValueError(`EnsembleMLP: minLogVar ${out.minLogVar} must be below maxLogVar ${out.maxLogVar}`);
  }
  return out;
}
