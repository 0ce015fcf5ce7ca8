/**
 * Dyna-Q on the Dyna maze (Sutton and Barto, Example 8.1, Figure 8.2): steps per episode for n = 0, 5
 * and 50 planning steps, 50 episodes, averaged over 100 runs (the book used 30; 100 steadies the
 * "stays near optimal" episode of the noisy n = 0 curve; --quick uses 30).
 *
 *   npm run bench -- dyna-q [--quick] [--runs N]
 *
 * Prints the three averaged curves, the episode from which each stays within 20 % of the 14-step
 * optimum, and as its last line one JSON object.
 */
import { makeDynaMaze } from "../../lib/envs";
import { dynaQCurve, episodesToOptimal, epsilonGreedyOptimalSteps } from "../../lib/dyna/dynaQ";
import { PhaseClock } from "./phases";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const runsArg = args.indexOf("--runs");
const runs = runsArg >= 0 ? Number(args[runsArg + 1]) : quick ? 30 : 100;
const episodes = 50;
const ns = [0, 5, 50] as const;

const clock = new PhaseClock().environments();
const maze = makeDynaMaze();
const optimal = maze.shortestPath();
const epsilon = 0.1;
// The curves cannot settle on 14 itself: epsilon-greedy takes a random action one step in ten, so even
// with an optimal greedy policy an episode takes this many steps on average (exact, by a linear solve).
const floor = epsilonGreedyOptimalSteps(maze, epsilon);
const t0 = Date.now();
const stepsPerEpisode: Record<string, number[]> = {};
const episodesToOpt: Record<string, number | null> = {};
const episodesTo14: Record<string, number | null> = {};
for (const n of ns) {
  const { mean } = dynaQCurve(maze, { planningSteps: n, alpha: 0.1, gamma: 0.95, epsilon }, { episodes, runs, seed: 1000 });
  stepsPerEpisode[n] = mean.map((v) => Math.round(v * 10) / 10);
  episodesToOpt[n] = episodesToOptimal(mean, floor, 0.2);
  episodesTo14[n] = episodesToOptimal(mean, optimal, 0.2);
  console.log(
    `n = ${String(n).padStart(2)}: first episode ${mean[0].toFixed(0)} steps; episodes 2..50: ` +
      mean
        .slice(1)
        .map((v) => v.toFixed(0))
        .join(" "),
  );
}
console.log(
  `shortest path: ${optimal} steps; epsilon-greedy (${epsilon}) around an optimal policy: ${floor.toFixed(2)} steps per episode on average`,
);
for (const n of ns) {
  console.log(
    `n = ${String(n).padStart(2)}: stays within 20 % of the epsilon-greedy optimum (<= ${(floor * 1.2).toFixed(1)}) from episode ` +
      `${episodesToOpt[n] ?? "never"}; within 20 % of 14 (<= ${(optimal * 1.2).toFixed(1)}) from episode ${episodesTo14[n] ?? "never"}`,
  );
}
console.log(`${runs} runs per n, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
console.log(
  JSON.stringify({
    bench: "dyna-q",
    runs,
    episodes,
    shortestPath: optimal,
    epsilonGreedyOptimum: Math.round(floor * 100) / 100,
    episodesToOptimal: episodesToOpt,
    episodesWithin20PercentOf14: episodesTo14,
    stepsPerEpisode,
    seconds: (Date.now() - t0) / 1000,
    // Per real step over all runs; the agent's share is Q-learning, model updates and the n planning updates.
    ...clock.report(clock.calls.environment, "RealStep", "agent"),
  }),
);
