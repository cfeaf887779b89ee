package org.parry.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.parry.criterion.Criterion;
import org.parry.model.Classifier;
import org.parry.norm.Norm;

/**
 * Carlini-Wagner L∞ attack (Carlini and Wagner, "Towards evaluating the robustness of neural
 * networks", IEEE S&amp;P 2017, arXiv:1608.04644; reference code carlini/nn_robust_attacks
 * {@code li_attack.py}). A minimum-norm attack: no ε, the smallest max-norm perturbation found.
 *
 * <p>L∞ is not differentiable, so the attack shrinks a threshold τ instead. The inner problem,
 * solved by Adam (learning rate {@code learningRate}) in the tanh variables
 * x' = (tanh(w) + 1) / 2 of {@link CwL2}, is
 * <pre>  minimize  c · f(x') + Σ_i max(0, |x'_i - x_i| - τ)</pre>
 * with the hinge f = max(z_y - max_{j≠y} z_j + κ, 0) (targeted: max(max_{j≠t} z_j - z_t + κ, 0)).
 * It is solved when x' is adversarial with margin κ and the objective is below 10^-4 c, i.e. no
 * coordinate exceeds τ by more than a hair; it stops at the first such iterate. Per sample: τ =
 * the box's width u - l (1 for pixels) and c = {@code initialConst}; at most {@code steps} Adam steps per c, then c ← c ·
 * {@code constFactor} (w and Adam's moments carry on) until c reaches {@code largestConst}, where
 * the inner problem has failed. After a solution x*, τ ← {@code decreaseFactor} · min(τ,
 * max_i |x*_i - x_i|), and the next inner problem starts from x* (warm start, fresh Adam moments)
 * with the c that worked. The loop ends when τ &lt;= (u - l)/256 or an inner problem fails; the result
 * is the last solution, or the clean x if the first inner problem failed (attack failed).
 *
 * <p>Defaults, the reference's: 1000 steps, learning rate 5e-3, c from 1e-5 doubling up to 20,
 * τ × 0.9; κ = 0 (the reference has no κ; Parry adds it for symmetry with {@link CwL2}).
 * Samples run in one batch, each with its own τ, c, Adam state and phase, so a batch gives the
 * same per-sample result as one sample at a time on a model that rounds the same at every batch
 * size; the batch runs until its slowest sample is done. Batched kernels usually round a little
 * differently (about 1e-6 on the logits of a small CNN), and the τ loop can grow that into a
 * different local optimum: inside τ nothing pulls a coordinate back, and Adam's per-coordinate
 * normalization turns gradient components at noise level into full-size steps.
 *
 * <p>Cost, and Parry's one change of schedule ({@code abortEarly}, on by default): with the
 * reference's schedule every value of c that does not solve the problem costs all {@code steps}
 * iterations, so raising c from 1e-5 to where the L∞ penalty bites costs about 14000 gradient
 * passes, and every sample ends with an inner problem that fails after up to
 * steps · log2(largestConst / c) more (21000 when c stayed at 1e-5). With {@code abortEarly}, as
 * in {@link CwL2}, every steps/10 iterations a sample whose objective c f + penalty has not fallen
 * below 0.9999 times its previous check moves on to the next c at once (the optimizer has
 * converged for this c; more iterations would not solve it). Set it to false for the reference's
 * schedule.
 *
 * <p>Where Parry differs from the reference otherwise, and why: the reference accepts any iterate
 * whose objective is below 10^-4 c, which includes points that are not quite adversarial; Parry
 * also requires the κ-shifted argmax test, so every recorded solution is adversarial on the
 * returned point. A sample that is already adversarial at x (with margin κ) returns x at once.
 * Distances are to x itself (the reference measures them to tanh(w_0), which is x shrunk by
 * 1e-6). Not thread-safe (one PyTorch gradient collector per process).
 *
 * @param steps maximum Adam iterations for each value of c
 * @param learningRate Adam's learning rate (setting {@code lr})
 * @param confidence κ >= 0
 * @param initialConst the first c, > 0
 * @param largestConst the inner problem fails once c reaches this
 * @param constFactor c's growth factor, > 1
 * @param decreaseFactor τ's shrink factor, in (0, 1)
 * @param abortEarly whether a value of c is abandoned as soon as its objective stalls
 */
