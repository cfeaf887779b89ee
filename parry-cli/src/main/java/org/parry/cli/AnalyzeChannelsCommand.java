package org.parry.cli;

import java.util.concurrent.Callable;
import org.parry.analysis.ChannelAnalysis;
import org.parry.data.ImageDataset;
import org.parry.model.Classifier;
import org.parry.model.Models;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code parry analyze channels}: a layer's channels on clean and adversarial inputs by relevance
 * to the true class ({@link ChannelAnalysis}), as a table, {@value ChannelAnalysis#CHART} and
 * {@value ChannelAnalysis#JSON}.
 */
@Command(name = "channels", mixinStandardHelpOptions = true,
        description = "How an attack moves a layer's channels, by their relevance to the true"
                + " class, for robust and non-robust classes (CIFS, Yan et al. 2021). Parry models"
                + " only.")
final class AnalyzeChannelsCommand implements Callable<Integer> {

    @Mixin
    AnalysisOptions analysis;

    @Option(names = "--eps", defaultValue = "0.1",
            description = "The attack's budget ε, pixel units (default: ${DEFAULT-VALUE}).")
    float epsilon;

    @Option(names = "--layer", paramLabel = "PATH", description = "The layer by its index path,"
            + " e.g. 1.5 (an unknown path lists the model's layers; default: the last"
            + " convolutional stage's output).")
    String layer;

    @Override
    public Integer call() throws Exception {
        ChannelAnalysis channels = new ChannelAnalysis(analysis.attack(epsilon), layer,
                analysis.data.batchSize);
        analysis.checkOutputs(ChannelAnalysis.CHART, ChannelAnalysis.JSON);
        ImageDataset images = analysis.load();
        try (Classifier model = Models.load(analysis.model, images.imageShape())) {
            ChannelAnalysis.Result result = channels.run(model, images, AnalysisOptions.progress());
            System.out.printf("channels of %s on %s (%s split, %d images)%n", analysis.model,
                    images.name(), analysis.split, images.size());
            System.out.print(result.table());
            analysis.write(ChannelAnalysis.CHART, result::writeChart, ChannelAnalysis.JSON,
                    file -> result.writeJson(file, analysis.context(images)));
        }
        return 0;
    }
}
