/**
 * A tiny analytic system for planner tests: x' = x + a (1-D, a in [-1, 1]), reward -(x' - goal)^2.
 * From x0 = 0 with goal 3 and horizon 5, the best plan is a = 1, 1, 1, 0, 0 with return -(4 + 1) = -5.
 */
import { tf } from "../../lib/core";
import { mat } from "../../lib/linalg/mat";
import { LinearModel } from "../../lib/models/linear";
import type { RewardFunction } from "../../lib/models/types";
import type { PlanProblem } from "../../lib/planners/problem";

export const GOAL = 3;

/** x' = x + a as a (differentiable) LinearModel with hand-set weights. */
export function integratorModel(): LinearModel {
  const m = new LinearModel({ stateDim: 1, actionDim: 1 });
  m.W = mat(3, 1, [0, 1, 0]); // delta = 0 * x + 1 * a + 0
  return m;
}

export const goalReward: RewardFunction = {
  batch: (_S, _A, S2) => Float64Array.from(S2.data, (x) => -((x - GOAL) ** 2)),
  tensor: (_S, _A, S2) => tf.neg(tf.square(tf.sub(S2, GOAL))).reshape([-1]) as tf.Tensor1D,
};

export function toyProblem(horizon = 5): PlanProblem {
  return { model: integratorModel(), reward: goalReward, horizon, actionLow: [-1], actionHigh: [1] };
}

export const OPTIMAL_RETURN = -5;
