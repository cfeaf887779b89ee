package org.parry.experiments;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.parry.Versions;
import org.parry.eval.DefenseComparison;
import org.parry.eval.DefenseComparison.ModelResults;
import org.parry.eval.Measure;
import org.parry.experiments.DefenseGrid.Row;
import org.parry.experiments.DefenseGrid.Section;
import org.parry.io.AtomicFiles;

/**
 * Regenerates docs/defenses.md: trains the models of {@link DefenseGrid} that are not cached,
 * measures what is missing through {@link DefenseComparison} (AutoAttack, the slowest, last),
 * and after every number rewrites {@code docs/defenses/results.json} and the page ({@link
 * DefensePage}).
 *
 * <pre>
 * defense-table [--work DIR] [--out FILE] [--mnist DIR] [--aa-points N] [--quick] [--page-only]
 *               [SECTION...]
 *   SECTION: main, overfitting, mnist, madry (default: all); --page-only rewrites the page from
 *   the results without computing anything; --quick is a smoke test on tiny subsets, written to
 *   runs/defenses-quick
 * </pre>
 */
public final class DefenseTable {

    /** The command that regenerates docs/defenses.md, as the page names it. */
    public static final String COMMAND = "./defense-table --mnist ../shared/data/mnist";
    /** Test images for AutoAttack unless {@code --aa-points} says otherwise. */
    public static final int AUTOATTACK_POINTS = 500;

    private final DefenseGrid grid;
    private final DefenseComparison comparison;
    private final Path out;
    private final Path resultsFile;
    private final String command;
    private final int autoAttackPoints;
    private final Path mnist;
    private final PrintStream log;

    private DefenseTable(Arguments arguments, PrintStream log) throws IOException {
        this.grid = new DefenseGrid(arguments.work(), arguments.quick(), arguments.aaPoints());
        this.comparison = new DefenseComparison(arguments.work(),
                dataset -> dataset.equals("mnist") ? arguments.mnist() : null, log);
        this.out = arguments.out();
        this.resultsFile = resultsFile(out);
        this.command = arguments.quick() ? COMMAND.replace("table", "table --quick") : COMMAND;
        this.autoAttackPoints = arguments.aaPoints();
        this.mnist = arguments.mnist();
        this.log = log;
    }

    /** Where the results of the page {@code page} are kept: {@code <page's name>/results.json}. */
    public static Path resultsFile(Path page) {
        String name = page.getFileName().toString().replaceFirst("\\.md$", "");
        Path parent = page.toAbsolutePath().getParent();
        return parent.resolve(name).resolve("results.json");
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        Arguments arguments = Arguments.parse(args);
        try {
            new DefenseTable(arguments, System.err).run(arguments.sections());
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println("defense-table: " + e.getMessage());
            System.exit(2);
        }
    }

    private void run(List<String> sectionIds) throws IOException {
        List<Section> sections = new ArrayList<>();
        for (String id : sectionIds) {
            sections.add(grid.section(id));
        }
        for (Section section : sections) {
            if (onMnist(section) && !hasMnist()) {
                log.println(section.id() + ": skipped (give --mnist DIR with the original MNIST"
                        + " files)");
                continue;
            }
            for (Row row : section.rows()) {
                measure(row, row.measures().stream()
                        .filter(m -> !m.key().equals("autoattack")).toList());
            }
        }
        for (Section section : sections) {
            for (Row row : section.rows()) {
                if (row.measures().stream().anyMatch(m -> m.key().equals("autoattack"))
                        && (!onMnist(section) || hasMnist())) {
                    measure(row, row.measures());
                }
            }
        }
        write();
        log.println("wrote " + out + " and " + resultsFile);
    }

    private static boolean onMnist(Section section) {
        return section.rows().stream().anyMatch(r -> r.recipe().dataset().equals("mnist"));
    }

    private boolean hasMnist() {
        return mnist != null;
    }

    private void measure(Row row, List<Measure> measures) throws IOException {
        if (!row.shown()) {
            comparison.train(row.id(), row.recipe());
            return;
        }
        comparison.measure(row.id(), row.recipe(), measures);
        write();
    }

    /**
     * Writes the results and the page: the committed results, updated with every model the work
     * directory has results for (so that runs of different sections at the same time each write
     * all of them).
     */
    private void write() throws IOException {
        Results current = Results.read(resultsFile);
        for (Section section : grid.sections()) {
            for (Row row : section.rows()) {
                ModelResults cached = row.shown() ? comparison.cached(row.id()) : null;
                if (cached != null) {
                    current = current.with(cached);
                }
            }
        }
        current.write(resultsFile);
        String previous = Files.isRegularFile(out) ? Files.readString(out) : "";
        AtomicFiles.writeString(out, new DefensePage(current, previous, command)
                .render(grid.sections(), Versions.parry(), autoAttackPoints));
    }

    /** The command line. */
    private record Arguments(Path work, Path out, Path mnist, int aaPoints, boolean quick,
            List<String> sections) {

        static Arguments parse(String[] args) {
            Path work = null;
            Path out = null;
            Path mnist = null;
            int aaPoints = AUTOATTACK_POINTS;
            boolean quick = false;
            List<String> sections = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--work" -> work = Path.of(args[++i]);
                    case "--out" -> out = Path.of(args[++i]);
                    case "--mnist" -> mnist = Path.of(args[++i]);
                    case "--aa-points" -> aaPoints = Integer.parseInt(args[++i]);
                    case "--quick" -> quick = true;
                    case "--page-only" -> sections.add("none");
                    default -> {
                        if (args[i].startsWith("-")) {
                            System.err.println("usage: defense-table [--work DIR] [--out FILE]"
                                    + " [--mnist DIR] [--aa-points N] [--quick] [--page-only]"
                                    + " [SECTION...]");
                            System.exit(2);
                        }
                        sections.add(args[i]);
                    }
                }
            }
            Path defaultWork = Path.of("runs", quick ? "defenses-quick" : "defenses");
            work = work != null ? work : defaultWork;
            out = out != null ? out : quick ? defaultWork.resolve("defenses.md")
                    : Path.of("docs", "defenses.md");
            if (sections.isEmpty()) {
                sections = new DefenseGrid(work, quick, aaPoints).sections().stream()
                        .map(Section::id).toList();
            }
            sections = sections.stream().filter(s -> !s.equals("none")).toList();
            return new Arguments(work, out, mnist, aaPoints, quick, sections);
        }
    }
}
