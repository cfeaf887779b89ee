/**
 * End-to-end throughput benchmarks of Parry on the JVM, run by {@link org.parry.bench.Bench}.
 *
 * <p>Every benchmark warms up, then times several repetitions and reports the median and the
 * spread (min..max). All benchmarks chosen on the command line run in the same process, one after
 * the other, so ratios between them (for example the gradient pass's FLOP rate against the sgemm
 * roofline) compare numbers taken under the same conditions:
 *
 * <ul>
 *   <li>{@link org.parry.bench.SgemmBenchmark} ({@code sgemm}): a 2048x2048 float32 matrix product
 *       through DJL, the machine's practical FLOP roofline;
 *   <li>{@link org.parry.bench.GradientBenchmark} ({@code gradient}): forward+backward input
 *       gradients and forward-only logits of zoo CNNs, as images/s and as achieved GFLOP/s from an
 *       analytic FLOP count ({@link org.parry.bench.FlopCounter});
 *   <li>{@link org.parry.bench.MemoryBenchmark} ({@code memory}): process RSS and JVM heap over
 *       thousands of gradient steps, to show native memory stays flat;
 *   <li>{@link org.parry.bench.TrainingBenchmark} ({@code training}): images/s of training
 *       {@code small-cnn} with {@link org.parry.train.Trainer}.
 * </ul>
 *
 * <p>Shared pieces: {@link org.parry.bench.Timing} (warm-up, calibration, repetitions),
 * {@link org.parry.bench.Stats} (median and spread), {@link org.parry.bench.ProcessMemory} (RSS and
 * heap), {@link org.parry.bench.CpuShare} (how much CPU other processes took meanwhile: numbers
 * taken on a busy machine are flagged), {@link org.parry.bench.Models} (initialized zoo
 * classifiers), {@link org.parry.bench.FlopCounter}, {@link org.parry.bench.Table} (text output),
 * {@link org.parry.bench.NativeMalloc} (the optional {@code --malloc-tuning}).
 */
package org.parry.bench;
