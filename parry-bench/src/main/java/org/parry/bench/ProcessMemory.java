package org.parry.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The memory the process holds: resident set size from {@code /proc/self/status} (native
 * tensors live there, outside the JVM heap) and the JVM heap in use.
 */
public final class ProcessMemory {

    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessMemory() {}

    /**
     * The resident set size ({@code VmRSS}) in bytes, or -1 where {@code /proc} is not available
     * (not Linux).
     */
    public static long residentBytes() {
        return statusField("VmRSS:");
    }

    /** The peak resident set size ({@code VmHWM}) in bytes, or -1. */
    public static long peakResidentBytes() {
        return statusField("VmHWM:");
    }

    /** JVM heap in use (total - free) in bytes, right now, without collecting. */
    public static long heapUsedBytes() {
        Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }

    /**
     * JVM heap in use after asking for a full collection, so that it approximates the live heap
     * (DJL's array handles and their cleaners included).
     */
    public static long liveHeapBytes() {
        System.gc();
        return heapUsedBytes();
    }

    /** Bytes as mebibytes. */
    public static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }

    private static long statusField(String field) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(field)) {
                    String[] parts = line.substring(field.length()).trim().split("\\s+");
                    long value = Long.parseLong(parts[0]);
                    return parts.length > 1 && parts[1].equalsIgnoreCase("kB") ? value * 1024 : value;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
