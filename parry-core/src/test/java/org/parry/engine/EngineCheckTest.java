package org.parry.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.parry.loss.CrossEntropyLoss;
import org.parry.model.Classifier;
import org.parry.testing.TestModels;

/** A failed self-test stops every gradient, in one line, unless the user trusts the engine. */
class EngineCheckTest {

    @AfterEach
    void restore() {
        EngineCheck.override(null);
        EngineCheck.trustAnyway(false);
    }

    @Test
    void aFailedSelfTestStopsGradientsUnlessTrusted() {
        Classifier model = TestModels.syntheticCnn(); // trained (with gradients) before the fault
        SelfTest.Check wrong = new SelfTest.Check("conv 1->6 input gradient", 0.15,
                SelfTest.FLOAT32_LIMIT);
        EngineCheck.override(EngineCheck.of(
                new SelfTest.Result(java.util.List.of(wrong), true, 0.5), null, "test"));
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomUniform(0f, 1f, new Shape(2).addAll(model.inputShape()));
            NDArray y = manager.create(new int[] {1, 2});

            model.logits(x); // forward passes need no gradient and still run
            assertThatThrownBy(() -> model.lossGradient(x, y, CrossEntropyLoss.get()))
                    .isInstanceOf(EngineFaultException.class)
                    .hasMessageContaining("conv 1->6 input gradient: 0.150")
                    .hasMessageContaining("parry doctor")
                    .hasMessageContaining("--trust-engine")
                    .hasMessageNotContaining("\n");

            EngineCheck.trustAnyway(true);
            assertThat(model.lossGradient(x, y, CrossEntropyLoss.get()).gradient().getShape())
                    .isEqualTo(x.getShape());
        }
    }
}
