package org.parry.eval;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntConsumer;
import org.parry.attack.Attack;
import org.parry.attack.AttackResult;
import org.parry.attack.Require;
import org.parry.attack.TransferAttack;
import org.parry.criterion.Misclassification;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.model.Classifier;
import org.parry.model.EnsembleClassifier;
import org.parry.model.InputCheck;

/**
 * The black-box evaluation of Tramèr, Kurakin, Papernot, Goodfellow, Boneh and McDaniel
 * ("Ensemble adversarial training: attacks and defenses", ICLR 2018, tables 2 and 8): every model
 * is a source for every model, under every attack. The examples each attack crafts on source s
 * (untargeted, true labels) are judged on every target t, and the matrix holds the target's
 * <em>error rate</em> on them, the fraction of all samples whose adversarial example t
 * misclassifies (clean errors included, as in the paper's tables; 1 - error is the accuracy under
 * attack). The diagonal s = t is the white-box error. Per target the "worst black-box" is the
 * largest error over every source other than the target and every attack. Each (attack, source)
 * pair is crafted once per batch and judged on all targets ({@link TransferAttack#judge}).
 * A query-only model (an ONNX file, a {@link org.parry.model.NoGradientClassifier}) is a target
 * only: its row of every attack is NaN, and it is never anybody's worst source.
 *
 * @param models the models' names, indexing sources and targets
 * @param attacks the attacks' names
 * @param attackSettings each attack's settings
 * @param n the number of samples
 * @param cleanError per target, its error on the clean samples
 * @param errorRate errorRate[attack][source][target], NaN for a source without gradients
 * @param gradients per attack and source, the gradients crafting took
 */
public record TransferMatrix(List<String> models, List<String> attacks,
        List<Map<String, Object>> attackSettings, int n, double[] cleanError,
        double[][][] errorRate, long[][] gradients) {

    /**
     * A model of the matrix and the name it goes by.
     *
     * @param name e.g. the file name
     * @param classifier the model; only gradients of models used as sources are asked for
     */
    public record Model(String name, Classifier classifier) {
        public Model {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(classifier, "classifier");
        }
    }

    /**
     * The worst black-box attack on one target.
     *
     * @param target the target's name
     * @param errorRate the largest error over sources other than the target and attacks
     * @param source the source that reached it
     * @param attack the attack that reached it
     */
    public record Worst(String target, double errorRate, String source, String attack) {}

    /**
     * Measures the matrix on {@code data}, batch by batch.
     *
     * @param progress told the number of samples done: 0 when it starts, then after each batch
     * @throws IllegalArgumentException for fewer than two models, none or repeated names, models
     *     of different tasks, or a data set that does not fit them
     */
    public static TransferMatrix measure(List<Model> models, List<Attack> attacks,
            ImageDataset data, int batchSize, IntConsumer progress) {
        if (models.size() < 2) {
            throw new IllegalArgumentException("a transfer matrix needs at least two models (each"
                    + " is a source for the others), got " + models.size());
        }
        if (attacks.isEmpty()) {
            throw new IllegalArgumentException("a transfer matrix needs at least one attack");
        }
        Require.atLeast("batch size", batchSize, 1);
        List<String> names = models.stream().map(Model::name).toList();
        if (names.stream().distinct().count() != names.size()) {
            throw new IllegalArgumentException("the models' names must differ, got " + names);
        }
        for (Model model : models) {
            EnsembleClassifier.requireSameTask(models.get(0).classifier(), model.classifier(),
                    "model");
            InputCheck.requireCompatible(model.classifier(), data);
        }
        if (models.stream().noneMatch(model -> model.classifier().hasGradients())) {
            throw new IllegalArgumentException("no model of the transfer matrix has gradients, so"
                    + " none can be a source; add a differentiable model (a Parry model, a"
                    + " TorchScript file, or a substitute from 'parry substitute')");
        }
        int m = models.size();
        long[] cleanErrors = new long[m];
        long[][][] errors = new long[attacks.size()][m][m];
        long[][] gradients = new long[attacks.size()][m];
        progress.accept(0);
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int b = 0; b < data.numBatches(batchSize); b++) {
                try (NDManager scope = manager.newSubManager()) {
                    Batch batch = data.batchNumber(scope, b, batchSize);
                    Misclassification criterion = new Misclassification(batch.y());
                    for (int t = 0; t < m; t++) {
                        cleanErrors[t] += count(criterion.isAdversarial(
                                models.get(t).classifier().logits(batch.x())).toBooleanArray());
                    }
                    for (int a = 0; a < attacks.size(); a++) {
                        for (int s = 0; s < m; s++) {
                            if (!models.get(s).classifier().hasGradients()) {
                                continue;
                            }
                            long start = System.nanoTime();
                            AttackResult crafted = attacks.get(a).run(models.get(s).classifier(),
                                    batch.x(), criterion);
                            gradients[a][s] += crafted.gradients();
                            for (int t = 0; t < m; t++) {
                                errors[a][s][t] += TransferAttack.judge(crafted,
                                        models.get(t).classifier(), batch.x(), criterion, start)
                                        .successes();
                            }
                        }
                    }
                }
                progress.accept(Math.min(data.size(), (b + 1) * batchSize));
            }
        }
        int n = data.size();
        double[] cleanError = new double[m];
        double[][][] errorRate = new double[attacks.size()][m][m];
        for (int t = 0; t < m; t++) {
            cleanError[t] = (double) cleanErrors[t] / n;
        }
        for (int a = 0; a < attacks.size(); a++) {
            for (int s = 0; s < m; s++) {
                boolean source = models.get(s).classifier().hasGradients();
                for (int t = 0; t < m; t++) {
                    errorRate[a][s][t] = source ? (double) errors[a][s][t] / n : Double.NaN;
                }
            }
        }
        return new TransferMatrix(names, attacks.stream().map(Attack::name).toList(),
                attacks.stream().map(Attack::settings).toList(), n, cleanError, errorRate,
                gradients);
    }

    private static long count(boolean[] flags) {
        long count = 0;
        for (boolean flag : flags) {
            count += flag ? 1 : 0;
        }
        return count;
    }

    /** The error of {@code target} on the examples {@code attack} crafted on {@code source}. */
    public double errorRate(int attack, int source, int target) {
        return errorRate[attack][source][target];
    }

    /**
     * Per target, the largest error over sources other than itself and over attacks; null for a
     * target no other model can attack (every other model is query-only).
     */
    public List<Worst> worstBlackBox() {
        List<Worst> worst = new ArrayList<>();
        for (int t = 0; t < models.size(); t++) {
            Worst best = null;
            for (int a = 0; a < attacks.size(); a++) {
                for (int s = 0; s < models.size(); s++) {
                    if (s != t && !Double.isNaN(errorRate[a][s][t])
                            && (best == null || errorRate[a][s][t] > best.errorRate())) {
                        best = new Worst(models.get(t), errorRate[a][s][t], models.get(s),
                                attacks.get(a));
                    }
                }
            }
            worst.add(best);
        }
        return worst;
    }
}
