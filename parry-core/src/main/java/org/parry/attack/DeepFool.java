package org.parry.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.parry.criterion.Criterion;
import org.parry.loss.LogitLoss;
import org.parry.model.Classifier;
import org.parry.model.LossGradient;
import org.parry.model.NoGradientClassifier;
import org.parry.norm.Norm;

/**
 * DeepFool (Moosavi-Dezfooli, Fawzi and Frossard, "DeepFool: a simple and accurate method to fool
 * deep neural networks", CVPR 2016, arXiv:1511.04599), a minimum-norm attack: it linearizes the
 * classifier around the current point and steps onto the nearest linearized decision boundary.
 * With k0 the true class and, for each candidate class k, f'_k = z_k(x_i) - z_k0(x_i) and
 * w'_k = ∇z_k(x_i) - ∇z_k0(x_i):
 * <pre>
 *   l     = argmin_k |f'_k| / ||w'_k||_q          (q = 2 for L2, q = 1 for L∞: the dual norm)
 *   r_i   = (|f'_l| + 1e-4) / ||w'_l||_2² · w'_l       (L2, eq. 8 of the paper)
 *   r_i   = (|f'_l| + 1e-4) / ||w'_l||_1 · sign(w'_l)  (L∞, eq. 9 with p = ∞)
 *   r_tot += r_i,   x_{i+1} = clip(x_0 + (1 + overshoot) · r_tot)   (into the model's box)
 * </pre>
 * until x_{i+1} is misclassified or {@code steps} iterations have run; the 1e-4 is the reference
 * code's guard against vanishing steps. The result is x_0 + (1 + overshoot) · r_tot, clipped to the
 * box. Defaults (paper, LTS4/DeepFool, Foolbox): overshoot 0.02, 50 steps, candidates = the 10
 * classes with the largest clean logits (all classes when K &lt; 10). The default norm, by name in
 * {@link AttackRegistry} as well as in {@link #l2()}, is L2: the paper's attack (its tables report
 * ρ_adv = ||r||_2 / ||x||_2) and torchattacks' {@code DeepFool}, so that "deepfool" means what a user
 * of either expects; L∞ is the variant to ask for ({@code --norm linf}).
 *
 * <p>Parry's deviations: the overshoot multiplies the total perturbation, as in the original
 * (torchattacks applies it to every step, which inflates the minimal-norm metric); the candidate
 * is clipped to the box before success is checked (the original never clips) and a sample whose
 * crossing the clipping undid keeps iterating, linearizing at the clipped point; r_tot is
 * re-derived from the clipped point so that coordinates stuck at the box do not accumulate
 * perturbation that later steps would have to undo. k0 is the criterion's label: a sample already
 * misclassified is returned unchanged (AutoAttack's convention), where the original would push the
 * predicted class further. The gradient of each z_k - z_k0 is one backward pass over the samples
 * still attacked, so an iteration costs (candidates - 1) gradient passes and one forward pass.
 * Untargeted only. Not thread-safe (one PyTorch gradient collector per process).
 *
 * @param norm {@link Norm#L2} or {@link Norm#LINF}
 * @param steps the maximum number of iterations
 * @param overshoot the factor (1 + overshoot) on the total perturbation
 * @param candidates how many classes, by clean logit, the boundary search considers (the true
 *     class included)
 */
public record DeepFool(Norm norm, int steps, float overshoot, int candidates) implements Attack {

    /** The reference code's guard against vanishing steps, added to |f'|. */
    static final float MIN_GAP = 1e-4f;
    private static final float TINY = 1e-8f;

    public DeepFool {
        Objects.requireNonNull(norm, "norm");
        if (norm != Norm.L2 && norm != Norm.LINF) {
            throw new IllegalArgumentException(
                    "deepfool supports the l2 and linf norms, got " + norm.id());
        }
        Require.atLeast("steps", steps, 1);
        Require.nonNegative("overshoot", overshoot);
        Require.atLeast("candidates", candidates, 2);
    }

    /** The paper's L2 attack: 50 steps, overshoot 0.02, top-10 candidates. */
    public static DeepFool l2() {
        return new DeepFool(Norm.L2, 50, 0.02f, 10);
    }

