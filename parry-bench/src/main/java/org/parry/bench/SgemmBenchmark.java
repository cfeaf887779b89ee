package org.parry.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The roofline: an {@code n x n} by {@code n x n} float32 matrix product ({@code n = 2048})
 * through DJL's {@link NDArray#matMul} (PyTorch's CPU sgemm), reported as
 * {@code 2 n^3 / seconds} GFLOP/s. Inputs are uniform random, allocated once; each product's
 * result is freed right away. Its median is what {@link GradientBenchmark} compares with.
 */
public final class SgemmBenchmark implements Benchmark {

    /** The matrix side. */
    public static final int N = 2048;

    @Override
    public String name() {
        return "sgemm";
    }

    @Override
    public String description() {
        return N + "x" + N + " float32 matmul through DJL -> GFLOP/s (the roofline)";
    }

    @Override
    public Map<String, Object> run(BenchContext context) throws Exception {
        double flops = 2.0 * N * N * N;
        Timing.Result result;
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.randomUniform(-1f, 1f, new Shape(N, N));
            NDArray b = manager.randomUniform(-1f, 1f, new Shape(N, N));
            result = context.timing(4).measure(() -> {
                try (NDArray c = a.matMul(b)) {
                    c.getShape();
                }
            });
        }
        Stats gflops = result.rate(flops / 1e9);
        Stats millis = result.secondsPerOp().scale(1e3);
        context.setRoofline(gflops.median());

        new Table("case", "ms/op (median, min..max)", "GFLOP/s (median, min..max, spread)")
                .row("matmul " + N + "x" + N, millis.format("%.1f"), gflops.format("%.1f"))
                .print(context.out());
        context.out().printf("  FLOPs per product: 2*n^3 = %.3g; %d products per repetition%n",
                flops, result.opsPerRepetition());

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("n", N);
        json.put("flops_per_op", flops);
        json.put("ops_per_repetition", result.opsPerRepetition());
        json.put("ms_per_op", millis.toJson());
        json.put("gflops", gflops.toJson());
        return json;
    }
}
