/**
 * The true dynamics of a simulated system behind the model interface: an "oracle" model. Planners and
 * algorithms run unchanged on it, so any gap between planning with the oracle and planning with a
 * learned model is the learned model's fault (and any failure with the oracle is the planner's).
 *
 * It works on the system's RAW state (`env.stateSpace`, e.g. the pendulum's [theta, thetadot]), the
 * same state the course's model-based algorithms store in their datasets.
 */
import { type Rng, tf, ValueError } from "../core";
import { type Mat, type VecLike, mat } from "../linalg/mat";
import type { ContinuousEnv } from "../envs/types";
import { type DifferentiableModel, type DynamicsModel, type FitReport, type RewardFunction, checkBatch } from "./types";

/** The environment's own dynamics as a DynamicsModel (differentiable when the env has `dynamicsTf`). */
export class OracleModel implements DynamicsModel {
  readonly name = "oracle";
  readonly stateDim: number;
  readonly actionDim: number;

  constructor(readonly env: ContinuousEnv) {
    this.stateDim = env.stateSpace.dim;
    this.actionDim = env.actionSpace.dim;
  }

  /** Nothing to learn: returns an empty report. */
  async fit(): Promise<FitReport> {
    return { trainLoss: [], validLoss: [], epochs: 0, seconds: 0 };
  }

  predict(s: VecLike, a: VecLike): Float64Array {
    return Float64Array.from(this.env.nextState(Array.from(s), Array.from(a)));
  }

  predictBatch(S: Mat, A: Mat, _rng?: Rng): Mat {
    const n = checkBatch("OracleModel.predictBatch", this, S, A);
    return mat(n, this.stateDim, this.env.dynamics(S.data, A.data));
  }
}

/** The differentiable oracle (pendulum, cart-pole, arm). */
export class DifferentiableOracle extends OracleModel implements DifferentiableModel {
  constructor(env: ContinuousEnv) {
    super(env);
    if (!env.dynamicsTf) throw new ValueError(`DifferentiableOracle: the system "${env.name}" has no dynamicsTf`);
  }
  predictTensor(S: tf.Tensor2D, A: tf.Tensor2D): tf.Tensor2D {
    return this.env.dynamicsTf!(S, A);
  }
}

/** The oracle model for `env`: the differentiable one when the env supports it. */
export function oracleModel(env: ContinuousEnv): OracleModel {
  return env.dynamicsTf ? new DifferentiableOracle(env) : new OracleModel(env);
}

/** The environment's known reward as a RewardFunction (with the tensor form when the env has `rewardTf`). */
export function envReward(env: ContinuousEnv): RewardFunction {
  const r: RewardFunction = {
    batch: (S, A, S2) => env.reward(S.data, A.data, S2.data),
  };
  if (env.rewardTf) {
    const rewardTf = env.rewardTf.bind(env);
    r.tensor = (S, A, S2) => rewardTf(S, A, S2);
  }
  return r;
}
