package org.parry.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.IntStream;
import org.parry.criterion.Criterion;
import org.parry.model.Classifier;
import org.parry.norm.Norm;

/**
 * Carlini-Wagner L0 attack (Carlini and Wagner, "Towards evaluating the robustness of neural
 * networks", IEEE S&amp;P 2017, arXiv:1608.04644; reference code carlini/nn_robust_attacks
 * {@code l0_attack.py}). A minimum-norm attack counting changed pixels (a pixel is all channels
 * at one location): no ε, as few changed pixels as it can find.
 *
 * <p>Iterative pixel freezing. Each sample keeps a mask of pixels it may change (at first all).
 * Each round solves an L2 problem restricted to the mask, in the tanh variables of {@link CwL2}
 * with frozen pixels fixed to x: x' = mask · (tanh(w) + 1) / 2 + (1 - mask) · x,
 * <pre>  minimize  c · f(x') + ||x' - x||_2^2</pre>
 * with f = max(z_y - max_{j≠y} z_j + κ, 0) (targeted: max(max_{j≠t} z_j - z_t + κ, 0)) and
 * κ = 0.01 by default (the reference's hinge offset). Adam (learning rate {@code learningRate})
 * starts from the previous solution (warm start, fresh moments) with the c that last worked and
 * stops at the first iterate adversarial with margin κ; after {@code steps} iterations without one,
 * c ← c · {@code constFactor} (w and the moments carry on), and once c reaches
 * {@code largestConst} the round has failed and the previous solution is the result (the clean x
 * if the first round failed). After a solved round, with δ = x' - x and g the gradient of the
 * objective with respect to x', every allowed pixel p gets the score
 * |Σ_channels δ_p| · Σ_channels |g_p|; pixels are frozen in increasing score order, and freezing
 * stops after a pixel whose score exceeds 0.01 or once 0.3 · sqrt(#changed pixels) were frozen
 * (a pixel counts as changed if some channel moved by 10^-4 or more), at least one per round.
 *
 * <p>Defaults, the reference's: 1000 steps, learning rate 1e-2, c from 1e-3 doubling up to 2e6,
 * κ = 0.01. Cost: slow. A round freezes about 0.3 · sqrt(#changed) pixels, so an image of P
 * pixels takes on the order of sqrt(P) to P rounds (most end after a few steps), and every sample
 * ends with a round that fails, which with the reference's schedule costs
 * steps · log2(largestConst / c) gradient passes (about 31000 with the defaults). Parry's one
 * change of schedule, {@code abortEarly} (on by default), cuts that: as in {@link CwL2}, every
 * steps/10 iterations a sample whose objective c f + ||x' - x||² has not fallen below 0.9999
 * times its previous check moves on to the next c at once; set it to false for the reference's
 * schedule. The samples run together in one batch, each with its own mask, c, Adam state and
 * phase, until the slowest is done; lower {@code steps} or {@code largestConst} for a faster,
 * weaker attack. A sample's result is the same as alone on a model that rounds the same at every
 * batch size; batched kernels usually round a little differently (about 1e-6 on the logits of a
 * small CNN), and a freezing choice between pixels of nearly equal score can then differ.
 *
 * <p>Where Parry differs from the reference, and why: the tanh variables cannot reproduce x
 * exactly (they move each pixel by about 10^-6), so at the end pixels of the result that moved by
 * less than 10^-4 in every channel are set back to x — the reference counts such pixels as
 * unchanged too — and the snapped point is kept only if it is still adversarial with margin κ; a
 * sample already adversarial at x (with margin κ) returns x at once (the reference would freeze
 * one pixel per round for the whole image); a sample whose mask becomes empty stops (the next
 * round could only fail); pixels with equal scores freeze in index order; distances are to x
 * itself. Not thread-safe (one PyTorch gradient collector per process).
 *
 * @param steps maximum Adam iterations for each value of c
 * @param learningRate Adam's learning rate (setting {@code lr})
 * @param confidence κ >= 0, the hinge offset and required logit margin
 * @param initialConst the first c, > 0
 * @param largestConst a round fails once c reaches this
 * @param constFactor c's growth factor, > 1
 * @param abortEarly whether a value of c is abandoned as soon as its objective stalls
 */
