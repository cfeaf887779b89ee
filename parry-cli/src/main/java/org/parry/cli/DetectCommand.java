package org.parry.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code parry detect}: detectors of adversarial inputs, one subcommand per step. */
@Command(name = "detect", mixinStandardHelpOptions = true,
        description = "Detectors of adversarial inputs (Aldahdooh et al. 2022): fit one for a"
                + " model, score inputs with it, evaluate it against attacks, oblivious and"
                + " detector-aware.",
        subcommands = {DetectFitCommand.class, DetectScoreCommand.class,
            DetectEvaluateCommand.class})
final class DetectCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "detect needs a subcommand: fit, score or evaluate");
    }
}
