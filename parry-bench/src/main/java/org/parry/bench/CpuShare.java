package org.parry.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How much of the machine's CPU time other processes took while a benchmark ran, from the
 * busy jiffies of {@code /proc/stat} minus this process's own ({@code /proc/self/stat} utime +
 * stime, plus cutime + cstime of the subprocesses it has waited for, such as the Python side of
 * {@code autoattack-robust}). Other work on a small machine distorts throughput, so the runner
 * prints this share next to every benchmark; a few percent is noise, tens of percent mean the
 * numbers are low.
 */
public final class CpuShare {

    private final long busyStart;
    private final long ownStart;
    private final long totalStart;

    private CpuShare(long busy, long own, long total) {
        this.busyStart = busy;
        this.ownStart = own;
        this.totalStart = total;
    }

    /** Starts a measurement. */
    public static CpuShare start() {
        long[] machine = machine();
        return new CpuShare(machine[0], own(), machine[1]);
    }

    /**
     * The fraction of all CPUs' time since {@link #start()} that other processes were busy, in
     * [0, 1], or NaN where {@code /proc} cannot be read.
     */
    public double othersFraction() {
        long[] machine = machine();
        long own = own();
        if (machine[0] < 0 || own < 0 || machine[1] <= totalStart) {
            return Double.NaN;
        }
        double others = (machine[0] - busyStart) - (own - ownStart);
        return Math.max(0, others / (machine[1] - totalStart));
    }

    /** {busy, total} jiffies summed over all CPUs, or {-1, -1}. */
    private static long[] machine() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                if (line.startsWith("cpu ")) {
                    String[] f = line.trim().split("\\s+");
                    long total = 0;
                    // user nice system idle iowait irq softirq steal (guest is inside user)
                    for (int i = 1; i <= Math.min(8, f.length - 1); i++) {
                        total += Long.parseLong(f[i]);
                    }
                    long idle = Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0);
                    return new long[] {total - idle, total};
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return new long[] {-1, -1};
    }

    /**
     * This process's user + system jiffies, and those of its children that it has waited for
     * (a benchmark's subprocess is its own work, not another process's), or -1.
     */
    private static long own() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // the command name (field 2) may contain spaces; fields after ')' start at field 3
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            // utime, stime, cutime, cstime: fields 14 to 17
            return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13])
                    + Long.parseLong(f[14]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
