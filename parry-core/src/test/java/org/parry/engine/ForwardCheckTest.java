package org.parry.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ForwardCheckTest {

    @AfterEach
    void oneDnnBackOn() {
        ForwardCheck.reset();
    }

    @Test
    void aForwardPassThatDiffersWithOneDnnSwitchesOneDnnOffAndSaysSo() {
        assumeTrue(TorchContext.instance().isPresent(), "libtorch's context is not reachable here");
        TorchContext torch = TorchContext.instance().get();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray probe = manager.randomUniform(0f, 1f, new Shape(4, 3));
            // a kernel that is off by 1% only while oneDNN is on
            ForwardCheck.verify("faulty", x -> torch.oneDnnEnabled() ? x.mul(1.01f) : x, probe);
            assertThat(torch.oneDnnEnabled()).isFalse();
            assertThat(ForwardCheck.fault()).get().asString()
                    .contains("'faulty'").contains("oneDNN is off");
        }
    }

    @Test
    void aNaNOnlyWithOneDnnIsAFaultAndAnHonestKernelIsLeftAlone() {
        assumeTrue(TorchContext.instance().isPresent(), "libtorch's context is not reachable here");
        TorchContext torch = TorchContext.instance().get();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray probe = manager.randomUniform(0f, 1f, new Shape(4, 3));
            ForwardCheck.verify("honest", x -> x.mul(2f), probe);
            assertThat(torch.oneDnnEnabled()).isTrue();
            assertThat(ForwardCheck.fault()).isEmpty();
            ForwardCheck.verify("nan", x -> torch.oneDnnEnabled() ? x.div(0f).mul(0f) : x, probe);
            assertThat(torch.oneDnnEnabled()).isFalse();
            assertThat(ForwardCheck.fault()).get().asString().contains("NaN");
        }
    }

    @Test
    void theConvolutionsThatFailedOnOneCpuAgreeWithFloat64OnceChecked() {
        // After the check, a 17-channel convolution (an ODENet's time channel) is right on every
        // machine: either oneDNN was right here, or the check switched it off.
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomUniform(0f, 1f, new Shape(8, 17, 13, 13));
            NDArray w = manager.randomNormal(new Shape(16, 17, 3, 3)).div(12f);
            java.util.function.UnaryOperator<NDArray> conv = in -> ai.djl.nn.convolutional.Conv2d
                    .conv2d(in, w.toType(in.getDataType(), false), null, new Shape(1, 1),
                            new Shape(1, 1), new Shape(1, 1), 1).singletonOrThrow();
            ForwardCheck.verify("conv 17->16", conv, x);
            NDArray reference = conv.apply(x.toType(ai.djl.ndarray.types.DataType.FLOAT64, false));
            for (int call = 0; call < 3; call++) {
                NDArray single = conv.apply(x).toType(ai.djl.ndarray.types.DataType.FLOAT64, false);
                double error = single.sub(reference).norm().getDouble() / reference.norm().getDouble();
                assertThat(error).as("call %d", call).isLessThan(SelfTest.FLOAT32_LIMIT);
            }
        }
    }
}
