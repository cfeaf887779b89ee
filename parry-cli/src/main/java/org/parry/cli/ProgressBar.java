package org.parry.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.IntConsumer;

/**
 * A one-line progress bar on standard error: fraction done, counts, a free-form status (loss,
 * accuracy, throughput) and the time left. Redraws in place on a terminal, at most ten times a
 * second; elsewhere (logs, CI) it prints a line every tenth of the way.
 */
final class ProgressBar {

    private static final int WIDTH = 24;

    private final String label;
    private final long total;
    private final PrintStream out = System.err;
    private final boolean terminal = System.console() != null;
    private final long start = System.nanoTime();
    private long lastDraw;
    private long lastDecile = -1;

    ProgressBar(String label, long total) {
        this.label = label;
        this.total = Math.max(total, 1);
    }

    /**
     * A bar made when the work reports its first progress, so that its clock starts then and not
     * when the command starts (the test bar of {@code train} counted the training time as test
     * time: "10000/10000 155.9s" for a 14-second evaluation).
     */
    static IntConsumer whenStarted(String label, long total) {
        ProgressBar[] bar = new ProgressBar[1];
        return done -> {
            if (bar[0] == null) {
                bar[0] = new ProgressBar(label, total);
            }
            bar[0].update(done, "");
        };
    }

    void update(long done, String status) {
        long now = System.nanoTime();
        boolean finished = done >= total;
        if (terminal) {
            if (!finished && now - lastDraw < 100_000_000L) {
                return;
            }
            lastDraw = now;
            out.print("\r" + line(done, status, now) + (finished ? "\n" : ""));
        } else {
            long decile = done * 10 / total;
            if (decile == lastDecile) {
                return;
            }
            lastDecile = decile;
            out.println(line(done, status, now));
        }
        out.flush();
    }

    private String line(long done, String status, long now) {
        double fraction = Math.min(1.0, (double) done / total);
        int filled = (int) Math.round(fraction * WIDTH);
        double elapsed = (now - start) / 1e9;
        double left = done == 0 ? 0 : elapsed * (total - done) / done;
        return String.format(Locale.ROOT, "%-12s [%s%s] %3.0f%% %d/%d %s %s", label,
                "=".repeat(filled), " ".repeat(WIDTH - filled), 100 * fraction, done, total,
                status, done >= total ? String.format(Locale.ROOT, "%.1fs", elapsed)
                        : String.format(Locale.ROOT, "ETA %.0fs", left));
    }
}