    /** The L∞ variant (eq. 9 of the paper with p = ∞) with the same defaults; not the default norm. */
    public static DeepFool linf() {
        return new DeepFool(Norm.LINF, 50, 0.02f, 10);
    }

    @Override
    public String name() {
        return "deepfool";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("norm", norm.id());
        settings.put("steps", steps);
        settings.put("overshoot", overshoot);
        settings.put("candidates", candidates);
        return settings;
    }

    @Override
    public AttackResult run(Classifier model, NDArray x, Criterion criterion) {
        return runCounted(model, x, criterion).result();
    }

    /**
     * A run with, per sample, the number of iterations DeepFool took: the iteration in which the
     * sample was first misclassified (1 for the first), {@code steps} for a sample never
     * misclassified, 0 for one the criterion already held for at x.
     *
     * @param result what {@link #run} returns
     * @param iterations per sample, the iterations taken
     */
    public record Counted(AttackResult result, int[] iterations) {}

    /**
     * Like {@link #run}, and reports the iterations each sample took, which tells a caller whether
     * DeepFool converged (universal perturbations use a sample only if it crossed in fewer than
     * {@code steps - 1} iterations, as LTS4/universal does).
     */
    public Counted runCounted(Classifier model, NDArray x, Criterion criterion) {
        NoGradientClassifier.requireGradients(model, name());
        AttackResult.requireInputs(model, x, criterion);
        if (criterion.targeted()) {
            throw new IllegalArgumentException("deepfool is untargeted (it crosses the nearest"
                    + " decision boundary): pass a Misclassification criterion, or use pgd or"
                    + " cw-l2 for a target class");
        }
        long start = System.nanoTime();
        CountingClassifier counted = new CountingClassifier(model);
        int ranks = Math.min(candidates, model.numClasses());
        int[] iterations = new int[Math.toIntExact(x.getShape().get(0))];
        try (NDManager scope = x.getManager().newSubManager()) {
            NDList owned = new NDList(x);
            owned.addAll(criterion.arrays());
            scope.tempAttachAll(Batches.distinct(owned).toArray(new NDArray[0]));
            NDArray adversarial = x.duplicate();
            NDArray cleanLogits = counted.logits(x);
            long[] rows = IterativeGradientAttack.positions(
                    criterion.isAdversarial(cleanLogits).toBooleanArray(), false);
            if (rows.length > 0) {
                State state = new State();
                state.positions = scope.create(rows);
                state.clean = x.get(state.positions);
                state.criterion = criterion.subset(state.positions);
                state.others = others(scope, cleanLogits, criterion.labels(), rows, ranks);
                state.perturbation = state.clean.zerosLike();
                state.arrays().attach(scope);
                for (long row : rows) {
                    iterations[Math.toIntExact(row)] = steps;
                }
                for (int i = 0; i < steps && state.size() > 0; i++) {
                    try (NDManager step = scope.newSubManager()) {
                        state.arrays().attach(step);
                        iterate(counted, state, adversarial, i, ranks, iterations);
                        state.arrays().attach(scope);
                    }
                }
            }
            return new Counted(AttackResult.unbounded(counted, x, adversarial, criterion, start),
                    iterations);
        }
    }

    /** The samples still attacked. */
    private static final class State {
        NDArray positions;
        NDArray clean;
        Criterion criterion;
        /** [m, ranks - 1] the candidate classes other than the label, by clean logit. */
        NDArray others;
        /** r_tot, without the overshoot. */
        NDArray perturbation;

        int size() {
            return Math.toIntExact(positions.getShape().get(0));
        }

        NDList arrays() {
            NDList list = new NDList(positions, clean, others, perturbation);
            list.addAll(criterion.arrays());
            return Batches.distinct(list);
        }

        void keep(NDArray rows) {
            positions = positions.get(rows);
            clean = clean.get(rows);
            criterion = criterion.subset(rows);
            others = others.get(rows);
            perturbation = perturbation.get(rows);
        }
    }

