package org.parry.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.parry.attack.Attack;
import org.parry.attack.AttackOptions;
import org.parry.attack.AttackRegistry;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.eval.TransferMatrix;
import org.parry.io.OutputPaths;
import org.parry.report.TransferFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code parry transfer}: the source × target transfer matrix of Tramèr et al. 2018 ({@link
 * TransferMatrix}) over several models and attacks, printed as tables of error rates with the
 * worst black-box attack per target, and written as {@value TransferFiles#JSON} and a heat map
 * {@value TransferFiles#HEATMAP}.
 */
@Command(name = "transfer", mixinStandardHelpOptions = true,
        description = "Transfer matrix: every model attacked with examples crafted on every model"
                + " (diagonal = white-box); error rates per attack, worst black-box per target,"
                + " as tables, JSON and a heat map.")
final class TransferCommand implements Callable<Integer> {

    @Mixin
    DataOptions data;

    @Option(names = "--models", required = true, split = ",", paramLabel = "MODEL",
            description = "Two or more models (Parry model directories or TorchScript files),"
                    + " comma-separated; each is a source for every other.")
    List<Path> models;

    @Option(names = "--attack", split = ",", defaultValue = "fgsm,rand-fgsm,bim",
            completionCandidates = AttackCommand.AttackNames.class,
            description = "Attacks crafted on each source, comma-separated (default:"
                    + " ${DEFAULT-VALUE}, Tramer et al.'s).")
    List<String> attackNames;

    @Option(names = "--eps", description = "The perturbation budget of every attack, pixel units"
            + " (per attack: NAME.epsilon=...).")
    Float epsilon;

    @Option(names = "--split", defaultValue = "test", description = "train or test (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--out", required = true, description = "Directory for "
            + TransferFiles.JSON + " and " + TransferFiles.HEATMAP + " (refused if it holds them,"
            + " unless --overwrite).")
    Path output;

    @Option(names = "--overwrite", description = "Replace the files in --out.")
    boolean overwrite;

    @Parameters(paramLabel = "NAME.key=value", arity = "0..*",
            description = "Settings of the attacks, e.g. bim.steps=20 fgsm.epsilon=0.3.")
    List<String> settings = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        List<Attack> attacks = new ArrayList<>();
        List<String> claimed = new ArrayList<>();
        for (String name : attackNames) {
            List<String> own = settings.stream().filter(s -> s.startsWith(name + ".")).toList();
            claimed.addAll(own);
            attacks.add(AttackRegistry.createForTransfer(name, new AttackOptions(null, epsilon, null,
                    data.seed, PrefixedSettings.parse("attack", name, own))));
        }
        for (String setting : settings) {
            if (!claimed.contains(setting)) {
                throw new IllegalArgumentException("setting '" + setting + "' names none of the"
                        + " attacks " + attackNames + "; write ATTACK.key=value");
            }
        }
        OutputPaths.checkDirectory("--out", output);
        OutputPaths.checkFile("--out", output.resolve(TransferFiles.JSON), overwrite);
        OutputPaths.checkFile("--out", output.resolve(TransferFiles.HEATMAP), overwrite);
        ImageDataset images = data.load(Split.parse(split));
        List<String> names = names(models);
        try (LoadedModels loaded = LoadedModels.load(models, images)) {
            List<TransferMatrix.Model> members = new ArrayList<>();
            for (int i = 0; i < models.size(); i++) {
                members.add(new TransferMatrix.Model(names.get(i), loaded.list().get(i)));
            }
            ProgressBar bar = new ProgressBar("transfer", images.size());
            TransferMatrix matrix = TransferMatrix.measure(members, attacks, images,
                    data.batchSize, done -> bar.update(done, ""));
            print(matrix, images);
            Map<String, Object> context = new LinkedHashMap<>();
            context.put("model_paths", models.stream().map(Path::toString).toList());
            context.put("dataset", images.name());
            context.put("split", split);
            context.put("seed", data.seed);
            TransferFiles.writeJson(output.resolve(TransferFiles.JSON), matrix, context);
            TransferFiles.writeHeatmap(output.resolve(TransferFiles.HEATMAP), matrix);
            System.out.printf("wrote %s and %s%n", output.resolve(TransferFiles.JSON),
                    output.resolve(TransferFiles.HEATMAP));
        }
        return 0;
    }

    /** The models' file names, or their paths where two file names are equal. */
    private static List<String> names(List<Path> paths) {
        List<String> fileNames = paths.stream().map(p -> String.valueOf(p.getFileName())).toList();
        return fileNames.stream().distinct().count() == fileNames.size() ? fileNames
                : paths.stream().map(Path::toString).toList();
    }

    private static void print(TransferMatrix matrix, ImageDataset images) {
        List<String> models = matrix.models();
        int width = Math.max(14, models.stream().mapToInt(String::length).max().orElse(0) + 2);
        String cell = "%" + width + "s";
        System.out.printf("transfer matrix on %d %s images: error rate (%%) of the target on"
                + " examples crafted on the source; * = white-box%n", matrix.n(), images.name());
        for (int a = 0; a < matrix.attacks().size(); a++) {
            System.out.printf("%n%s %s%n", matrix.attacks().get(a), matrix.attackSettings().get(a));
            System.out.printf(cell, "source\\target");
            models.forEach(target -> System.out.printf(cell, target));
            System.out.println();
            for (int s = 0; s < models.size(); s++) {
                System.out.printf(cell, models.get(s));
                for (int t = 0; t < models.size(); t++) {
                    double rate = matrix.errorRate(a, s, t);
                    System.out.printf(cell, Double.isNaN(rate) ? "-"
                            : String.format(Locale.ROOT, "%.1f%s", 100 * rate, s == t ? "*" : ""));
                }
                System.out.println();
            }
        }
        System.out.println();
        System.out.printf(cell, "clean");
        for (double clean : matrix.cleanError()) {
            System.out.printf(cell, String.format(Locale.ROOT, "%.1f", 100 * clean));
        }
        System.out.println();
        System.out.printf(cell, "worst b-box");
        for (TransferMatrix.Worst worst : matrix.worstBlackBox()) {
            System.out.printf(cell, worst == null ? "-"
                    : String.format(Locale.ROOT, "%.1f", 100 * worst.errorRate()));
        }
        System.out.println();
        for (TransferMatrix.Worst worst : matrix.worstBlackBox()) {
            if (worst != null) {
                System.out.printf(Locale.ROOT, "worst black-box on %s: %.1f%% (%s from %s)%n",
                        worst.target(), 100 * worst.errorRate(), worst.attack(), worst.source());
            }
        }
        if (matrix.worstBlackBox().contains(null)) {
            System.out.println("(-: a query-only model is a target only; it crafts nothing)");
        }
    }
}
