package org.parry.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.Arrays;
import org.parry.criterion.Criterion;
import org.parry.loss.LogitLoss;
import org.parry.model.LossGradient;
import org.parry.norm.Norm;

/**
 * The projected-gradient loop that PGD, BIM, alternating-objective PGD and the hypocritical
 * perturbation share: x_{k+1} = Proj(x_k + α · d(∇ L_k(x_k))), with
 * <ul>
 *   <li>best tracking: the first iterate at which a sample meets the criterion is kept (the check
 *       reuses the logits of each gradient pass, plus one forward pass after the last step);
 *   <li>early stop per sample: a sample leaves the batch once it meets the criterion, so no
 *       gradient is spent on it again; without it ({@code earlyStop} false) every sample runs
 *       every step and the last iterate is judged, as in Kurakin et al.'s and Madry et al.'s
 *       code: an example that only just crosses the boundary of the model it was crafted on
 *       seldom fools another, so transfer attacks run the whole budget;
 *   <li>restarts that run only on the samples not yet broken and never overwrite a success;
 *   <li>optionally, momentum (MI-FGSM): the step follows d(g_k) with g_k = μ · g_{k-1} +
 *       ∇ L_k / ||∇ L_k||_1 per sample, g_0 = 0, restarted with every restart.
 * </ul>
 * A sample never broken returns the last iterate of the last restart. Each step runs in its own
 * NDManager; memory does not grow with the number of steps.
 */
final class IterativeGradientAttack {

    /** Where a restart begins (before projection). */
    @FunctionalInterface
    interface Start {
        NDArray at(NDArray x, int restart);
    }

    /** The loss to ascend at a step, for the criterion of the samples still attacked. */
    @FunctionalInterface
    interface LossSchedule {
        LogitLoss at(int step, Criterion active);
    }

    /**
     * Momentum of the step direction (Dong et al. 2018): g_k = μ · g_{k-1} + ∇ / ||∇||_1, per
     * sample; with μ = 0 the direction of g_k is that of the gradient itself.
     */
    record Momentum(float decay) {

        private static final float TINY = 1e-12f;

        /** The accumulated direction g_k from g_{k-1} ({@code null} for g_0 = 0) and ∇. */
        NDArray accumulate(NDArray previous, NDArray gradient) {
            NDArray scaled = gradient.div(Norm.perSample(Norm.L1.of(gradient).maximum(TINY),
                    gradient));
            return previous == null ? scaled : previous.mul(decay).add(scaled);
        }
    }

    private IterativeGradientAttack() {}

    /** The samples one restart still attacks: positions in the batch, clean rows, criterion, iterate. */
    private static final class Active {
        NDArray positions;
        NDArray clean;
        Criterion criterion;
        NDArray iterate;
        /** The momentum g_k of the samples still attacked, or null (none yet, or no momentum). */
        NDArray velocity;

        void keep(NDArray rows, NDManager owner) {
            NDList old = new NDList(positions, clean);
            old.addAll(criterion.arrays());
            positions = positions.get(rows);
            clean = clean.get(rows);
            criterion = criterion.subset(rows);
            iterate = iterate.get(rows);
            if (velocity != null) {
                velocity = velocity.get(rows);
            }
            NDList kept = new NDList(positions, clean);
            kept.addAll(criterion.arrays());
            kept.attach(owner);
            old.close();
        }
    }

    /**
     * @param earlyStop whether a sample stops at its first adversarial iterate (else it runs every
     *     step and its last iterate is judged)
     * @return the chosen points [N, ...], in {@code x}'s manager, feasible for (norm, ε)
     */
    static NDArray run(CountingClassifier model, NDArray x, Criterion criterion, Norm norm,
            float epsilon, float stepSize, int steps, int restarts, boolean earlyStop, Start start,
            LossSchedule losses) {
        return run(model, x, criterion, norm, epsilon, stepSize, steps, restarts, earlyStop, start,
                losses, null);
    }

    /** As above, the step following the accumulated direction of {@code momentum} if not null. */
    static NDArray run(CountingClassifier model, NDArray x, Criterion criterion, Norm norm,
            float epsilon, float stepSize, int steps, int restarts, boolean earlyStop, Start start,
            LossSchedule losses, Momentum momentum) {
        NDManager caller = x.getManager();
        boolean[] broken = new boolean[Math.toIntExact(x.getShape().get(0))];
        NDArray result = x.duplicate();
        for (int restart = 0; restart < restarts; restart++) {
            long[] remaining = positions(broken, false);
            if (remaining.length == 0) {
                break;
            }
            try (NDManager scope = caller.newSubManager()) {
                scope.tempAttachAll(x, result);
                scope.tempAttachAll(Batches.distinct(criterion.arrays()));
                Active active = new Active();
                active.positions = scope.create(remaining);
                active.clean = x.get(active.positions);
                active.criterion = criterion.subset(active.positions);
                active.iterate = norm.project(start.at(active.clean, restart), active.clean, epsilon,
                        model.bounds());
                for (int step = 0; step <= steps && active.positions.size() > 0; step++) {
                    try (NDManager stepScope = scope.newSubManager()) {
                        active.iterate.attach(stepScope);
                        if (active.velocity != null) {
                            active.velocity.attach(stepScope);
                        }
                        NDList inputs = new NDList(active.positions, active.clean);
                        inputs.addAll(active.criterion.arrays());
                        stepScope.tempAttachAll(Batches.distinct(inputs));
                        NDArray logits;
                        NDArray next;
                        if (step < steps) {
                            LossGradient pass = model.lossGradient(active.iterate,
                                    active.criterion.labels(), losses.at(step, active.criterion));
                            logits = pass.logits();
                            NDArray ascent = pass.gradient();
                            if (momentum != null) {
                                active.velocity = momentum.accumulate(active.velocity, ascent);
                                ascent = active.velocity;
                            }
                            next = norm.project(active.iterate.add(
                                    norm.direction(ascent).mul(stepSize)),
                                    active.clean, epsilon, model.bounds());
                        } else {
                            logits = model.logits(active.iterate);
                            next = active.iterate;
                        }
                        boolean[] hit = earlyStop || step == steps
                                ? active.criterion.isAdversarial(logits).toBooleanArray()
                                : new boolean[Math.toIntExact(active.positions.size())];
                        long[] hitRows = positions(hit, true);
                        if (hitRows.length > 0) {
                            NDArray rows = stepScope.create(hitRows);
                            result.set(new NDIndex("{}", active.positions.get(rows)),
                                    active.iterate.get(rows));
                            for (long row : hitRows) {
                                broken[Math.toIntExact(active.positions.getLong(row))] = true;
                            }
                            active.iterate = next;
                            active.keep(stepScope.create(positions(hit, false)), scope);
                            next = active.iterate;
                        }
                        if (step == steps && active.positions.size() > 0) {
                            result.set(new NDIndex("{}", active.positions), next);
                        }
                        next.attach(scope);
                        active.iterate = next;
                        if (active.velocity != null) {
                            active.velocity.attach(scope);
                        }
                    }
                }
            }
        }
        result.attach(caller);
        return result;
    }

    /** Indices i with flags[i] == value. */
    static long[] positions(boolean[] flags, boolean value) {
        long[] out = new long[flags.length];
        int count = 0;
        for (int i = 0; i < flags.length; i++) {
            if (flags[i] == value) {
                out[count++] = i;
            }
        }
        return Arrays.copyOf(out, count);
    }
}
