package org.parry.cli;

import java.util.concurrent.Callable;
import org.parry.analysis.ClassPairAnalysis;
import org.parry.data.ImageDataset;
import org.parry.model.Classifier;
import org.parry.model.Models;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code parry analyze classes}: per-class robustness and the class pairs an untargeted attack
 * sends samples across ({@link ClassPairAnalysis}), as a table, the heat map {@value
 * ClassPairAnalysis#CHART} and {@value ClassPairAnalysis#JSON}.
 */
@Command(name = "classes", mixinStandardHelpOptions = true,
        description = "Per-class robustness and hard class pairs under an untargeted attack: where"
                + " each class's broken samples go (SPAT's virtual targets, Hou et al. 2023).")
final class AnalyzeClassesCommand implements Callable<Integer> {

    @Mixin
    AnalysisOptions analysis;

    @Option(names = "--eps", defaultValue = "0.1",
            description = "The attack's budget ε, pixel units (default: ${DEFAULT-VALUE}).")
    float epsilon;

    @Option(names = "--pairs", defaultValue = "10",
            description = "Hardest class pairs to print (default: ${DEFAULT-VALUE}).")
    int pairs;

    @Override
    public Integer call() throws Exception {
        if (pairs < 0) {
            throw new IllegalArgumentException("--pairs must be >= 0, got " + pairs);
        }
        ClassPairAnalysis classes = new ClassPairAnalysis(analysis.attack(epsilon),
                analysis.data.batchSize);
        analysis.checkOutputs(ClassPairAnalysis.CHART, ClassPairAnalysis.JSON);
        ImageDataset images = analysis.load();
        try (Classifier model = Models.load(analysis.model, images.imageShape())) {
            ClassPairAnalysis.Result result = classes.run(model, images, AnalysisOptions.progress());
            System.out.printf("classes of %s under %s on %s (%s split, %d images)%n",
                    analysis.model, result.attack(), images.name(), analysis.split, images.size());
            System.out.print(result.table(pairs));
            analysis.write(ClassPairAnalysis.CHART, result::writeChart, ClassPairAnalysis.JSON,
                    file -> result.writeJson(file, analysis.context(images)));
        }
        return 0;
    }
}