public record CwLinf(int steps, float learningRate, float confidence, float initialConst,
        float largestConst, float constFactor, float decreaseFactor, boolean abortEarly)
        implements Attack {

    /** The loop ends when τ reaches one 8-bit grey level, as a fraction of the box's width. */
    static final float SMALLEST_TAU = 1f / 256f;

    public CwLinf {
        Require.atLeast("steps", steps, 1);
        Require.positive("lr", learningRate);
        Require.nonNegative("confidence", confidence);
        CarliniWagner.requireConstSchedule(initialConst, largestConst, constFactor);
        if (!(decreaseFactor > 0f && decreaseFactor < 1f)) {
            throw new IllegalArgumentException(
                    "decreaseFactor must be in (0, 1), got " + decreaseFactor);
        }
    }

    /** A builder with the defaults above. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return "cw-linf";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("norm", Norm.LINF.id());
        settings.put("steps", steps);
        settings.put("lr", learningRate);
        settings.put("confidence", confidence);
        settings.put("initialConst", initialConst);
        settings.put("largestConst", largestConst);
        settings.put("constFactor", constFactor);
        settings.put("decreaseFactor", decreaseFactor);
        settings.put("abortEarly", abortEarly);
        return settings;
    }

    @Override
    public AttackResult run(Classifier model, NDArray x, Criterion criterion) {
        return CarliniWagner.run(this, model, x, criterion, this::search);
    }

    /** Runs every sample's τ loop in one batch; returns the last solutions, in scope. */
    private NDArray search(CountingClassifier model, NDArray x, NDArray labels, boolean targeted,
            NDManager scope) {
        int n = Math.toIntExact(x.getShape().get(0));
        int[] labelOf = CarliniWagner.labels(labels);
        NDArray best = x.duplicate();
        best.attach(scope);
        // Already adversarial at x (with margin κ): x is the answer.
        boolean[] done = CarliniWagner.reachedAtStart(model, x, labelOf, confidence, targeted,
                scope);
        float[] tau = new float[n];
        Arrays.fill(tau, model.bounds().range());
        CarliniWagner.ConstSchedule schedule = new CarliniWagner.ConstSchedule(n, initialConst,
                largestConst, constFactor, steps, abortEarly);
        try (NDManager loop = scope.newSubManager()) {
            CarliniWagner.Descent descent = new CarliniWagner.Descent(loop, x, model.bounds(), labels, labelOf,
                    null);
            descent.drop(done);
            while (descent.size() > 0) {
                long[] positions = descent.positions();
                int rows = positions.length;
                try (NDManager step = loop.newSubManager()) {
                    step.tempAttachAll(best);
                    float[] constants = schedule.constants(positions);
                    CarliniWagner.Iterate iterate = descent.evaluate(model, constants, confidence,
                            targeted, step);
                    NDArray delta = iterate.delta();
                    float[] tauRows = new float[rows];
                    for (int j = 0; j < rows; j++) {
                        tauRows[j] = tau[Math.toIntExact(positions[j])];
                    }
                    NDArray size = delta.abs();
                    NDArray excess = size.sub(CarliniWagner.rows(tauRows, delta)).maximum(0f);
                    float[] penalty = CarliniWagner.sumPerRow(excess).toFloatArray();
                    float[] linf = CarliniWagner.maxPerRow(size).toFloatArray();
                    descent.step(iterate, iterate.gradient().add(
                            delta.sign().mul(excess.gt(0f).toType(delta.getDataType(), false))),
                            learningRate, step);

                    boolean[] solved = new boolean[rows];
                    for (int j = 0; j < rows; j++) {
                        int i = Math.toIntExact(positions[j]);
                        float hinge = iterate.hinge()[j];
                        // The reference's test, c f + penalty < 1e-4 c, on an adversarial point.
                        solved[j] = iterate.reached()[j] && hinge + penalty[j] < 1e-4 * constants[j];
                        if (solved[j]) {
                            tau[i] = Math.min(tau[i], linf[j]) * decreaseFactor;
                            schedule.solved(i);
                            done[i] = tau[i] <= SMALLEST_TAU * model.bounds().range();
                        } else {
                            done[i] = schedule.unsolved(i, (double) hinge + penalty[j]);
                        }
                    }
                    long[] solvedRows = CarliniWagner.where(solved, true);
                    if (solvedRows.length > 0) {
                        // Record the solution, then restart the sample's inner problem from it.
                        CarliniWagner.copyRows(best, CarliniWagner.pick(positions, solvedRows),
                                iterate.candidate(), solvedRows);
                        descent.restart(solvedRows,
                                iterate.candidate().get(step.create(solvedRows)), step);
                    }
                }
                descent.drop(done);
            }
        }
        return best;
    }

    /** Builds {@link CwLinf}; every option has the default documented on the class. */
    public static final class Builder {
        private int steps = 1000;
        private float learningRate = 5e-3f;
        private float confidence = 0f;
        private float initialConst = 1e-5f;
        private float largestConst = 20f;
        private float constFactor = 2f;
        private float decreaseFactor = 0.9f;
        private boolean abortEarly = true;

        private Builder() {}

        /** Maximum Adam iterations for each value of c. */
        public Builder optSteps(int value) {
            steps = value;
            return this;
        }

        public Builder optLearningRate(float value) {
            learningRate = value;
            return this;
        }

        /** κ, the logit margin of a result. */
        public Builder optConfidence(float value) {
            confidence = value;
            return this;
        }

        public Builder optInitialConst(float value) {
            initialConst = value;
            return this;
        }

        public Builder optLargestConst(float value) {
            largestConst = value;
            return this;
        }

        public Builder optConstFactor(float value) {
            constFactor = value;
            return this;
        }

        public Builder optDecreaseFactor(float value) {
            decreaseFactor = value;
            return this;
        }

        /** Whether a value of c is abandoned once its objective stalls (Parry's addition). */
        public Builder optAbortEarly(boolean value) {
            abortEarly = value;
            return this;
        }

        public CwLinf build() {
            return new CwLinf(steps, learningRate, confidence, initialConst, largestConst,
                    constFactor, decreaseFactor, abortEarly);
        }
    }
}
