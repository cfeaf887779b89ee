package org.parry.bench;

import java.nio.file.Path;

/**
 * The command line the page-writing tables share ({@link BlackBoxTable}, {@link
 * PurificationTable}): {@code [--work DIR] [--out FILE] [--mnist DIR] [--points N] [--quick]}.
 *
 * @param work where models and measured parts are cached
 * @param out the Markdown page written
 * @param mnist MNIST's files, or null to leave MNIST out
 * @param points test images measured
 * @param quick a short run (fewer epochs and points, its own work directory) to try the pipeline
 */
record TableArguments(Path work, Path out, Path mnist, int points, boolean quick) {

    /**
     * Parses {@code args}; a wrong argument prints the usage and exits with status 2.
     *
     * @param command the script's name, for the usage line
     * @param page the page's name under {@code docs}, e.g. {@code black-box}; the work directory
     *     defaults to {@code runs/<page>}
     */
    static TableArguments parse(String[] args, String command, String page) {
        Path work = Path.of("runs", page);
        Path out = Path.of("docs", page + ".md");
        Path mnist = null;
        int points = 500;
        boolean quick = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--work" -> work = Path.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--mnist" -> mnist = Path.of(args[++i]);
                case "--points" -> points = Integer.parseInt(args[++i]);
                case "--quick" -> quick = true;
                default -> {
                    System.err.println("usage: " + command + " [--work DIR] [--out FILE]"
                            + " [--mnist DIR] [--points N] [--quick]");
                    System.exit(2);
                }
            }
        }
        return new TableArguments(work, out, mnist, points, quick);
    }
}
