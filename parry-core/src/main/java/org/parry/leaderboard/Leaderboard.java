package org.parry.leaderboard;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.parry.Versions;
import org.parry.data.ImageDataset;
import org.parry.eval.EvaluationListener;
import org.parry.eval.EvaluationReport;
import org.parry.eval.EvaluationRunner;
import org.parry.eval.EvaluationSettings;
import org.parry.eval.Evaluator;
import org.parry.eval.Provenance;
import org.parry.eval.SanityLevel;
import org.parry.io.AtomicFiles;
import org.parry.model.ModelSource;
import org.parry.model.SavedModel;
import org.parry.report.EvaluationJob;
import org.parry.report.LeaderboardFiles;

/**
 * Evaluates many models under one threat model and ranks them (after RobustBench, Croce et al.,
 * NeurIPS 2021 Datasets and Benchmarks): each model gets the full evaluation ({@link
 * EvaluationJob}: the suite, the sanity checks, its own report in {@code models/NAME/}), and the
 * board shows clean and robust accuracy with 95% Wilson intervals over the test points. A model
 * whose sanity checks fail is flagged and listed apart, never ranked silently.
 *
 * <p>Resumable as a whole: a model whose row is in {@code models/NAME/}{@value #ROW} with the same
 * fingerprint (Parry's version, settings, data, the model file's SHA-256, its defense) is not
 * evaluated again; one interrupted mid-way resumes from its journal; one whose file changed starts
 * over.
 *
 * @param contenders the models, in the order given
 * @param data the test points
 * @param settings the suite, threat model, seed and batch size
 * @param sanity how much each model's sanity checks spend
 * @param directory where the board and the models' reports go
 */
public record Leaderboard(List<Contender> contenders, ImageDataset data,
        EvaluationSettings settings, SanityLevel sanity, Path directory) {

    /** A model's finished row, next to its report. */
    public static final String ROW = "leaderboard-row.json";
    /** The fingerprint of the evaluation under way in a model's directory. */
    static final String STARTED = "leaderboard-started.txt";

    public Leaderboard {
        contenders = List.copyOf(contenders);
        if (contenders.isEmpty()) {
            throw new IllegalArgumentException("a leaderboard needs at least one model");
        }
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(sanity, "sanity");
        Objects.requireNonNull(directory, "directory");
    }

    /** Hears which model the board is at. */
    public interface Progress {

        Progress NONE = new Progress() {};

        /** Model {@code index} (from 0) of {@code total} starts; {@code reused} if its row is kept. */
        default void onModel(Contender contender, int index, int total, boolean reused) {}

        /** Hears the evaluation of the current model. */
        default EvaluationListener evaluation() {
            return EvaluationListener.NONE;
        }
    }

    /**
     * Evaluates the models not yet on the board, ranks them all, writes the board.
     *
     * @param runners where each model's units run, e.g. {@code source -> EvaluationRunner.LOCAL}
     *     or a cluster's {@link org.parry.eval.Cluster#runner}
     * @param runner names it on the board, e.g. {@code local} or the cluster's description
     */
    public LeaderboardReport run(Function<ModelSource, EvaluationRunner> runners, String runner,
            Progress progress) throws IOException {
        List<LeaderboardRow> rows = new ArrayList<>();
        for (int i = 0; i < contenders.size(); i++) {
            Contender contender = contenders.get(i);
            Path models = directory.resolve("models").resolve(contender.name());
            String fingerprint = fingerprint(contender);
            LeaderboardRow row = finished(models.resolve(ROW), fingerprint);
            progress.onModel(contender, i, contenders.size(), row != null);
            if (row == null) {
                row = evaluate(contender, models, fingerprint, runners.apply(contender.source()),
                        progress.evaluation());
            }
            rows.add(row);
        }
        Comparator<LeaderboardRow> order = Comparator.comparingDouble(LeaderboardRow::headline)
                .thenComparingDouble(LeaderboardRow::cleanAccuracy).reversed();
        LeaderboardReport report = new LeaderboardReport(LeaderboardReport.SCHEMA,
                settings.suite().name(), settings.norm().id(), settings.epsilons(), data.size(),
                data.name(), data.sha256(), settings.seed(), sanity.id(), runner,
                rows.stream().filter(row -> !row.flagged()).sorted(order).toList(),
                rows.stream().filter(LeaderboardRow::flagged).sorted(order).toList(),
                Versions.parry(), Instant.now().toString());
        LeaderboardFiles.write(directory, report);
        return report;
    }

    private LeaderboardRow evaluate(Contender contender, Path models, String fingerprint,
            EvaluationRunner runner, EvaluationListener listener) throws IOException {
        Path started = models.resolve(STARTED);
        boolean resume = Evaluator.hasJournal(models) && Files.isRegularFile(started)
                && Files.readString(started, StandardCharsets.UTF_8).equals(fingerprint);
        Files.createDirectories(models);
        AtomicFiles.writeString(started, fingerprint);
        ModelSource source = contender.source();
        try (ModelSource.Opened model = source.open(data.imageShape())) {
            EvaluationReport report = new EvaluationJob(model.classifier(), source.file(), data,
                    settings, models, sanity).run(resume, listener, runner);
            LeaderboardRow row = LeaderboardRow.of(contender, report,
                    "models/" + contender.name() + "/index.html", fingerprint);
            AtomicFiles.writeString(models.resolve(ROW),
                    SavedModel.json().writeValueAsString(row));
            return row;
        }
    }

    /** The row kept from an earlier run, or null when there is none or it is stale. */
    private static LeaderboardRow finished(Path row, String fingerprint) throws IOException {
        if (!Files.isRegularFile(row)) {
            return null;
        }
        LeaderboardRow kept = SavedModel.json().readValue(row.toFile(), LeaderboardRow.class);
        return fingerprint.equals(kept.fingerprint()) ? kept : null;
    }

    private String fingerprint(Contender contender) throws IOException {
        ModelSource source = contender.source();
        return String.join("|", "parry " + Versions.parry(), settings.fingerprint(),
                data.name(), data.sha256(), "sanity " + sanity.id(),
                Provenance.sha256(source.file()), String.join(";", source.defense()),
                source.gradients().id(), Integer.toString(source.eot()));
    }
}
