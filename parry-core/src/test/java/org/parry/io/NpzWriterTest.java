package org.parry.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The .npz writer: exact .npy v1.0 headers, data layout, and NumPy reading the result. */
class NpzWriterTest {

    private static final Path PYTHON = Path.of("/usr/bin/python3");

    @Test
    void headerIsNpyVersion1PaddedTo64Bytes() {
        byte[] header = NpzWriter.header(NpzWriter.DType.FLOAT32, 2, 3);
        assertThat(header.length % NpzWriter.ALIGNMENT).isZero();
        assertThat(java.util.Arrays.copyOf(header, 6)).isEqualTo(NpzWriter.MAGIC);
        assertThat(header[6]).isEqualTo((byte) 1);
        assertThat(header[7]).isEqualTo((byte) 0);
        int length = ByteBuffer.wrap(header, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xFFFF;
        assertThat(length).isEqualTo(header.length - 10);
        String dict = new String(header, 10, length, StandardCharsets.US_ASCII);
        assertThat(dict).startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }")
                .endsWith("\n");
        assertThat(dict.strip()).endsWith("}");

        assertThat(dictOf(NpzWriter.header(NpzWriter.DType.INT64, 5))).contains("'shape': (5,)")
                .contains("'<i8'");
        assertThat(dictOf(NpzWriter.header(NpzWriter.DType.BOOL))).contains("'shape': ()")
                .contains("'|b1'");
        assertThat(dictOf(NpzWriter.header(NpzWriter.DType.INT32, 4, 1, 28, 28)))
                .contains("'shape': (4, 1, 28, 28)").contains("'<i4'");
    }

    @Test
    void writesEveryArrayAsLittleEndianCOrder(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("sub").resolve("arrays.npz");
        try (NpzWriter npz = NpzWriter.create(file)) {
            npz.writeFloat32("x", new float[] {0f, 0.5f, -1.25f, 3f, 1e-8f, Float.MAX_VALUE}, 2, 3)
                    .writeInt64("y", new int[] {7, -1, Integer.MAX_VALUE}, 3)
                    .writeInt32("k", new int[] {1, 2}, 2)
                    .writeBool("ok", new boolean[] {true, false, true}, 3);
        }
        Map<String, byte[]> entries = entries(file);
        assertThat(entries.keySet()).containsExactly("x.npy", "y.npy", "k.npy", "ok.npy");

        ByteBuffer x = data(entries.get("x.npy"));
        assertThat(x.remaining()).isEqualTo(6 * 4);
        assertThat(new float[] {x.getFloat(), x.getFloat(), x.getFloat(), x.getFloat(), x.getFloat(),
            x.getFloat()}).containsExactly(0f, 0.5f, -1.25f, 3f, 1e-8f, Float.MAX_VALUE);
        ByteBuffer y = data(entries.get("y.npy"));
        assertThat(y.remaining()).isEqualTo(3 * 8);
        assertThat(new long[] {y.getLong(), y.getLong(), y.getLong()})
                .containsExactly(7L, -1L, Integer.MAX_VALUE);
        ByteBuffer k = data(entries.get("k.npy"));
        assertThat(new int[] {k.getInt(), k.getInt()}).containsExactly(1, 2);
        ByteBuffer ok = data(entries.get("ok.npy"));
        assertThat(new byte[] {ok.get(), ok.get(), ok.get()}).containsExactly(1, 0, 1);
    }

