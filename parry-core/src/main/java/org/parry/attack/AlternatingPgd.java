package org.parry.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.parry.criterion.Criterion;
import org.parry.loss.AttackLoss;
import org.parry.model.Classifier;
import org.parry.model.NoGradientClassifier;
import org.parry.norm.Norm;
import org.parry.norm.RandomNoise;

/**
 * PGD with alternating objectives (Antoniou, Georgiou and Potamianos, "Alternating objectives
 * generates stronger PGD-based adversarial attacks", arXiv:2212.07992, 2022; code
 * nikosanto13/alternating-objectives): L∞ PGD whose loss switches during the run. The T steps are
 * split into consecutive blocks, one per loss L_1 .. L_m, block j covering the steps
 * floor((j-1) T / m) &lt;= t &lt; floor(j T / m) (for T = 100: [0, 50), [50, 100) with two losses;
 * [0, 33), [33, 66), [66, 100) with three):
 * <pre>
 *   x_0 = x,   x_{t+1} = Proj_{B(x, ε) ∩ [0,1]}(x_t + α · sign(∇ L_{j(t)}(x_t, y)))
 * </pre>
 * with CE the cross-entropy, CW the margin max_{k≠y} z_k - z_y (no κ) and DLR Croce and Hein's
 * difference of logits ratio. Defaults: CE → CW → DLR, T = 100, α = ε / 4, one run from the
 * clean image. Any misclassified iterate is kept (success is tracked across blocks, never a loss
 * value, whose scale changes with the loss), and a sample stops once broken.
 *
 * <p>Parry's deviations: with restarts &gt; 1 the first run still starts at the clean image and
 * only the later ones start at a random vertex x + ε · sign(U(-1, 1)) (the reference randomizes
 * every run once there are several), so more restarts never weaken the attack; the step-size
 * schedules the paper studies (GAMA-style piecewise, per-block cosine) are not offered, only its
 * fixed α. The loop is {@link IterativeGradientAttack}. Not thread-safe.
 *
 * @param epsilon the L∞ radius
 * @param stepSize α
 * @param steps T
 * @param restarts runs, each on the samples still robust
 * @param losses the losses in schedule order, at most {@code steps} of them
 * @param seed the random starts' seed (used only when restarts &gt; 1)
 */
public record AlternatingPgd(float epsilon, float stepSize, int steps, int restarts,
        List<AttackLoss> losses, long seed) implements Attack {

    public AlternatingPgd {
        Require.epsilon(Norm.LINF, epsilon);
        Require.positive("stepSize", stepSize);
        Require.atLeast("steps", steps, 1);
        Require.atLeast("restarts", restarts, 1);
        Objects.requireNonNull(losses, "losses");
        losses = List.copyOf(losses);
        if (losses.isEmpty()) {
            throw new IllegalArgumentException(
                    "losses must name at least one loss (e.g. ce,cw,dlr)");
        }
        if (losses.size() > steps) {
            throw new IllegalArgumentException("losses: " + losses.size() + " losses need at least"
                    + " as many steps, got steps=" + steps);
        }
    }

    /** The paper's default: CE → CW → DLR, 100 steps, α = ε / 4, one run from the clean image. */
    public static AlternatingPgd of(float epsilon) {
        return new AlternatingPgd(epsilon, epsilon / 4f, 100, 1,
                List.of(AttackLoss.CE, AttackLoss.CW, AttackLoss.DLR), 0L);
    }

    /** Parses a schedule such as {@code ce,cw,dlr}. */
    public static List<AttackLoss> parseLosses(String text) {
        List<AttackLoss> parsed = new ArrayList<>();
        for (String part : text.split(",")) {
            if (part.isBlank()) {
                throw new IllegalArgumentException("losses '" + text + "' has an empty entry;"
                        + " write them comma-separated, e.g. ce,cw,dlr");
            }
            parsed.add(AttackLoss.parse(part));
        }
        return parsed;
    }

    /** The loss ascended at step {@code step} (from 0). */
    public AttackLoss lossAt(int step) {
        if (step < 0 || step >= steps) {
            throw new IllegalArgumentException("step must be in [0, " + steps + "), got " + step);
        }
        int[] ends = blockEnds();
        int block = 0;
        while (step >= ends[block]) {
            block++;
        }
        return losses.get(block);
    }

    /** The step at which each loss's block ends (exclusive): floor(j T / m), j = 1 .. m. */
    public int[] blockEnds() {
        int m = losses.size();
        int[] ends = new int[m];
        for (int j = 1; j <= m; j++) {
            ends[j - 1] = (int) ((long) j * steps / m);
        }
        return ends;
    }

    @Override
    public String name() {
        return "alt-pgd";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("norm", Norm.LINF.id());
        settings.put("epsilon", epsilon);
        settings.put("stepSize", stepSize);
        settings.put("steps", steps);
        settings.put("restarts", restarts);
        settings.put("losses",
                losses.stream().map(AttackLoss::id).collect(Collectors.joining(",")));
        settings.put("seed", seed);
        return settings;
    }

    @Override
    public AttackResult run(Classifier model, NDArray x, Criterion criterion) {
        NoGradientClassifier.requireGradients(model, name());
        AttackResult.requireInputs(model, x, criterion);
        if (losses.contains(AttackLoss.DLR)) {
            Apgd.requireClasses(model, criterion.targeted() ? 4 : 3, name(),
                    criterion.targeted() ? "the targeted DLR loss" : "the DLR loss",
                    "a schedule without dlr (e.g. losses=ce,cw)");
        }
        long start = System.nanoTime();
        CountingClassifier counted = new CountingClassifier(model);
        try (NDManager scope = x.getManager().newSubManager()) {
            NDList owned = new NDList(x);
            owned.addAll(criterion.arrays());
            scope.tempAttachAll(Batches.distinct(owned).toArray(new NDArray[0]));
            NDArray adversarial = IterativeGradientAttack.run(counted, x, criterion, Norm.LINF,
                    epsilon, stepSize, steps, restarts, true,
                    (clean, restart) -> restart == 0 ? clean : clean.add(RandomNoise.uniform(
                            clean.getManager(), clean.getShape(), -1f, 1f, seed + 7919L * restart)
                            .sign().mul(epsilon)),
                    (step, active) -> lossAt(step).forCriterion(active, Float.POSITIVE_INFINITY));
            return AttackResult.bounded(counted, x, adversarial, criterion, Norm.LINF, epsilon,
                    start);
        }
    }
}
