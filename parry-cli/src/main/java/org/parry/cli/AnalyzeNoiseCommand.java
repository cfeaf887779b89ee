package org.parry.cli;

import java.util.concurrent.Callable;
import org.parry.analysis.NoiseAnalysis;
import org.parry.data.ImageDataset;
import org.parry.model.Classifier;
import org.parry.model.Models;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code parry analyze noise}: accuracy against Gaussian noise of growing σ next to accuracy
 * against an attack of growing ε ({@link NoiseAnalysis}), as a table, one chart {@value
 * NoiseAnalysis#CHART} and {@value NoiseAnalysis#JSON}.
 */
@Command(name = "noise", mixinStandardHelpOptions = true,
        description = "Accuracy under random Gaussian noise (σ) next to accuracy under an attack"
                + " (ε), on one chart: random against worst-case robustness (TisODE, Yan et al."
                + " 2020).")
final class AnalyzeNoiseCommand implements Callable<Integer> {

    @Mixin
    AnalysisOptions analysis;

    @Option(names = "--eps", split = ",", defaultValue = "0.05,0.1,0.2,0.3",
            description = "The attack's budgets ε, increasing (default: ${DEFAULT-VALUE}).")
    float[] epsilons;

    @Option(names = "--sigmas", split = ",", defaultValue = "0,0.05,0.1,0.2,0.3,0.4",
            description = "The noise's standard deviations σ in pixel units, increasing; noisy"
                    + " images are clipped to the model's bounds (default: ${DEFAULT-VALUE}).")
    float[] sigmas;

    @Option(names = "--draws", defaultValue = "3",
            description = "Noise draws per σ, seeded by --seed (default: ${DEFAULT-VALUE}).")
    int draws;

    @Override
    public Integer call() throws Exception {
        NoiseAnalysis noise = new NoiseAnalysis(sigmas, draws, epsilons, analysis.data.batchSize,
                analysis.data.seed);
        analysis.checkOutputs(NoiseAnalysis.CHART, NoiseAnalysis.JSON);
        ImageDataset images = analysis.load();
        try (Classifier model = Models.load(analysis.model, images.imageShape())) {
            NoiseAnalysis.Result result = noise.run(model, images,
                    epsilon -> analysis.attack((float) epsilon), AnalysisOptions.progress());
            System.out.printf("noise and %s on %s, %s (%s split)%n", result.attack(),
                    analysis.model, images.name(), analysis.split);
            System.out.print(result.table());
            analysis.write(NoiseAnalysis.CHART, result::writeChart, NoiseAnalysis.JSON,
                    file -> result.writeJson(file, analysis.context(images)));
        }
        return 0;
    }
}
