package org.parry.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.parry.Versions;
import org.parry.attack.Attack;
import org.parry.attack.AttackOptions;
import org.parry.attack.AttackRegistry;
import org.parry.data.DataSets;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.defense.StageRegistry;
import org.parry.eval.AttackTally;
import org.parry.eval.DataSetAttack;
import org.parry.eval.DestructionRate;
import org.parry.io.AtomicFiles;
import org.parry.model.BlockClassifier;
import org.parry.model.Stage;
import org.parry.norm.Norm;

/**
 * Regenerates {@code docs/black-box.md}: the lecture's black-box half at the scale of two CPU
 * cores, on MNIST (when its files are given) and Fashion-MNIST. Every section is measured once and
 * cached as a page fragment in the work directory, so a run that is cut short continues; the page
 * is rewritten after each section. The models are {@link BlackBoxModels}'.
 *
 * <pre>
 * black-box-table [--work DIR] [--out FILE] [--mnist DIR] [--points N] [--quick]
 * </pre>
 */
public final class BlackBoxTable {

    private static final int BATCH = 125;
    private static final long SEED = 7;

    /**
     * One data set of the page: its threat model, the epochs of its standard target, and whether
     * the ensemble-adversarial-training table (which needs the adversarially trained targets) is
     * measured on it.
     */
    record Setup(String dataset, Path dataDirectory, float epsilon, int epochs,
            boolean ensembleTable) {

        /** The models this data set's sections attack. */
        List<String> models() {
            return ensembleTable ? BlackBoxModels.IDS : List.of("a", "static-mlp", "b");
        }
    }

    /** Measures one section of the page and renders it as Markdown. */
    @FunctionalInterface
    private interface Section {
        String measure() throws IOException;
    }

    private final Path work;
    private final Path out;
    private final int points;
    private final List<Setup> setups;
    private final PrintStream log;
    private final Map<String, String> fragments = new LinkedHashMap<>();

