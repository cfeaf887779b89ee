package org.parry.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.eval.Cluster;
import org.parry.eval.ClusterProvider;
import org.parry.eval.EvaluationListener;
import org.parry.eval.EvaluationRunner;
import org.parry.eval.EvaluationSettings;
import org.parry.eval.SanityLevel;
import org.parry.eval.Suite;
import org.parry.io.DirectoryLock;
import org.parry.io.OutputPaths;
import org.parry.leaderboard.Contender;
import org.parry.leaderboard.Contenders;
import org.parry.leaderboard.Leaderboard;
import org.parry.leaderboard.LeaderboardReport;
import org.parry.leaderboard.LeaderboardRow;
import org.parry.norm.Norm;
import org.parry.report.LeaderboardFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code parry leaderboard}: many models under one threat model, ranked. */
@Command(name = "leaderboard", mixinStandardHelpOptions = true,
        description = "Evaluate many models under one threat model and rank them (a page in the"
                + " style of RobustBench, with leaderboard.json and leaderboard.csv).")
final class LeaderboardCommand implements Callable<Integer> {

    @Mixin
    DataOptions data;

    @Option(names = "--models", required = true, split = ",", paramLabel = "DIR|LIST|MODEL",
            description = "A directory of models (Parry model directories, TorchScript .pt, ONNX"
                    + " .onnx), a list file (.txt, one 'PATH [--name NAME] [--defense SPEC]..."
                    + " [--gradients exact|bpda] [--eot N]' per line), or model paths separated by"
                    + " commas.")
    List<Path> models;

    @Option(names = "--split", defaultValue = "test", description = "train or test (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--suite", defaultValue = "autoattack",
            description = "quick, autoattack, autoattack-plus, autoattack-rand, full, or a list such as fgsm,pgd (default: ${DEFAULT-VALUE}).")
    String suite;

    @Option(names = "--norm", defaultValue = "linf", description = "linf or l2 (default: ${DEFAULT-VALUE}).")
    String norm;

    @Option(names = "--eps", split = ",", required = true,
            description = "One or more budgets, e.g. 0.1 or 0.05,0.1; models are ranked at the last.")
    float[] epsilons;

    @Option(names = "--sanity", defaultValue = "quick",
            description = "Sanity checks per model: full, quick or off (default: ${DEFAULT-VALUE});"
                    + " a model that fails them is flagged, not ranked.")
    String sanity;

    @Option(names = "--out", defaultValue = "leaderboard",
            description = "Directory of the board and of each model's report (default:"
                    + " ${DEFAULT-VALUE}). A rerun reuses the reports of models whose file did not"
                    + " change.")
    Path out;

    @Option(names = "--master", paramLabel = "URL",
            description = "Run the evaluation units on Apache Spark: local[N], spark://HOST:PORT,"
                    + " yarn or k8s://URL (needs parry-spark on the class path). Under"
                    + " spark-submit, its --master is used.")
    String master;

    @Option(names = "--partitions", defaultValue = "0",
            description = "With --master: partitions per batch of units (default: Spark's default"
                    + " parallelism).")
    int partitions;

    @Override
    public Integer call() throws Exception {
        SanityLevel level = SanityLevel.parse(sanity);
        EvaluationSettings settings = new EvaluationSettings(Suite.parse(suite), Norm.parse(norm),
                epsilons, data.seed, data.batchSize);
        List<Contender> contenders = Contenders.read(models, data.seed);
        OutputPaths.checkDirectory("--out", out);
        String url = master != null ? master : System.getProperty("spark.master");
        try (DirectoryLock lock = DirectoryLock.acquire(out, "--out");
                Cluster cluster = url == null ? null : ClusterProvider.connect(url, partitions)) {
            ImageDataset images = data.load(Split.parse(split));
            Leaderboard board = new Leaderboard(contenders, images, settings, level, out);
            LeaderboardReport report = cluster == null
                    ? board.run(source -> EvaluationRunner.LOCAL, "this process", progress())
                    : board.run(cluster::runner, cluster.describe(), progress());
            print(report);
            System.out.println("leaderboard: " + out.resolve(LeaderboardFiles.HTML));
        }
        return 0;
    }

    private static Leaderboard.Progress progress() {
        return new Leaderboard.Progress() {
            @Override
            public void onModel(Contender contender, int index, int total, boolean reused) {
                System.err.printf(Locale.ROOT, "[%d/%d] %s: %s%n", index + 1, total,
                        contender.name(), reused ? "unchanged, its report is reused" : "evaluating");
            }

            @Override
            public EvaluationListener evaluation() {
                return new EvaluationProgress();
            }
        };
    }

    private static void print(LeaderboardReport report) {
        System.out.printf(Locale.ROOT, "%-5s %-24s %-12s %8s %8s  %s%n", "rank", "model", "kind",
                "clean", "robust", "sanity");
        for (int i = 0; i < report.ranked().size(); i++) {
            print(Integer.toString(i + 1), report.ranked().get(i));
        }
        for (LeaderboardRow row : report.flagged()) {
            print("-", row);
        }
    }

    private static void print(String rank, LeaderboardRow row) {
        System.out.printf(Locale.ROOT, "%-5s %-24s %-12s %7.1f%% %7.1f%%  %s%n", rank, row.name(),
                row.kind(), 100 * row.cleanAccuracy(), 100 * row.headline(), row.verdict()
                        + (row.flagged() ? " (flagged: " + String.join(", ", row.failed()) + ")" : ""));
    }
}
