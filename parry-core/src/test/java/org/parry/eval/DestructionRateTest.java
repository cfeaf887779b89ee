package org.parry.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.parry.attack.AttackResult;
import org.parry.attack.Pgd;
import org.parry.criterion.Misclassification;
import org.parry.data.Batch;
import org.parry.data.ImageDataset;
import org.parry.model.Bounds;
import org.parry.model.Classifier;
import org.parry.model.Pipeline;
import org.parry.model.Stage;
import org.parry.norm.Norm;
import org.parry.physical.Brightness;
import org.parry.physical.GaussianBlur;
import org.parry.physical.Photo;
import org.parry.testing.AffineClassifier;
import org.parry.testing.TestModels;

/**
 * The destruction rate counts what Kurakin et al. count: a hand-computed example on a model whose
 * logits are its pixels; the identity destroys nothing and the clean image everything; batches do
 * not change it; and PGD with EOT over the photo emulation makes adversarial examples that the
 * photo destroys less often than plain PGD's.
 */
class DestructionRateTest {

    /** T adds 0.5 to pixel 0 (the logit of class 0), clipped: it helps the label 0. */
    private record RaiseFirst() implements Stage {
        @Override
        public String name() {
            return "raise-first";
        }

        @Override
        public Map<String, Object> settings() {
            return Map.of();
        }

        @Override
        public NDArray apply(NDArray x, Bounds bounds, SplittableRandom random) {
            float[] bump = new float[Math.toIntExact(x.getShape().get(3))];
            bump[0] = 0.5f;
            return bounds.clip(x.add(x.getManager().create(bump, new Shape(1, 1, 1, bump.length))));
        }

        @Override
        public boolean differentiable() {
            return true;
        }
    }

    /** T replaces any input by the clean images. */
    private record Restore(NDArray clean) implements Stage {
        @Override
        public String name() {
            return "restore";
        }

        @Override
        public Map<String, Object> settings() {
            return Map.of();
        }

        @Override
        public NDArray apply(NDArray x, Bounds bounds, SplittableRandom random) {
            return clean.duplicate();
        }

        @Override
        public boolean differentiable() {
            return false;
        }
    }

