package org.parry.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code parry analyze}: the robustness analyses of {@code org.parry.analysis}, one per subcommand. */
@Command(name = "analyze", mixinStandardHelpOptions = true,
        description = "Analyses of a model's robustness: channels (CIFS), classes (hard class"
                + " pairs, SPAT), noise (Gaussian noise against an attack, TisODE).",
        subcommands = {AnalyzeChannelsCommand.class, AnalyzeClassesCommand.class,
            AnalyzeNoiseCommand.class})
final class AnalyzeCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "analyze needs a subcommand: channels, classes or noise");
    }
}
