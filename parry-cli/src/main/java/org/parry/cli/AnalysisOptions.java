package org.parry.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parry.analysis.Progress;
import org.parry.attack.Attack;
import org.parry.attack.AttackOptions;
import org.parry.attack.AttackRegistry;
import org.parry.data.ImageDataset;
import org.parry.data.Split;
import org.parry.io.OutputPaths;
import org.parry.norm.Norm;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The options every {@code parry analyze} subcommand shares: model, data, attack, outputs. */
final class AnalysisOptions {

    /** Writes one of an analysis's files. */
    @FunctionalInterface
    interface Writer {
        void write(Path file) throws IOException;
    }

    @Mixin
    DataOptions data;

    @Option(names = "--model", required = true,
            description = "A saved Parry model directory, a TorchScript .pt file or an ONNX .onnx file (query-only).")
    Path model;

    @Option(names = "--split", defaultValue = "test", description = "train or test (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--attack", defaultValue = "pgd", completionCandidates = AttackCommand.AttackNames.class,
            description = "The attack, untargeted, by registry name (default: ${DEFAULT-VALUE}).")
    String attackName;

    @Option(names = "--norm", description = "linf or l2 (default: the attack's own).")
    String norm;

    @Option(names = "--steps", description = "Iterations (default: the attack's).")
    Integer steps;

    @Option(names = "--out", description = "Write the chart and the results' JSON to this"
            + " directory (refused if it holds them, unless --overwrite).")
    Path output;

    @Option(names = "--json", description = "Write the results as JSON to this file (refused if it"
            + " exists, unless --overwrite).")
    Path json;

    @Option(names = "--overwrite", description = "Replace the files of --out and --json if they exist.")
    boolean overwrite;

    @Parameters(paramLabel = "NAME.key=value", arity = "0..*",
            description = "Settings of the attack, e.g. pgd.restarts=5 pgd.loss=dlr.")
    List<String> settings = new ArrayList<>();

    /** The attack at budget {@code epsilon}, from the registry. */
    Attack attack(Float epsilon) {
        return AttackRegistry.create(attackName, new AttackOptions(
                norm == null ? null : Norm.parse(norm), epsilon, steps, data.seed,
                PrefixedSettings.parse("attack", attackName, settings)));
    }

    /** Checks, before any work, that the chart and the JSON can be written. */
    void checkOutputs(String chart, String results) {
        if (output != null) {
            OutputPaths.checkDirectory("--out", output);
            OutputPaths.checkFile("--out", output.resolve(chart), overwrite);
            OutputPaths.checkFile("--out", output.resolve(results), overwrite);
        }
        if (json != null) {
            OutputPaths.checkFile("--json", json, overwrite);
        }
    }

    ImageDataset load() throws IOException {
        return data.load(Split.parse(split));
    }

    /** What the JSON records beside the results: model, data set, split, seed. */
    Map<String, Object> context(ImageDataset images) {
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("model", model.toString());
        context.put("dataset", images.name());
        context.put("split", split);
        context.put("seed", data.seed);
        return context;
    }

    /** Writes the chart and the JSON into --out, and the JSON to --json, saying where. */
    void write(String chart, Writer chartWriter, String results, Writer jsonWriter)
            throws IOException {
        if (output != null) {
            chartWriter.write(output.resolve(chart));
            jsonWriter.write(output.resolve(results));
            System.out.printf("wrote %s and %s%n", output.resolve(chart), output.resolve(results));
        }
        if (json != null) {
            jsonWriter.write(json);
        }
    }

    /** A progress bar per stage of the analysis, on standard error. */
    static Progress progress() {
        Map<String, ProgressBar> bars = new HashMap<>();
        return (stage, done, total) -> bars.computeIfAbsent(stage, s -> new ProgressBar(s, total))
                .update(done, "");
    }
}