    private BlackBoxTable(Path work, Path out, int points, List<Setup> setups, PrintStream log) {
        this.work = work;
        this.out = out;
        this.points = points;
        this.setups = setups;
        this.log = log;
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        Path work = Path.of("runs", "black-box");
        Path out = Path.of("docs", "black-box.md");
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
                    System.err.println("usage: black-box-table [--work DIR] [--out FILE]"
                            + " [--mnist DIR] [--points N] [--quick]");
                    System.exit(2);
                }
            }
        }
        List<Setup> setups = new ArrayList<>();
        if (mnist != null) {
            setups.add(new Setup("mnist", mnist, 0.3f, quick ? 1 : 6, true));
        }
        setups.add(new Setup("fashion-mnist", null, 0.1f, quick ? 1 : 3, false));
        new BlackBoxTable(quick ? work.resolve("quick") : work, out, quick ? 50 : points, setups,
                System.err).run();
    }

    private void run() throws IOException {
        Files.createDirectories(work);
        for (Setup setup : setups) {
            BlackBoxModels models = new BlackBoxModels(work, setup.dataset(), setup.dataDirectory(),
                    setup.epsilon(), setup.epochs(), log);
            for (String id : setup.models()) {
                try (BlockClassifier model = models.load(id)) {
                    log.println(setup.dataset() + ": " + id + " ready (" + model.name() + ")");
                }
            }
            ImageDataset test = DataSets.load(setup.dataset(), setup.dataDirectory(), Split.TEST)
                    .first(points);
            section(setup, "physical", () -> physical(setup, models, test));
        }
        log.println("wrote " + out);
    }

    /** Measures a section unless the work directory holds it, then rewrites the page. */
    private void section(Setup setup, String name, Section section) throws IOException {
        Path cache = work.resolve(setup.dataset() + "-" + name + "-" + points + ".md");
        if (!Files.isRegularFile(cache)) {
            log.println(setup.dataset() + ": measuring " + name + "...");
            AtomicFiles.writeString(cache, section.measure());
        }
        fragments.put(setup.dataset() + "/" + name, Files.readString(cache));
        writePage();
    }

    /**
     * Kurakin, Goodfellow and Bengio (ICLR workshop 2017), the photo experiment in software:
     * FGSM and BIM examples at the lecture's ε = 16/255 and 8/255 on the standard target, and the
     * destruction rate of each photo-like transform of {@link DestructionRate#PAPER_TRANSFORMS}.
     */
    private String physical(Setup setup, BlackBoxModels models, ImageDataset test)
            throws IOException {
        List<String> methods = List.of("fgsm", "bim");
        List<Float> epsilons = List.of(16f / 255, 8f / 255);
        List<String> columns = new ArrayList<>();
        Map<String, List<DestructionRate>> rates = new LinkedHashMap<>();
        try (BlockClassifier model = models.load("a")) {
            List<Stage> transforms = new ArrayList<>();
            for (String spec : DestructionRate.PAPER_TRANSFORMS) {
                transforms.add(StageRegistry.transform(spec));
            }
            try {
                for (float epsilon : epsilons) {
                    for (String method : methods) {
                        Attack attack = AttackRegistry.create(method, new AttackOptions(Norm.LINF,
                                epsilon, null, SEED, Map.of()));
                        AttackTally tally = new DataSetAttack(attack, null, BATCH, SEED, true)
                                .run(model, test, (done, rate) -> {});
                        String column = String.format(Locale.ROOT, "%s ε=%d/255 (%d/%d)",
                                method.toUpperCase(Locale.ROOT), Math.round(epsilon * 255),
                                tally.successes(), tally.cleanCorrect());
                        columns.add(column);
                        rates.put(column, DestructionRate.table(model, tally, transforms, BATCH,
                                SEED));
                    }
                }
            } finally {
                transforms.forEach(Stage::close);
            }
        }
        StringBuilder md = new StringBuilder();
        md.append("| transform | accuracy on T(clean)");
        columns.forEach(column -> md.append(" | ").append(column));
        md.append(" |\n|---|---");
        columns.forEach(column -> md.append("|---"));
        md.append("|\n");
        for (int t = 0; t < DestructionRate.PAPER_TRANSFORMS.size(); t++) {
            DestructionRate first = rates.get(columns.get(0)).get(t);
            md.append("| `").append(DestructionRate.PAPER_TRANSFORMS.get(t)).append("` | ")
                    .append(percent(first.transformedCleanAccuracy()));
            for (String column : columns) {
                DestructionRate rate = rates.get(column).get(t);
                md.append(" | ").append(percent(rate.rate())).append(" (top-5 ")
                        .append(percent(rate.rateTop5())).append(")");
            }
            md.append(" |\n");
        }
        return md.toString();
    }

    private static String percent(double value) {
        return Double.isNaN(value) ? "n/a" : String.format(Locale.ROOT, "%.1f%%", 100 * value);
    }

    private void writePage() throws IOException {
        StringBuilder page = new StringBuilder();
        page.append("# Black-box, transfer, universal and physical-world attacks\n\n")
                .append("Regenerated by `./black-box-table")
                .append(points == 500 ? "" : " --points " + points)
                .append(setups.size() > 1 ? " --mnist DIR" : "").append("` (Parry ")
                .append(Versions.parry()).append(", PyTorch ").append(Versions.pytorch())
                .append("); every number was measured by that command on this machine (2 cores,"
                        + " no GPU). Do not edit by hand.\n");
        for (Setup setup : setups) {
            page.append(String.format(Locale.ROOT, "%n## %s (L∞ ε = %s, first %d test images)%n",
                    setup.dataset(), setup.epsilon(), points));
            String physical = fragments.get(setup.dataset() + "/physical");
            if (physical != null) {
                page.append("\n### Photo-like transforms: destruction rates (Kurakin et al. 2017)\n\n")
                        .append(PHYSICAL).append('\n').append(physical);
            }
        }
        AtomicFiles.writeString(out, page.toString());
    }

    private static final String PHYSICAL = """
            FGSM and BIM examples crafted on the standard small-cnn at the lecture's ε (16/255 and \
            8/255), then passed through each transform. The destruction rate is the fraction of \
            successful adversarial examples (on clean-correct images; counts in the column \
            heading) that the transform turns back into a correct prediction (top-5: the label \
            among the five largest logits). The lecture's finding on photographs (Inception v3): \
            fast examples survive better than iterative ones, whose finer perturbations are \
            destroyed more often.
            """;
}
