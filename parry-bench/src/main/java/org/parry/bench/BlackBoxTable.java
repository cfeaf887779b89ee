package org.parry.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.parry.model.BlockClassifier;

/**
 * Regenerates {@code docs/black-box.md}.
 *
 * <pre>
 * black-box-table [--work DIR] [--out FILE] [--mnist DIR] [--points N] [--quick]
 * </pre>
 */
public final class BlackBoxTable {

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

    private final Path work;
    private final List<Setup> setups;
    private final PrintStream log;

    private BlackBoxTable(Path work, List<Setup> setups, PrintStream log) {
        this.work = work;
        this.setups = setups;
        this.log = log;
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        Path work = Path.of("runs", "black-box");
        Path mnist = null;
        boolean quick = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--work" -> work = Path.of(args[++i]);
                case "--mnist" -> mnist = Path.of(args[++i]);
                case "--quick" -> quick = true;
                default -> {
                    System.err.println("usage: black-box-table [--work DIR] [--mnist DIR] [--quick]");
                    System.exit(2);
                }
            }
        }
        List<Setup> setups = new ArrayList<>();
        if (mnist != null) {
            setups.add(new Setup("mnist", mnist, 0.3f, quick ? 1 : 6, true));
        }
        setups.add(new Setup("fashion-mnist", null, 0.1f, quick ? 1 : 3, false));
        new BlackBoxTable(quick ? work.resolve("quick") : work, setups, System.err).run();
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
        }
    }
}