    /**
     * DeepFool iteration {@code iteration} (from 0) on the active samples; writes the finished ones
     * to the result and their iteration count to {@code iterations}.
     */
    private void iterate(CountingClassifier model, State state, NDArray adversarial, int iteration,
            int ranks, int[] iterations) {
        boolean last = iteration == steps - 1;
        float scale = 1f + overshoot;
        NDArray current = model.bounds().clip(state.clean.add(state.perturbation.mul(scale)));
        NDArray labels = state.criterion.labels();
        NDArray bestDistance = null;
        NDArray bestGap = null;
        NDArray bestNormal = null;
        for (int r = 0; r < ranks - 1; r++) {
            NDArray other = state.others.get(new NDIndex(":, {}", r));
            LossGradient pass = model.lossGradient(current, labels, gapTo(other));
            NDArray gap = pass.loss();
            NDArray normal = pass.gradient();
            NDArray distance = gap.abs().div(dualNorm(normal).add(TINY));
            if (bestDistance == null) {
                bestDistance = distance;
                bestGap = gap;
                bestNormal = normal;
            } else {
                NDArray closer = distance.lt(bestDistance);
                bestDistance = NDArrays.where(closer, distance, bestDistance);
                bestGap = NDArrays.where(closer, gap, bestGap);
                bestNormal = NDArrays.where(Norm.perSample(closer, normal).broadcast(normal.getShape()),
                        normal, bestNormal);
            }
        }
        NDArray size = bestGap.abs().add(MIN_GAP);
        NDArray stepVector = norm == Norm.L2
                ? bestNormal.mul(Norm.perSample(
                        size.div(Norm.L2.of(bestNormal).square().add(TINY)), bestNormal))
                : bestNormal.sign().mul(Norm.perSample(
                        size.div(Norm.L1.of(bestNormal).add(TINY)), bestNormal));
        NDArray candidate = model.bounds().clip(state.clean.add(state.perturbation.add(stepVector)
                .mul(scale)));
        state.perturbation = candidate.sub(state.clean).div(scale);
        boolean[] hit = state.criterion.isAdversarial(model.logits(candidate)).toBooleanArray();
        long[] done = IterativeGradientAttack.positions(hit, true);
        long[] open = IterativeGradientAttack.positions(hit, false);
        NDManager manager = candidate.getManager();
        if (done.length > 0) {
            NDArray rows = manager.create(done);
            NDArray positions = state.positions.get(rows);
            adversarial.set(new NDIndex("{}", positions), candidate.get(rows));
            for (long position : positions.toLongArray()) {
                iterations[Math.toIntExact(position)] = iteration + 1;
            }
        }
        if (last && open.length > 0) {
            NDArray rows = manager.create(open);
            adversarial.set(new NDIndex("{}", state.positions.get(rows)), candidate.get(rows));
        }
        if (done.length > 0) {
            state.keep(manager.create(open));
        }
    }

    /** The per-sample loss z_other - z_label, whose input gradient is w'_k. */
    private static LogitLoss gapTo(NDArray other) {
        return (logits, labels) -> select(logits, other).sub(select(logits, labels));
    }

    private static NDArray select(NDArray logits, NDArray classes) {
        return logits.gather(classes.toType(DataType.INT64, false).reshape(-1, 1), 1).reshape(-1);
    }

    /** ||w||_q with q the dual of the attack norm: L2 for L2, L1 for L∞. */
    private NDArray dualNorm(NDArray gradient) {
        return norm == Norm.L2 ? Norm.L2.of(gradient) : Norm.L1.of(gradient);
    }

    /**
     * For each attacked sample, the {@code ranks - 1} classes with the largest clean logits other
     * than its label, in decreasing order.
     */
    private static NDArray others(NDManager manager, NDArray cleanLogits, NDArray labels,
            long[] rows, int ranks) {
        int classes = Math.toIntExact(cleanLogits.getShape().get(1));
        long[] order = cleanLogits.argSort(1, false).toType(DataType.INT64, false).toLongArray();
        long[] label = labels.toType(DataType.INT64, false).toLongArray();
        long[] chosen = new long[rows.length * (ranks - 1)];
        for (int i = 0; i < rows.length; i++) {
            int row = Math.toIntExact(rows[i]);
            int filled = 0;
            for (int j = 0; j < classes && filled < ranks - 1; j++) {
                long k = order[row * classes + j];
                if (k != label[row]) {
                    chosen[i * (ranks - 1) + filled++] = k;
                }
            }
        }
        return manager.create(chosen, new Shape(rows.length, ranks - 1));
    }
}
