/**
 * Model-predictive control (lectures 001, 004, version 1.5's step 4): plan H steps ahead, execute
 * only the first action (or the first N), observe where the system really went, plan again from there.
 * Replanning closes the loop, so each plan may be imperfect; a shorter horizon often suffices.
 *
 * Warm start: the previous plan, shifted by the steps already executed and padded by repeating its
 * last action, seeds the next search (CEM starts its mean there, gradient shooting its first restart).
 */
import { type Rng, checkInt } from "../core";
import type { VecLike } from "../linalg/mat";
import type { Plan, Planner } from "./problem";

export interface MpcConfig {
  /** Replan every N steps, executing the plan's actions open loop in between (default 1: every step). */
  replanEvery?: number;
  /** Seed each plan with the shifted previous plan (default true). */
  warmStart?: boolean;
}

/** The previous plan shifted by `k` steps: rows k.., then the last row repeated to keep H rows. */
export function shiftPlan(actions: readonly VecLike[], k: number): number[][] {
  const H = actions.length;
  const out: number[][] = [];
  for (let t = 0; t < H; t++) out.push(Array.from(actions[Math.min(t + k, H - 1)]));
  return out;
}

/** A closed-loop controller: call `act(state, rng)` once per real time step. */
export class MpcController {
  readonly replanEvery: number;
  readonly warmStart: boolean;
  /** The plan currently being executed. */
  plan: Plan | null = null;
  /** Steps of `plan` already executed. */
  private used = 0;
  /** Wall-clock seconds of each planning call (decision time). */
  readonly planSeconds: number[] = [];

  constructor(
    private readonly planner: Planner,
    cfg: MpcConfig = {},
  ) {
    this.replanEvery = checkInt("MpcController: replanEvery", cfg.replanEvery ?? 1);
    this.warmStart = cfg.warmStart ?? true;
  }

  /** Forgets the current plan (call at the start of each episode). */
  reset(): void {
    this.plan = null;
    this.used = 0;
  }

  /** The action for state s: replans when the plan is missing or N of its actions have been used. */
  act(s: VecLike, rng: Rng): number[] {
    if (!this.plan || this.used >= this.replanEvery || this.used >= this.plan.actions.length) {
      const warm = this.plan && this.warmStart ? shiftPlan(warmRows(this.plan), this.used) : undefined;
      const t0 = performance.now();
      this.plan = this.planner(s, rng, warm);
      this.planSeconds.push((performance.now() - t0) / 1000);
      this.used = 0;
    }
    return this.plan.actions[this.used++].slice();
  }
}

/** What to warm-start from: CEM's final sampling mean when the plan carries one, else its actions. */
function warmRows(plan: Plan): number[][] {
  const mean = (plan as Plan & { mean?: Float64Array }).mean;
  const H = plan.actions.length;
  if (!mean || H === 0) return plan.actions;
  const da = plan.actions[0].length;
  if (mean.length !== H * da) return plan.actions;
  return Array.from({ length: H }, (_, t) => Array.from(mean.subarray(t * da, (t + 1) * da)));
}
