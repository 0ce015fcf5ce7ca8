import { TwoLinkArm } from "../../lib/envs/arm";
import { CartPole } from "../../lib/envs/cartpole";
import { ContinuousSystem } from "../../lib/envs/common";
import { Hill } from "../../lib/envs/hill";
import { Maze } from "../../lib/envs/maze";
import { Pendulum } from "../../lib/envs/pendulum";
import { MlpDynamicsModel } from "../../lib/models/mlp";
import { EnsembleMLP } from "../../lib/nn";
import { MpcController } from "../../lib/planners/mpc";

/**
 * Where a benchmark's time goes: wall seconds per phase (planning, training, environment, ...),
 * measured by wrapping methods on prototypes (e.g. `ContinuousSystem.prototype.step` as
 * "environment"), so the algorithms run unchanged. Only the outermost phase counts: an environment
 * step made inside planning (an oracle model) is planning time. A helper, not a benchmark.
 */
export class PhaseClock {
  readonly seconds: Record<string, number> = {};
  /** Outermost calls per phase (e.g. decisions for planning). */
  readonly calls: Record<string, number> = {};
  private active: string | null = null;
  private readonly t0 = performance.now();
  private readonly restore: (() => void)[] = [];

  /** Times every call of proto[method] as `phase` (sync or async methods). */
  wrap(proto: object, method: string, phase: string): this {
    const target = proto as Record<string, unknown>;
    const original = target[method];
    if (typeof original !== "function") throw new Error(`PhaseClock: ${method} is not a method`);
    this.seconds[phase] ??= 0;
    this.calls[phase] ??= 0;
    // Arrows keep the clock as `this`; the wrapper below keeps the callee's own `this`.
    const enter = (): number | null => {
      if (this.active !== null) return null; // nested in another phase: counted there
      this.active = phase;
      this.calls[phase] += 1;
      return performance.now();
    };
    const leave = (t: number) => {
      this.seconds[phase] += (performance.now() - t) / 1000;
      this.active = null;
    };
    target[method] = function (this: unknown, ...args: unknown[]) {
      const t = enter();
      if (t === null) return original.apply(this, args);
      let out: unknown;
      try {
        out = original.apply(this, args);
      } catch (e) {
        leave(t);
        throw e;
      }
      if (out instanceof Promise) return out.finally(() => leave(t));
      leave(t);
      return out;
    };
    this.restore.push(() => (target[method] = original));
    return this;
  }

  /** Adds seconds an algorithm measured itself (e.g. PILCO's GP training time). */
  add(phase: string, seconds: number): this {
    this.seconds[phase] = (this.seconds[phase] ?? 0) + seconds;
    return this;
  }

  /** Every environment's step as "environment" (the systems and the tabular maze). */
  environments(): this {
    for (const cls of [ContinuousSystem, CartPole, Pendulum, Hill, TwoLinkArm, Maze]) this.wrap(cls.prototype, "step", "environment");
    return this;
  }

  /** Every network update and model fit as "training". */
  training(): this {
    for (const m of ["fit", "minimize", "trainStep", "applyGradients"]) this.wrap(EnsembleMLP.prototype, m, "training");
    return this.wrap(MlpDynamicsModel.prototype, "fit", "training");
  }

  /** Every MPC decision as "planning". */
  planning(): this {
    return this.wrap(MpcController.prototype, "act", "planning");
  }

  /** Wall seconds since the clock started. */
  elapsed(): number {
    return (performance.now() - this.t0) / 1000;
  }

  /**
   * The figures every benchmark prints: wall seconds per decision (or per trial: `per` names the
   * unit) and each phase's share of the elapsed time, the rest under the name `rest`.
   */
  report(units: number, per: string, rest = "other"): Record<string, unknown> {
    const total = this.elapsed();
    const shares: Record<string, number> = {};
    let counted = 0;
    for (const [k, v] of Object.entries(this.seconds)) {
      shares[k] = +(v / total).toFixed(3);
      counted += v;
    }
    shares[rest] = +Math.max(0, 1 - counted / total).toFixed(3);
    return {
      [`wallSecondsPer${per}`]: units > 0 ? Number((total / units).toPrecision(3)) : null,
      [`${per[0].toLowerCase()}${per.slice(1)}s`]: units,
      timeShares: shares,
    };
  }

  /** Puts the original methods back. */
  dispose(): void {
    for (const r of this.restore.reverse()) r();
  }
}