public record CwL0(int steps, float learningRate, float confidence, float initialConst,
        float largestConst, float constFactor, boolean abortEarly) implements Attack {

    /** A channel moved by less than this counts as unchanged (the reference's threshold). */
    static final float UNCHANGED = 1e-4f;

    public CwL0 {
        Require.atLeast("steps", steps, 1);
        Require.positive("lr", learningRate);
        Require.nonNegative("confidence", confidence);
        CarliniWagner.requireConstSchedule(initialConst, largestConst, constFactor);
    }

    /** A builder with the defaults above. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return "cw-l0";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("norm", Norm.L0.id());
        settings.put("steps", steps);
        settings.put("lr", learningRate);
        settings.put("confidence", confidence);
        settings.put("initialConst", initialConst);
        settings.put("largestConst", largestConst);
        settings.put("constFactor", constFactor);
        settings.put("abortEarly", abortEarly);
        return settings;
    }

    @Override
    public AttackResult run(Classifier model, NDArray x, Criterion criterion) {
        return CarliniWagner.run(this, model, x, criterion, (counted, clean, labels, targeted,
                scope) -> {
            NDArray adversarial = search(counted, clean, labels, targeted, scope);
            snapUnchanged(counted, clean, labels, targeted, adversarial, scope);
            return adversarial;
        });
    }

    /** Runs every sample's freezing rounds in one batch; returns the last solutions, in scope. */
    private NDArray search(CountingClassifier model, NDArray x, NDArray labels, boolean targeted,
            NDManager scope) {
        Shape shape = x.getShape();
        int n = Math.toIntExact(shape.get(0));
        int channels = Math.toIntExact(shape.get(1));
        int pixels = Math.toIntExact(shape.size() / shape.get(0) / channels);
        int size = channels * pixels;
        Shape maskShape = new Shape(n, 1, shape.get(2), shape.get(3));
        int[] labelOf = CarliniWagner.labels(labels);
        NDArray best = x.duplicate();
        best.attach(scope);
        // Already adversarial at x (with margin κ): x is the answer, with no pixel changed.
        boolean[] done = CarliniWagner.reachedAtStart(model, x, labelOf, confidence, targeted,
                scope);
        float[][] allowed = new float[n][pixels];
        for (float[] row : allowed) {
            Arrays.fill(row, 1f);
        }
        CarliniWagner.ConstSchedule schedule = new CarliniWagner.ConstSchedule(n, initialConst,
                largestConst, constFactor, steps, abortEarly);
        try (NDManager loop = scope.newSubManager()) {
            CarliniWagner.Descent descent = new CarliniWagner.Descent(loop, x, model.bounds(), labels, labelOf,
                    loop.ones(maskShape, x.getDataType()));
            descent.drop(done);
            while (descent.size() > 0) {
                long[] positions = descent.positions();
                int rows = positions.length;
                try (NDManager step = loop.newSubManager()) {
                    step.tempAttachAll(best);
                    CarliniWagner.Iterate iterate = descent.evaluate(model,
                            schedule.constants(positions), confidence, targeted, step);
                    NDArray delta = iterate.delta();
                    float[] l2 = CarliniWagner.sumPerRow(delta.square()).toFloatArray();
                    NDArray objectiveGradient = iterate.gradient().add(delta.mul(2f));
                    descent.step(iterate, objectiveGradient, learningRate, step);

                    boolean[] solved = iterate.reached();
                    long[] solvedRows = CarliniWagner.where(solved, true);
                    if (solvedRows.length > 0) {
                        // Record the solution, freeze pixels, restart the sample from the solution.
                        NDArray local = step.create(solvedRows);
                        NDArray solutions = iterate.candidate().get(local);
                        CarliniWagner.setRows(best,
                                step.create(CarliniWagner.pick(positions, solvedRows)), solutions);
                        float[] deltas = delta.get(local).toFloatArray();
                        float[] gradients = objectiveGradient.get(local).toFloatArray();
                        float[] masks = new float[solvedRows.length * pixels];
                        for (int s = 0; s < solvedRows.length; s++) {
                            int i = Math.toIntExact(positions[Math.toIntExact(solvedRows[s])]);
                            freeze(Arrays.copyOfRange(deltas, s * size, (s + 1) * size),
                                    Arrays.copyOfRange(gradients, s * size, (s + 1) * size),
                                    allowed[i], channels);
                            System.arraycopy(allowed[i], 0, masks, s * pixels, pixels);
                            schedule.solved(i);
                            // With every pixel frozen the next round could only fail.
                            done[i] = IntStream.range(0, pixels).allMatch(p -> allowed[i][p] == 0f);
                        }
                        NDArray mask = descent.mask();
                        CarliniWagner.setRows(mask, local, step.create(masks,
                                new Shape(solvedRows.length, 1, shape.get(2), shape.get(3)))
                                .toType(mask.getDataType(), false));
                        descent.restart(solvedRows, solutions, step);
                    }
                    for (int j = 0; j < rows; j++) {
                        if (!solved[j]) {
                            done[Math.toIntExact(positions[j])] = schedule.unsolved(
                                    Math.toIntExact(positions[j]), (double) iterate.hinge()[j] + l2[j]);
                        }
                    }
                }
                descent.drop(done);
            }
        }
        return best;
    }

    /**
     * Freezes pixels of one sample in place: increasing |Σ_c δ| · Σ_c |g| among the allowed ones,
     * stopping after a score above 0.01 or after 0.3 · sqrt(#changed pixels) of them.
     *
     * @param delta the solution minus x, [C · P] channel-major
     * @param gradient the objective's gradient at the solution, [C · P]
     * @param allowed [P] 1 = may change, 0 = frozen; updated
     */
    static void freeze(float[] delta, float[] gradient, float[] allowed, int channels) {
        int pixels = allowed.length;
        double[] score = new double[pixels];
        int changed = 0;
        for (int p = 0; p < pixels; p++) {
            double change = 0;
            double slope = 0;
            boolean moved = false;
            for (int ch = 0; ch < channels; ch++) {
                float d = delta[ch * pixels + p];
                change += d;
                slope += Math.abs(gradient[ch * pixels + p]);
                moved |= Math.abs(d) >= UNCHANGED;
            }
            score[p] = Math.abs(change) * slope;
            changed += moved ? 1 : 0;
        }
        double limit = 0.3 * Math.sqrt(changed);
        Integer[] order = IntStream.range(0, pixels).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer p) -> score[p]));
        int frozen = 0;
        for (int p : order) {
            if (allowed[p] == 0f) {
                continue;
            }
            allowed[p] = 0f;
            frozen++;
            if (score[p] > 0.01 || frozen >= limit) {
                break;
            }
        }
    }

    /**
     * Sets pixels that moved by less than {@link #UNCHANGED} in every channel back to x, per
     * sample, where the snapped point is still adversarial with margin κ.
     */
    private void snapUnchanged(CountingClassifier model, NDArray x, NDArray labels,
            boolean targeted, NDArray adversarial, NDManager scope) {
        try (NDManager step = scope.newSubManager()) {
            step.tempAttachAll(x, labels, adversarial);
            NDArray moved = adversarial.sub(x).abs().max(new int[] {1}, true).gte(UNCHANGED)
                    .toType(x.getDataType(), false);
            NDArray snapped = adversarial.mul(moved).add(x.mul(moved.neg().add(1f)));
            boolean[] keep = CarliniWagner.reached(model.logits(snapped).toFloatArray(),
                    CarliniWagner.labels(labels), confidence, targeted);
            long[] rows = CarliniWagner.where(keep, true);
            if (rows.length > 0) {
                CarliniWagner.copyRows(adversarial, rows, snapped, rows);
            }
        }
    }

    /** Builds {@link CwL0}; every option has the default documented on the class. */
    public static final class Builder {
        private int steps = 1000;
        private float learningRate = 1e-2f;
        private float confidence = 0.01f;
        private float initialConst = 1e-3f;
        private float largestConst = 2e6f;
        private float constFactor = 2f;
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

        /** κ, the hinge offset and logit margin of a result (the reference: 0.01). */
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

        /** Whether a value of c is abandoned once its objective stalls (Parry's addition). */
        public Builder optAbortEarly(boolean value) {
            abortEarly = value;
            return this;
        }

        public CwL0 build() {
            return new CwL0(steps, learningRate, confidence, initialConst, largestConst,
                    constFactor, abortEarly);
        }
    }
}