    @Test
    void aHandComputedExample() {
        float[][] identity = new float[7][7];
        for (int k = 0; k < 7; k++) {
            identity[k][k] = 1f;
        }
        Classifier pixels = new AffineClassifier(identity, new float[7], new Shape(1, 1, 7));
        // Every label is 0; the logits are the pixels. Ranks of the label in brackets.
        float[][] clean = {
            {0.9f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f},   // a [0]
            {0.8f, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f},   // b [0]
            {0.7f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f},   // c [0]
            {0.3f, 0.9f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f},   // d [1]: wrong, in the top 5
            {0.9f, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f}};  // e [0]
        float[][] adversarial = {
            {0.5f, 0.6f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f},   // [1]; T: 1.0 [0]  destroyed top-1
            {0.0f, 0.6f, 0.7f, 0.8f, 0.9f, 1.0f, 0.65f},  // [6]; T: 0.5 [6]  survives both
            {0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.1f},   // [5]; T: 0.7 [0]  destroyed both
            clean[3],                                      // not counted: clean-wrong
            clean[4]};                                     // [0]: the attack failed
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(clean).reshape(5, 1, 1, 7);
            NDArray adv = manager.create(adversarial).reshape(5, 1, 1, 7);
            NDArray labels = manager.create(new int[5]);
            DestructionRate d = DestructionRate.measure(pixels, x, labels, adv, new RaiseFirst(),
                    new SplittableRandom(0));
            assertThat(d).isEqualTo(new DestructionRate("raise-first", Map.of(), 5, 4, 3, 2, 2, 1,
                    4, 5));
            assertThat(d.rate()).isEqualTo(2.0 / 3);
            assertThat(d.rateTop5()).isEqualTo(0.5);
            assertThat(d.cleanAccuracy()).isEqualTo(0.8);
            assertThat(d.transformedCleanAccuracy()).as("T leaves d wrong: 0.3 + 0.5 < 0.9")
                    .isEqualTo(0.8);
            assertThat(d.transformedCleanTop5Accuracy()).isEqualTo(1.0);
            assertThatThrownBy(() -> DestructionRate.measure(pixels, x, labels, adv.get("0:4"),
                    new RaiseFirst(), new SplittableRandom(0)))
                    .hasMessageContaining("give one adversarial image per clean image");
        }
    }

    private static AttackResult pgd(Classifier model, Batch batch, float epsilon) {
        return Pgd.builder(Norm.LINF, epsilon).optSteps(10).optSeed(1).build()
                .run(model, batch.x(), new Misclassification(batch.y()));
    }

    @Test
    void theIdentityDestroysNothingAndTheCleanImageEverything() {
        Classifier cnn = TestModels.syntheticCnn();
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = TestModels.syntheticTest().batch(manager, 0, 64);
            AttackResult result = pgd(cnn, batch, 0.15f);
            NDArray adv = result.adversarial(manager);
            SplittableRandom random = new SplittableRandom(0);
            DestructionRate identity = DestructionRate.measure(cnn, batch.x(), batch.y(), adv,
                    Brightness.of(0f), random);
            assertThat(identity.adversarial()).as("the successes of PGD")
                    .isEqualTo(result.successes()).isGreaterThan(10);
            assertThat(identity.rate()).isZero();
            assertThat(identity.adversarialTop5()).as("PGD on cross-entropy pushes some labels out"
                    + " of the top 5").isPositive();
            assertThat(identity.rateTop5()).isZero();
            assertThat(identity.transformedCleanCorrect()).isEqualTo(identity.cleanCorrect());

            DestructionRate restore = DestructionRate.measure(cnn, batch.x(), batch.y(), adv,
                    new Restore(batch.x()), random);
            assertThat(restore.destroyed()).isEqualTo(restore.adversarial()).isPositive();
            assertThat(restore.rate()).isEqualTo(1.0);
            assertThat(restore.rateTop5()).isEqualTo(1.0);
            assertThat(restore.transformedCleanAccuracy()).isEqualTo(restore.cleanAccuracy());

            DestructionRate blur = DestructionRate.measure(cnn, batch.x(), batch.y(), adv,
                    GaussianBlur.of(1f), random);
            assertThat(blur.destroyed()).isBetween(0, blur.adversarial());
            assertThat(blur.transformedCleanTop5()).isGreaterThanOrEqualTo(
                    blur.transformedCleanCorrect());
        }
    }

    @Test
    void overATallyBatchesDoNotChangeTheCountsAndASeedFixesARandomTransform() {
        Classifier cnn = TestModels.syntheticCnn();
        ImageDataset data = TestModels.syntheticTest().first(40);
        AttackTally tally = new DataSetAttack(Pgd.builder(Norm.LINF, 0.15f).optSteps(5).build(),
                null, 16, 0, true).run(cnn, data, DataSetAttack.Listener.NONE);
        DestructionRate whole = DestructionRate.measure(cnn, tally, GaussianBlur.of(1f), 40, 0);
        assertThat(DestructionRate.measure(cnn, tally, GaussianBlur.of(1f), 7, 0)).isEqualTo(whole);
        assertThat(whole.n()).isEqualTo(40);
        assertThat(whole.cleanCorrect()).isEqualTo(tally.cleanCorrect());
        assertThat(whole.adversarial()).isEqualTo(tally.successes());
        Photo photo = Photo.standard();
        List<DestructionRate> twice = List.of(DestructionRate.measure(cnn, tally, photo, 16, 5),
                DestructionRate.measure(cnn, tally, photo, 16, 5));
        assertThat(twice.get(0)).isEqualTo(twice.get(1));
        assertThat(DestructionRate.table(cnn, tally, List.of(GaussianBlur.of(1f), photo), 16, 5))
                .containsExactly(whole, twice.get(0));

        AttackTally noImages = new DataSetAttack(Pgd.builder(Norm.LINF, 0.15f).optSteps(1).build(),
                null, 16, 0, false).run(cnn, data.first(4), DataSetAttack.Listener.NONE);
        assertThatThrownBy(() -> DestructionRate.measure(cnn, noImages, photo, 16, 0))
                .hasMessageContaining("run the DataSetAttack with keepImages");
    }

    /**
     * Athalye et al.'s point, in miniature: PGD that averages its gradient over 8 draws of the
     * photo emulation (a pipeline with eot 8) finds examples that survive the photo, which plain
     * PGD's do not; the destruction rate under the photo (judged on the bare network, 4 photo
     * draws per example) drops.
     */
    @Test
    void eotOverThePhotoMakesExamplesThePhotoDestroysLess() {
        Classifier cnn = TestModels.syntheticCnn();
        try (NDManager manager = NDManager.newBaseManager();
                Pipeline photographed = Pipeline.builder(cnn).add(Photo.standard()).eot(8).seed(2)
                        .build()) {
            Batch batch = TestModels.syntheticTest().batch(manager, 0, 100);
            NDArray plain = pgd(cnn, batch, 0.15f).adversarial(manager);
            NDArray eot = pgd(photographed, batch, 0.15f).adversarial(manager);
            DestructionRate plainRate = null;
            DestructionRate eotRate = null;
            SplittableRandom random = new SplittableRandom(3);
            for (int draw = 0; draw < 4; draw++) {
                DestructionRate p = DestructionRate.measure(cnn, batch.x(), batch.y(), plain,
                        Photo.standard(), random);
                DestructionRate e = DestructionRate.measure(cnn, batch.x(), batch.y(), eot,
                        Photo.standard(), random);
                plainRate = plainRate == null ? p : plainRate.plus(p);
                eotRate = eotRate == null ? e : eotRate.plus(e);
            }
            System.err.printf("destruction by the photo emulation: plain PGD %d/%d = %.3f,"
                    + " EOT-PGD %d/%d = %.3f (4 draws of 100 images; photo's own clean accuracy"
                    + " %.3f)%n", plainRate.destroyed(), plainRate.adversarial(), plainRate.rate(),
                    eotRate.destroyed(), eotRate.adversarial(), eotRate.rate(),
                    plainRate.transformedCleanAccuracy());
            assertThat(plainRate.adversarial()).isGreaterThan(100);
            assertThat(eotRate.adversarial()).isGreaterThan(100);
            // Measured 376/388 = 0.969 against 160/352 = 0.455.
            assertThat(eotRate.rate()).as("EOT survives the photo").isLessThan(plainRate.rate() - 0.3);
        }
    }
}