    /** Larger than the writer's 64 KiB buffer, so chunk boundaries are crossed. */
    @Test
    void largeArraysSurviveChunking(@TempDir Path dir) throws IOException {
        float[] values = new float[100_003];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.5f;
        }
        Path file = dir.resolve("big.npz");
        try (NpzWriter npz = NpzWriter.create(file)) {
            npz.writeFloat32("v", values, values.length);
        }
        ByteBuffer data = data(entries(file).get("v.npy"));
        assertThat(data.remaining()).isEqualTo(values.length * 4);
        for (float value : values) {
            assertThat(data.getFloat()).isEqualTo(value);
        }
    }

    @Test
    void rejectsMismatchedShapesDuplicatesAndBadNames(@TempDir Path dir) throws IOException {
        try (NpzWriter npz = NpzWriter.create(dir.resolve("bad.npz"))) {
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> npz.writeFloat32("x", new float[5], 2, 3));
            assertThat(shape).hasMessageContaining("6 elements").hasMessageContaining("5 were given");
            npz.writeInt64("y", new long[] {1}, 1);
            assertThat(assertThrows(IllegalArgumentException.class,
                    () -> npz.writeInt64("y", new long[] {1}, 1))).hasMessageContaining("already");
            assertThat(assertThrows(IllegalArgumentException.class,
                    () -> npz.writeBool("a/b", new boolean[1], 1))).hasMessageContaining("identifier");
            assertThat(assertThrows(IllegalArgumentException.class,
                    () -> npz.writeBool("z", new boolean[0], -1))).hasMessageContaining("negative");
        }
    }

    /** The real consumer: NumPy (Debian's python3-numpy); skipped where it is not installed. */
    @Test
    void numpyLoadsIt(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(hasNumpy(), "/usr/bin/python3 with numpy is not installed");
        Path file = dir.resolve("check.npz");
        float[] x = new float[2 * 1 * 3 * 4];
        for (int i = 0; i < x.length; i++) {
            x[i] = i / 10f;
        }
        try (NpzWriter npz = NpzWriter.create(file)) {
            npz.writeFloat32("x_adv", x, 2, 1, 3, 4)
                    .writeInt64("y", new int[] {3, 9}, 2)
                    .writeBool("success", new boolean[] {true, false}, 2)
                    .writeInt32("scalar", new int[] {42});
        }
        String script = String.join("\n",
                "import sys, numpy as np",
                "d = np.load(sys.argv[1])",
                "assert sorted(d.files) == ['scalar', 'success', 'x_adv', 'y'], d.files",
                "x = d['x_adv']",
                "assert x.dtype == np.float32 and x.shape == (2, 1, 3, 4), (x.dtype, x.shape)",
                "assert np.allclose(x.ravel(), np.arange(24, dtype=np.float32) / 10)",
                "assert x[1, 0, 2, 3] == np.float32(23 / 10)",
                "assert d['y'].dtype == np.int64 and list(d['y']) == [3, 9]",
                "assert d['success'].dtype == np.bool_ and list(d['success']) == [True, False]",
                "assert d['scalar'].shape == () and d['scalar'] == 42",
                "print('ok')");
        assertThat(python(script, file.toString())).isEqualTo("ok");
    }

    static boolean hasNumpy() throws IOException, InterruptedException {
        if (!Files.isExecutable(PYTHON)) {
            return false;
        }
        Process process = new ProcessBuilder(PYTHON.toString(), "-c", "import numpy")
                .redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        return process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0;
    }

    /** Runs a Python script and returns its trimmed output; fails with the output otherwise. */
    static String python(String script, String... args) throws IOException, InterruptedException {
        java.util.List<String> command = new java.util.ArrayList<>(
                java.util.List.of(PYTHON.toString(), "-c", script));
        command.addAll(java.util.List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("python finished").isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return output.strip();
    }

    static Map<String, byte[]> entries(Path file) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (InputStream in = Files.newInputStream(file); ZipInputStream zip = new ZipInputStream(in)) {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                zip.transferTo(bytes);
                entries.put(entry.getName(), bytes.toByteArray());
            }
        }
        return entries;
    }

    /** The data after an entry's header, positioned at its first element, little-endian. */
    static ByteBuffer data(byte[] npy) {
        assertThat(java.util.Arrays.copyOf(npy, 6)).isEqualTo(NpzWriter.MAGIC);
        int length = ByteBuffer.wrap(npy, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xFFFF;
        assertThat((10 + length) % NpzWriter.ALIGNMENT).isZero();
        return ByteBuffer.wrap(npy, 10 + length, npy.length - 10 - length).slice()
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    private static String dictOf(byte[] header) {
        return new String(header, 10, header.length - 10, StandardCharsets.US_ASCII);
    }
}
