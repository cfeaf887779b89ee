package org.parry.defense;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parry.data.Batch;
import org.parry.loss.CrossEntropyLoss;
import org.parry.model.Classifier;
import org.parry.train.PreparedBatch;
import org.parry.train.TrainingNetwork;
import org.parry.train.TrainingObjective;

/**
 * Ensemble adversarial training (Tramèr, Kurakin, Papernot, Goodfellow, Boneh and McDaniel,
 * "Ensemble adversarial training: attacks and defenses", ICLR 2018): the training adversarial
 * examples come in turn from the model itself and from static, pre-trained models that never
 * change, so the model cannot make itself look robust by masking its own gradients. Each batch,
 * the next source in the rotation (the model, then each static model) crafts FGSM examples at ε
 * with its own predicted labels (against label leaking); the loss is
 * α·CE(f(x), y) + (1 − α)·CE(f(x'), y), α = 0.5 as in the paper's MNIST code. The rotation restarts
 * every epoch, so a resumed run repeats an uninterrupted one.
 *
 * @see FgsmAdversarialTraining the same objective with the model as its only source
 */
public final class EnsembleAdversarialTraining implements TrainingObjective {

    private final float epsilon;
    private final float cleanWeight;
    private final List<Classifier> sources;
    private final List<String> sourceNames;
    private final long[] batchesPerSource;
    private int next;

    /**
     * @param epsilon the L∞ radius of the training FGSM
     * @param cleanWeight α, the weight of the clean loss
     * @param sources the static models, at least one; the objective closes them
     * @param sourceNames what the model card records for each (e.g. their paths)
     */
    public EnsembleAdversarialTraining(float epsilon, float cleanWeight, List<Classifier> sources,
            List<String> sourceNames) {
        Require.epsilon(epsilon);
        Require.fraction("cleanWeight", cleanWeight);
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("ensemble adversarial training needs at least one"
                    + " static source model (ensemble-at.sources=DIR1,DIR2)");
        }
        if (sources.size() != sourceNames.size()) {
            throw new IllegalArgumentException("one name per source model");
        }
        this.epsilon = epsilon;
        this.cleanWeight = cleanWeight;
        this.sources = List.copyOf(sources);
        this.sourceNames = List.copyOf(sourceNames);
        this.batchesPerSource = new long[sources.size() + 1];
    }

    @Override
    public String name() {
        return "ensemble-at";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("epsilon", epsilon);
        settings.put("cleanWeight", cleanWeight);
        settings.put("sources", sourceNames);
        settings.put("labels", TrainingLabels.PREDICTED.id());
        return settings;
    }

    @Override
    public void startEpoch(int epoch, int epochs) {
        next = 0;
        java.util.Arrays.fill(batchesPerSource, 0);
    }

    @Override
    public PreparedBatch prepare(Classifier model, Batch batch) {
        int chosen = next;
        next = (next + 1) % batchesPerSource.length;
        batchesPerSource[chosen]++;
        Classifier source = chosen == 0 ? model : sources.get(chosen - 1);
        if (!source.inputShape().equals(model.inputShape())
                || source.numClasses() != model.numClasses()) {
            throw new IllegalArgumentException("static model " + sourceNames.get(chosen - 1)
                    + " takes " + source.inputShape() + " inputs with " + source.numClasses()
                    + " classes, but the model being trained takes " + model.inputShape() + " with "
                    + model.numClasses() + "; give source models trained on the same data set");
        }
        NDArray gradient = source.lossGradient(batch.x(),
                TrainingLabels.PREDICTED.of(source, batch), CrossEntropyLoss.get()).gradient();
        NDArray adversarial = model.bounds().clip(batch.x().add(gradient.sign().mul(epsilon)));
        return PreparedBatch.withAdversarial(batch, adversarial);
    }

    @Override
    public StepLoss loss(TrainingNetwork network, PreparedBatch prepared) {
        return Mixed.loss(network, prepared, cleanWeight);
    }

    /** Share of the epoch's batches each source crafted: "ensemble_share_self", then per model. */
    @Override
    public Map<String, Double> epochStatistics() {
        long total = java.util.Arrays.stream(batchesPerSource).sum();
        Map<String, Double> statistics = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        names.add("self");
        for (int i = 1; i <= sources.size(); i++) {
            names.add("static" + i);
        }
        for (int i = 0; i < names.size(); i++) {
            statistics.put("ensemble_share_" + names.get(i),
                    total == 0 ? 0.0 : (double) batchesPerSource[i] / total);
        }
        return statistics;
    }

    @Override
    public void close() {
        sources.forEach(Classifier::close);
    }
}
