package org.parry.attack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.parry.criterion.Misclassification;
import org.parry.model.OnnxClassifier;

/**
 * Every attack of the registry on a query-only model (the ONNX fixture of {@code
 * onnx/make_onnx_fixture.py}): an attack that needs gradients refuses it before any query, with
 * the message that names what works instead, never with an engine error from deep inside its
 * loop; an attack that runs uses no gradient.
 */
class QueryOnlyModelTest {

    private static final Float[] EPSILONS = {0.1f, null};
    private static final Integer[] STEPS = {5, null};

    @Test
    void whiteBoxAttacksRefuseUpFrontAndQueryAttacksRun() throws Exception {
        List<String> refused = new ArrayList<>();
        List<String> ran = new ArrayList<>();
        Path file = Paths.get(QueryOnlyModelTest.class.getResource("/onnx/tiny_cnn.onnx").toURI());
        try (NDManager manager = NDManager.newBaseManager();
                OnnxClassifier model = OnnxClassifier.load(file, new Shape(1, 8, 8))) {
            float[] pixels = new float[4 * 64];
            java.util.Random random = new java.util.Random(3);
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = random.nextFloat();
            }
            NDArray x = manager.create(pixels, new Shape(4, 1, 8, 8));
            NDArray labels = model.logits(x).argMax(1);
            for (String name : AttackRegistry.names()) {
                Attack attack = create(name);
                long queries = model.queries();
                try {
                    AttackResult result = attack.run(model, x, new Misclassification(labels));
                    assertThat(result.gradients()).as(name).isZero();
                    assertThat(result.queries()).as(name).isPositive();
                    ran.add(name);
                } catch (IllegalStateException e) {
                    assertThat(e.getMessage()).as(name)
                            .startsWith(attack.name() + " needs input gradients, but model"
                                    + " 'tiny_cnn.onnx' has no gradients")
                            .contains("use a query attack (square, one-pixel)")
                            .contains("a transfer attack from a substitute or source model"
                                    + " (parry attack --source MODEL)")
                            .contains("train a substitute");
                    assertThat(model.queries()).as(name + " refused before any query")
                            .isEqualTo(queries);
                    refused.add(name);
                }
            }
        }
        System.out.printf("on a query-only model: ran %s, refused %s%n", ran, refused);
        assertThat(ran).contains("square");
        assertThat(refused).contains("fgsm", "pgd", "cw-l2", "deepfool", "apgd-ce", "fab");
        assertThat(ran.size() + refused.size()).isEqualTo(AttackRegistry.names().size());
    }

    /** The attack with ε = 0.1 and 5 steps where it has them (the registry refuses the rest). */
    private static Attack create(String name) {
        for (Float epsilon : EPSILONS) {
            for (Integer steps : STEPS) {
                try {
                    return AttackRegistry.create(name,
                            new AttackOptions(null, epsilon, steps, 0, Map.of()));
                } catch (IllegalArgumentException e) {
                    // an ε or steps the attack does not have: try without
                }
            }
        }
        return fail("attack '" + name + "' cannot be created with default settings");
    }
}
