package org.parry.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.parry.loss.CrossEntropyLoss;

/**
 * The engine self-test: the float32 kernels Parry's gradients rest on, each run forward and
 * backward on fixed random inputs and compared with the same computation in float64, and the
 * float64 gradient of a small network compared with central finite differences.
 *
 * <p>Cases: convolutions with 2, 4, 6, 8, 10, 16, 32 and 64 output channels on 8&times;8 to
 * 32&times;32 inputs (the output-channel counts that are not a multiple of 16 are those that broke
 * on one AVX-512 CPU), strided and padded ones, a linear layer, max and average pooling, batch
 * normalization in evaluation mode, and softmax cross-entropy. Each is checked forward, and
 * backward for its input (attacks) and, for convolutions, its weights (training). The loss is
 * {@code sum(f(x) * r)} with a fixed random {@code r}, so the gradient is {@code J^T r}; each float32
 * case runs twice and both runs must agree with float64 (a kernel that reads memory it never wrote
 * answers differently from call to call).
 *
 * <p>Limits: a relative L2 error of 1e-4 for float32 against float64 (honest kernels give
 * 1e-7&ndash;1e-6; the fault this test was written for gave 0.05&ndash;0.25 or NaN), and 1e-6 for
 * the float64 gradient against central differences along a random unit direction (step 1e-5;
 * truncation error about 1e-10).
 *
 * <p>Runs in about half a second on two cores. Backward passes go through {@link Backward#raw}
 * with oneDNN either bypassed, as Parry runs them, or not, which shows whether this machine's
 * oneDNN backward is sound on its own ({@code parry doctor} prints both).
 */
public final class SelfTest {

    /** Relative error allowed between a float32 and a float64 gradient. */
    public static final double FLOAT32_LIMIT = 1e-4;
    /** Relative error allowed between a float64 gradient and finite differences. */
    public static final double FINITE_DIFFERENCE_LIMIT = 1e-6;

    /** Changes whenever the checks change, so that cached verdicts of older tests are not reused. */
    public static final int REVISION = 3;

    private static final long SEED = 20261205L;

    /**
     * One comparison.
     *
     * @param name what was checked, e.g. "conv 1->6 28x28 N=16 input gradient"
     * @param error the relative error (NaN when the result was not finite)
     * @param limit the largest error that passes
     */
    public record Check(String name, double error, double limit) {
        /** Whether the error is finite and within the limit. */
        public boolean passed() {
            return error <= limit;
        }
    }

    /**
     * The verdict of one run.
     *
     * @param checks every comparison, in order
     * @param bypassOneDnn whether backward passes ran with oneDNN off
     * @param seconds wall time
     */
    public record Result(List<Check> checks, boolean bypassOneDnn, double seconds) {
        public Result {
            checks = List.copyOf(checks);
        }

        /** Whether every check passed. */
        public boolean passed() {
            return checks.stream().allMatch(Check::passed);
        }

        /** The failed checks. */
        public List<Check> failures() {
            return checks.stream().filter(check -> !check.passed()).toList();
        }

        /** The check that came nearest to failing (or failed worst): largest error / limit. */
        public Check worst() {
            return checks.stream().max(Comparator.comparingDouble(SelfTest::severity)).orElseThrow();
        }
    }

    /** {@code op} maps the differentiated tensor (an input or a weight, {@code role}) to outputs. */
    private record Case(String name, String role, Shape input, Function<NDArray, NDArray> op) {}

    private SelfTest() {}

    private static double severity(Check check) {
        return Double.isNaN(check.error()) ? Double.POSITIVE_INFINITY : check.error() / check.limit();
    }

