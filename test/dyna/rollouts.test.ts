import { describe, expect, it } from "vitest";
import { type Rng, makeRng } from "../../lib/core";
import { concatBatches, gatherBatch, makeReplayBuffer, pushTransition, sampleBatch } from "../../lib/dyna/buffer";
import { type MemberEnsemble, branchedRollouts, disagreement } from "../../lib/dyna/rollouts";

/** A 1-D "ensemble" for tests: member b predicts s' = s + a + offsets[b] (no noise). */
function offsetEnsemble(offsets: number[]): MemberEnsemble {
  return {
    members: offsets.length,
    stateDim: 1,
    actionDim: 1,
    sampleMembers(S: Float64Array, A: Float64Array, n: number, _rng: Rng) {
      const means = offsets.map((o) => Float64Array.from({ length: n }, (_, i) => S[i] + A[i] + o));
      return { samples: means, means };
    },
  };
}

const zeroPolicy = (_S: Float64Array, n: number) => new Float64Array(n);
const unitPolicy = (_S: Float64Array, n: number) => new Float64Array(n).fill(1);
const stateReward = (_S: Float64Array, _A: Float64Array, S2: Float64Array, n: number) => Float64Array.from(S2.subarray(0, n));

describe("replay buffer", () => {
  it("stores, overwrites the oldest when full, and gathers rows", () => {
    const buf = makeReplayBuffer(3, 2, 1);
    for (let i = 0; i < 5; i++) pushTransition(buf, [i, -i], [10 + i], i, [i + 1, -i - 1], i === 4);
    expect(buf.size).toBe(3);
    const b = gatherBatch(buf, [0, 1, 2]);
    // slots 0 and 1 were overwritten by transitions 3 and 4
    expect(Array.from(b.states)).toEqual([3, -3, 4, -4, 2, -2]);
    expect(Array.from(b.actions)).toEqual([13, 14, 12]);
    expect(Array.from(b.dones)).toEqual([0, 1, 0]);
    expect(() => pushTransition(buf, [1], [0], 0, [1, 2], false)).toThrow(/length 2/);
    const s = sampleBatch(buf, 10, makeRng(0));
    expect(s.n).toBe(10);
    const c = concatBatches(b, s);
    expect(c.n).toBe(13);
    expect(c.states.length).toBe(26);
  });
});

describe("branched rollouts", () => {
  it("d(s, a) is the largest pairwise distance of the members' means", () => {
    const means = [Float64Array.from([0, 0, 1, 1]), Float64Array.from([3, 4, 1, 1]), Float64Array.from([0, 1, 1, 1])];
    const d = disagreement(means, 2, 2);
    expect(d[0]).toBeCloseTo(5, 12);
    expect(d[1]).toBe(0);
  });

  it("runs k steps from every start with a random member per transition", () => {
    const model = offsetEnsemble([0, 10]);
    const rng = makeRng(3);
    const { batch, stats } = branchedRollouts(Float64Array.from([0, 100]), 2, zeroPolicy, model, stateReward, { horizon: 4 }, rng);
    expect(batch.n).toBe(8);
    expect(stats.transitions).toBe(8);
    expect(stats.meanDisagreement).toBeCloseTo(10, 12);
    // every step moves by 0 or 10 (the chosen member), and chains: s of step t+1 is s' of step t
    const members: number[] = [];
    for (let i = 0; i < batch.n; i++) {
      const jump = batch.nextStates[i] - batch.states[i];
      expect([0, 10]).toContain(jump);
      members.push(jump / 10);
    }
    // rows are ordered step by step: [b0 t0, b1 t0, b0 t1, b1 t1, ...]
    for (let t = 1; t < 4; t++) {
      for (let b = 0; b < 2; b++) expect(batch.states[t * 2 + b]).toBe(batch.nextStates[(t - 1) * 2 + b]);
    }
    // the member choices follow rng.int(2) drawn row by row
    const twin = makeRng(3);
    expect(members).toEqual(Array.from({ length: 8 }, () => twin.int(2)));
  });

  it("the penalty replaces the reward by -kappa exactly where d > alpha", () => {
    // members agree for s' near 0 and disagree by |s| elsewhere: offsets scale with the state
    const model: MemberEnsemble = {
      members: 2,
      stateDim: 1,
      actionDim: 1,
      sampleMembers(S, A, n) {
        const m0 = Float64Array.from({ length: n }, (_, i) => S[i] + A[i]);
        const m1 = Float64Array.from({ length: n }, (_, i) => S[i] + A[i] + 0.5 * Math.abs(S[i]));
        return { samples: [m0, m0], means: [m0, m1] };
      },
    };
    const { batch, stats } = branchedRollouts(Float64Array.from([0]), 1, unitPolicy, model, stateReward, { horizon: 5, penalty: { kappa: 7, alpha: 1.2 } }, makeRng(0));
    // states 0,1,2,3,4: d = 0, 0.5, 1, 1.5, 2 -> penalised at s = 3 and 4
    expect(Array.from(batch.states)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(batch.rewards)).toEqual([1, 2, 3, -7, -7]);
    expect(stats.penalised).toBe(2);
    expect(Array.from(batch.dones)).toEqual([0, 0, 0, 0, 0]);

    const halted = branchedRollouts(Float64Array.from([0]), 1, unitPolicy, model, stateReward, { horizon: 5, penalty: { kappa: 7, alpha: 1.2 }, terminateAbove: 1.2 }, makeRng(0));
    // with termination the first uncertain transition is stored as an absorbing halt and the branch stops
    expect(Array.from(halted.batch.rewards)).toEqual([1, 2, 3, -7]);
    expect(Array.from(halted.batch.dones)).toEqual([0, 0, 0, 1]);
    expect(halted.stats.terminated).toBe(1);

    const dropped = branchedRollouts(Float64Array.from([0]), 1, unitPolicy, model, stateReward, { horizon: 5, terminateAbove: 1.2 }, makeRng(0));
    // termination without the penalty drops the uncertain transition
    expect(Array.from(dropped.batch.rewards)).toEqual([1, 2, 3]);
  });

  it("rejects bad inputs", () => {
    const model = offsetEnsemble([0]);
    expect(() => branchedRollouts(Float64Array.from([0, 1]), 1, zeroPolicy, model, stateReward, { horizon: 1 }, makeRng(0))).toThrow(/starts/);
    expect(() => branchedRollouts(Float64Array.from([0]), 1, zeroPolicy, model, stateReward, { horizon: 0 }, makeRng(0))).toThrow(/horizon/);
    const badPolicy = (_S: Float64Array, n: number) => new Float64Array(n + 1);
    expect(() => branchedRollouts(Float64Array.from([0]), 1, badPolicy, model, stateReward, { horizon: 1 }, makeRng(0))).toThrow(/policy/);
  });
});
