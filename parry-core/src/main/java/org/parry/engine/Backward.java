package org.parry.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;

/**
 * The one place where Parry runs a backward pass. On a machine where oneDNN's own backward fails
 * the engine self-test ({@link EngineCheck}), it runs with oneDNN switched off, so that every
 * convolution's gradient comes from libtorch's own kernels (im2col + GEMM) while forward passes
 * keep oneDNN; elsewhere it runs as libtorch chooses.
 *
 * <p>Why: on an AMD EPYC (family 26, AVX-512), oneDNN 3.7.1 in libtorch 2.7.1 returns wrong
 * float32 {@code backward_data} results for every convolution whose output channels are not a
 * multiple of its channel block (16 under AVX-512, 8 under AVX2): 1&rarr;6 channels on
 * 28&times;28 inputs (LeNet-5's first layer) gave input gradients 8&ndash;25% off the float64 ones,
 * NaN at times, and a different answer from call to call, while the forward pass was right to
 * 1e-7. Capping oneDNN's ISA at AVX2 did not help; its plain-layout GEMM path and libtorch's own
 * kernels were right. PyTorch selects a convolution's backend again in its backward, so turning
 * oneDNN off only for the backward fixes every gradient, of Parry's models and of TorchScript
 * files alike. For input gradients (attacks) it costs nothing measurable (small CNN, batch 128:
 * 1,490&ndash;1,940 images/s fwd+bwd against 1,180&ndash;1,700 with oneDNN's backward); weight
 * gradients (training) are slower on libtorch's kernels, which is why machines whose oneDNN is
 * right keep it (docs/engine.md has the numbers).
 */
public final class Backward {

    private Backward() {}

    /**
     * A new gradient collector, once the engine self-test has passed on this machine ({@link
     * EngineCheck#require()}: cached, so a second of work once per machine and engine). The check
     * runs here, before the collector opens, because the self-test needs a collector of its own.
     *
     * @throws EngineFaultException when the self-test failed and the engine is not trusted anyway
     */
    public static GradientCollector collector() {
        EngineCheck.require();
        return Engine.getInstance().newGradientCollector();
    }

    /**
     * {@code collector.backward(loss)}, with oneDNN off for its duration on a machine where
     * oneDNN's own backward failed the engine self-test.
     *
     * @param collector the open gradient collector that recorded the forward pass (from {@link
     *     #collector()})
     * @param loss a scalar to differentiate
     */
    public static void run(GradientCollector collector, NDArray loss) {
        raw(collector, loss, EngineCheck.bypassOneDnn());
    }

    /**
     * {@code collector.backward(loss)} on libtorch's default kernels (oneDNN) when {@code
     * oneDnnVerified}, else as {@link #run(GradientCollector, NDArray)}. Only for a caller that has
     * checked oneDNN's result for its own computation against the bypass's: the trainer does, on a
     * model's first batch, because oneDNN's weight gradients are several times faster than
     * libtorch's own and were right in every case tried here, while its input gradients for some
     * shapes were not.
     */
    public static void run(GradientCollector collector, NDArray loss, boolean oneDnnVerified) {
        raw(collector, loss, !oneDnnVerified && EngineCheck.bypassOneDnn());
    }

    /**
     * A backward pass that keeps its graph and records one of its own (PyTorch's {@code
     * backward(create_graph=True)}), inside an open gradient collector: the leaves' gradients then
     * carry a graph, so that a loss built from them (an input-gradient penalty) can be
     * differentiated again by the collector's own backward: double backprop. DJL reaches it only
     * through the internal {@link JniUtils#backward}. It accumulates first-order gradients into
     * every leaf that requires them, the model's parameters included: the caller must clear those
     * before the real backward. On a machine whose oneDNN backward failed the self-test it runs
     * with oneDNN off, as {@link #run(GradientCollector, NDArray)} does.
     *
     * @param scalar the scalar to differentiate
     */
    public static void withGraph(NDArray scalar) {
        EngineCheck.require();
        PtNDArray target = (PtNDArray) scalar;
        TorchContext torch = EngineCheck.bypassOneDnn() ? TorchContext.instance().orElse(null) : null;
        boolean wasEnabled = torch != null && torch.oneDnnEnabled();
        if (torch != null) {
            torch.setOneDnnEnabled(false);
        }
        try (PtNDArray ones = (PtNDArray) target.getManager().ones(target.getShape(),
                target.getDataType())) {
            JniUtils.backward(target, ones, true, true);
        } finally {
            if (torch != null) {
                torch.setOneDnnEnabled(wasEnabled);
            }
        }
    }

    /**
     * The backward pass without the self-test guard, for the self-test itself.
     *
     * @param bypassOneDnn whether to switch oneDNN off for the pass (when libtorch's context can
     *     be reached; otherwise the pass runs as libtorch chooses)
     */
    static void raw(GradientCollector collector, NDArray loss, boolean bypassOneDnn) {
        TorchContext torch = bypassOneDnn ? TorchContext.instance().orElse(null) : null;
        if (torch == null) {
            collector.backward(loss);
            return;
        }
        boolean wasEnabled = torch.oneDnnEnabled();
        torch.setOneDnnEnabled(false);
        try {
            collector.backward(loss);
        } finally {
            torch.setOneDnnEnabled(wasEnabled);
        }
    }
}
