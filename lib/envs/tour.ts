/**
 * Short scripted rollouts that show each system doing something recognisable, for the tour of
 * notebook 00: `tourRollout("pendulum").frames` is a list of SVG frames for the animation player.
 * The controllers are simple hand-written rules (energy pumping, a PD law, walking uphill, following
 * the shortest path); they are for pictures, not baselines.
 */
import { TwoLinkArm, armEndEffector, armEndEffectorJacobian } from "./arm";
import { CartPole } from "./cartpole";
import { wrapAngle } from "./common";
import { Hill } from "./hill";
import { makeBlockingMaze, makeDynaMaze, makeShortcutMaze, Maze } from "./maze";
import { Pendulum } from "./pendulum";
import { ENV_NAMES, rollout, type EnvName, type Rollout } from "./rollout";
import type { Policy } from "./types";

const clip = (v: number, lim: number) => Math.max(-lim, Math.min(lim, v));

/**
 * Pendulum: pump energy towards that of resting upright (torque along the motion while short of it,
 * against it when over), then a PD law near the top.
 */
export function pendulumSwingUpPolicy(env: Pendulum): Policy<number[], number[]> {
  const lim = env.params.maxTorque;
  const target = env.energy([0, 0]);
  return () => {
    const s = env.getState();
    const e = wrapAngle(s[0]);
    if (Math.abs(e) < 0.5 && Math.abs(s[1]) < 3) return [clip(-12 * e - 3 * s[1], lim)];
    return [clip(4 * (target - env.energy(s)), lim) * (s[1] >= 0 ? 1 : -1)];
  };
}

/** Cart-pole: energy pumping through the cart (pushes against the pole's swing), plus a pull back to x = 0. */
export function cartpolePumpPolicy(env: CartPole): Policy<number[], number[]> {
  const { m, l, g, maxForce } = env.params;
  const target = 0.5 * m * g * l; // pole energy upright at rest
  return () => {
    const [x, xd, th, thd] = env.getState();
    const energy = (m * l * l * thd * thd) / 6 - 0.5 * m * g * l * Math.cos(th);
    const pump = -Math.sign(thd * Math.cos(th) || 1) * clip(40 * (target - energy), 8);
    return [clip(pump - 2 * x - 1 * xd, maxForce)];
  };
}

/** Arm: Jacobian-transpose PD law in task space, pulling the hand to the target. */
export function armReachPolicy(env: TwoLinkArm): Policy<number[], number[]> {
  return () => {
    const [q1, q2, qd1, qd2] = env.getState();
    const p = armEndEffector(q1, q2, env.params);
    const J = armEndEffectorJacobian(q1, q2, env.params);
    const f = [120 * (env.target[0] - p[0]), 120 * (env.target[1] - p[1])];
    const lim = env.params.maxTorque;
    return [clip(J[0][0] * f[0] + J[1][0] * f[1] - 1.0 * qd1, lim), clip(J[0][1] * f[0] + J[1][1] * f[1] - 1.0 * qd2, lim)];
  };
}

/** Hill: walk right until the summit, then hold there. */
export function hillClimbPolicy(env: Hill): Policy<number[], number[]> {
  return (obs) => [clip(3 * (env.params.xPeak - 0.05 - obs[0]), 1)];
}

/** Maze: follow a shortest path to the goal (breadth-first distances of the current layout). */
export function mazeShortestPathPolicy(maze: Maze): Policy<number, number> {
  return (s) => {
    let best = 0,
      bestDist = Infinity;
    for (let a = 0; a < maze.nActions; a++) {
      const { next, terminated } = maze.transition(s, a);
      const d = terminated ? 0 : next === s ? Infinity : maze.shortestPath(next);
      if (d < bestDist) {
        bestDist = d;
        best = a;
      }
    }
    return best;
  };
}

/**
 * A short episode of a system under its scripted controller, with SVG frames:
 *   const { frames } = tourRollout("cartpole");   // then animate(frames) with lib/viz
 */
export function tourRollout(name: EnvName, seed = 0): Rollout<unknown, unknown> {
  switch (name) {
    case "pendulum": {
      const env = new Pendulum({ start: "down" });
      return rollout(env, pendulumSwingUpPolicy(env), { seed, frames: true, steps: 120 }) as Rollout<unknown, unknown>;
    }
    case "cartpole": {
      const env = new CartPole({ maxSteps: 60 });
      return rollout(env, cartpolePumpPolicy(env), { seed, frames: true }) as Rollout<unknown, unknown>;
    }
    case "arm": {
      const env = new TwoLinkArm();
      return rollout(env, armReachPolicy(env), { seed, frames: true, steps: 60 }) as Rollout<unknown, unknown>;
    }
    case "hill": {
      const env = new Hill();
      return rollout(env, hillClimbPolicy(env), { seed, frames: true, steps: 80 }) as Rollout<unknown, unknown>;
    }
    case "dynamaze":
    case "blockingmaze":
    case "shortcutmaze": {
      const maze = name === "dynamaze" ? makeDynaMaze() : name === "blockingmaze" ? makeBlockingMaze() : makeShortcutMaze();
      return rollout(maze, mazeShortestPathPolicy(maze), { frames: true, steps: 100 }) as Rollout<unknown, unknown>;
    }
    default:
      throw new Error(`tourRollout: unknown system "${String(name)}"; known: ${ENV_NAMES.join(", ")}`);
  }
}
