package org.parry.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The processor's model name and feature flags, from /proc/cpuinfo ("unknown" elsewhere). */
public final class CpuInfo {

    private CpuInfo() {}

    /** e.g. "AMD EPYC". */
    public static String model() {
        return field("model name");
    }

    /** The kernel's feature flags, space-separated, e.g. "fpu ... avx512f ...". */
    public static String flags() {
        return field("flags");
    }

    /** The vector instruction sets among the flags, widest first, e.g. "avx512f avx2 fma". */
    public static String vectorIsa() {
        StringBuilder isa = new StringBuilder();
        for (String flag : flags().split(" ")) {
            if (flag.startsWith("avx") || flag.equals("fma") || flag.startsWith("amx")) {
                isa.append(isa.length() == 0 ? "" : " ").append(flag);
            }
        }
        return isa.length() == 0 ? "unknown" : isa.toString();
    }

    private static String field(String name) {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(line -> line.startsWith(name)).findFirst()
                    .map(line -> line.substring(line.indexOf(':') + 1).trim()).orElse("unknown");
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
