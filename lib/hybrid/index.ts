/**
 * Hybrids: algorithms built from other algorithms. MBMF (Nagabandi et al. 2018) runs model-based RL
 * (lib/mbrl: MPC with a learned model, DAgger) and hands over to a model-free learner (lib/dyna's SAC).
 */
export * from "./mbmf";