    /**
     * Runs every check.
     *
     * @param bypassOneDnn whether backward passes run with oneDNN off (as {@link Backward#run}
     *     does) or with libtorch's default kernels
     */
    public static Result run(boolean bypassOneDnn) {
        long start = System.nanoTime();
        List<Check> checks = new ArrayList<>();
        Random random = new Random(SEED);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            for (Case c : cases(manager, random)) {
                checks.addAll(compare(manager, c, random, bypassOneDnn));
            }
            checks.add(finiteDifferences(manager, random, bypassOneDnn));
        }
        return new Result(checks, bypassOneDnn, (System.nanoTime() - start) / 1e9);
    }

    private static List<Case> cases(NDManager manager, Random random) {
        List<Case> cases = new ArrayList<>();
        int[][] convs = { // in, out, size, batch, kernel, stride, padding
            {1, 6, 28, 16, 5, 1, 0}, {1, 4, 8, 4, 5, 1, 0}, {1, 2, 28, 8, 3, 1, 1},
            {1, 8, 28, 8, 3, 1, 1}, {3, 6, 32, 8, 5, 1, 0}, {1, 10, 28, 16, 3, 2, 1},
            {1, 16, 28, 8, 5, 1, 2}, {6, 16, 14, 8, 5, 1, 0}, {32, 64, 14, 4, 3, 1, 1}};
        for (int[] c : convs) {
            NDArray weight = parameter(manager, random, new Shape(c[1], c[0], c[4], c[4]), c[0] * c[4] * c[4]);
            NDArray bias = parameter(manager, random, new Shape(c[1]), 4);
            String name = String.format("conv %d->%d %dx%d k%d s%d p%d N=%d", c[0], c[1], c[2], c[2],
                    c[4], c[5], c[6], c[3]);
            Shape input = new Shape(c[3], c[0], c[2], c[2]);
            cases.add(new Case(name, "input", input,
                    x -> Conv2d.conv2d(x, cast(weight, x), cast(bias, x), new Shape(c[5], c[5]),
                            new Shape(c[6], c[6]), new Shape(1, 1), 1).singletonOrThrow()));
            // two samples: weight gradients sum over the batch, and libtorch's are slow in float64
            NDArray data = uniform(manager, random, new Shape(2, c[0], c[2], c[2]));
            cases.add(new Case(name.replaceAll("N=\\d+", "N=2"), "weight", weight.getShape(),
                    w -> Conv2d.conv2d(cast(data, w), w, cast(bias, w), new Shape(c[5], c[5]),
                            new Shape(c[6], c[6]), new Shape(1, 1), 1).singletonOrThrow()));
        }
        NDArray linearWeight = parameter(manager, random, new Shape(10, 300), 300);
        NDArray linearBias = parameter(manager, random, new Shape(10), 4);
        cases.add(new Case("linear 300->10 N=32", "input", new Shape(32, 300),
                x -> Linear.linear(x, cast(linearWeight, x), cast(linearBias, x)).singletonOrThrow()));
        cases.add(new Case("max pool 2x2 6x24x24 N=8", "input", new Shape(8, 6, 24, 24),
                x -> Pool.maxPool2d(x, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false)));
        cases.add(new Case("avg pool 3x3 s2 6x24x24 N=8", "input", new Shape(8, 6, 24, 24),
                x -> Pool.avgPool2d(x, new Shape(3, 3), new Shape(2, 2), new Shape(1, 1), false, true)));
        NDArray mean = parameter(manager, random, new Shape(6), 4);
        NDArray variance = parameter(manager, random, new Shape(6), 1).abs().add(0.5);
        NDArray gamma = parameter(manager, random, new Shape(6), 1);
        NDArray beta = parameter(manager, random, new Shape(6), 4);
        cases.add(new Case("batch norm (eval) 6x12x12 N=8", "input", new Shape(8, 6, 12, 12),
                x -> BatchNorm.batchNorm(x, cast(mean, x), cast(variance, x), cast(gamma, x),
                        cast(beta, x), 1, 0.1f, 1e-5f, false).singletonOrThrow()));
        NDArray labels = labels(manager, random, 32);
        cases.add(new Case("softmax cross-entropy 10 classes N=32", "input", new Shape(32, 10),
                x -> CrossEntropyLoss.get().perSample(x.mul(3), labels)));
        return cases;
    }

    /** Weights scaled like a default initialization, in float64 (cast per case). */
    private static NDArray parameter(NDManager manager, Random random, Shape shape, int fanIn) {
        return normal(manager, random, shape).div(Math.sqrt(fanIn));
    }

    private static NDArray normal(NDManager manager, Random random, Shape shape) {
        double[] values = new double[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextGaussian();
        }
        return manager.create(values, shape);
    }

    private static NDArray uniform(NDManager manager, Random random, Shape shape) {
        double[] values = new double[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextDouble();
        }
        return manager.create(values, shape);
    }

    private static NDArray labels(NDManager manager, Random random, int n) {
        long[] values = new long[n];
        for (int i = 0; i < n; i++) {
            values[i] = random.nextInt(10);
        }
        return manager.create(values);
    }

    private static NDArray cast(NDArray parameter, NDArray like) {
        return parameter.toType(like.getDataType(), true);
    }

    /** The forward output (once per operation) and the gradient, float32 against float64. */
    private static List<Check> compare(NDManager parent, Case c, Random random,
            boolean bypassOneDnn) {
        try (NDManager scope = parent.newSubManager()) {
            NDArray x = uniform(scope, random, c.input());
            NDArray output = c.op().apply(x);
            NDArray direction = normal(scope, random, output.getShape());
            NDArray reference = gradient(c.op(), x, direction, bypassOneDnn);
            NDArray single = x.toType(DataType.FLOAT32, true);
            double forward = 0;
            double backward = 0;
            for (int call = 0; call < 2; call++) {
                forward = Math.max(forward, relativeError(c.op().apply(single), output));
                backward = Math.max(backward, relativeError(gradient(c.op(), single,
                        direction.toType(DataType.FLOAT32, true), bypassOneDnn), reference));
            }
            List<Check> checks = new ArrayList<>();
            if (c.role().equals("input")) {
                checks.add(new Check(c.name() + " forward, float32 vs float64", forward,
                        FLOAT32_LIMIT));
            }
            checks.add(new Check(c.name() + " " + c.role() + " gradient, float32 vs float64",
                    backward, FLOAT32_LIMIT));
            return checks;
        }
    }

    /** d/dx sum(op(x) * direction), in x's type. */
    private static NDArray gradient(Function<NDArray, NDArray> op, NDArray x, NDArray direction,
            boolean bypassOneDnn) {
        NDArray leaf = x.duplicate();
        leaf.setRequiresGradient(true);
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray loss = op.apply(leaf).mul(direction).sum();
            Backward.raw(collector, loss, bypassOneDnn);
        }
        return leaf.getGradient().duplicate();
    }

    /** The float64 gradient of conv -> batch norm -> ReLU -> pool -> linear -> CE, against central differences. */
    private static Check finiteDifferences(NDManager parent, Random random,
            boolean bypassOneDnn) {
        try (NDManager scope = parent.newSubManager()) {
            NDArray weight = parameter(scope, random, new Shape(6, 1, 5, 5), 25);
            NDArray gamma = parameter(scope, random, new Shape(6), 1);
            NDArray beta = parameter(scope, random, new Shape(6), 4);
            NDArray mean = parameter(scope, random, new Shape(6), 4);
            NDArray variance = parameter(scope, random, new Shape(6), 1).abs().add(0.5);
            NDArray dense = parameter(scope, random, new Shape(10, 6 * 6 * 6), 216);
            NDArray labels = labels(scope, random, 4);
            Function<NDArray, NDArray> network = x -> {
                NDArray y = Conv2d.conv2d(x, weight, null, new Shape(1, 1), new Shape(0, 0),
                        new Shape(1, 1), 1).singletonOrThrow();
                y = BatchNorm.batchNorm(y, mean, variance, gamma, beta, 1, 0.1f, 1e-5f, false)
                        .singletonOrThrow();
                y = Pool.maxPool2d(y.maximum(0), new Shape(2, 2), new Shape(2, 2), new Shape(0, 0),
                        false);
                return CrossEntropyLoss.get().perSample(Linear.linear(y.reshape(4, -1), dense, null).singletonOrThrow(),
                        labels);
            };
            NDArray x = uniform(scope, random, new Shape(4, 1, 16, 16));
            NDArray ones = scope.ones(new Shape(4), DataType.FLOAT64);
            NDArray g = gradient(network, x, ones, bypassOneDnn);
            NDArray d = normal(scope, random, x.getShape());
            d = d.div(d.norm());
            double h = 1e-5;
            double numeric = (network.apply(x.add(d.mul(h))).sum().getDouble()
                    - network.apply(x.sub(d.mul(h))).sum().getDouble()) / (2 * h);
            double analytic = g.mul(d).sum().getDouble();
            double error = Math.abs(analytic - numeric) / Math.max(g.norm().getDouble(), 1e-300);
            return new Check("small network (conv, batch norm, ReLU, max pool, linear, CE) float64"
                    + " gradient vs finite differences", Double.isFinite(error) ? error : Double.NaN,
                    FINITE_DIFFERENCE_LIMIT);
        }
    }

    private static double relativeError(NDArray value, NDArray reference) {
        NDArray difference = value.toType(DataType.FLOAT64, true).sub(reference);
        double error = difference.norm().getDouble() / Math.max(reference.norm().getDouble(), 1e-300);
        return Double.isFinite(error) ? error : Double.NaN;
    }
}
