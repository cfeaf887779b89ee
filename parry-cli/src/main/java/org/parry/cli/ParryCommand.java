package org.parry.cli;

import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import org.parry.engine.EngineCheck;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code parry} command: train, evaluate and inspect image classifiers for adversarial
 * robustness. Each subcommand builds library objects from its options and prints what they
 * return; errors become one line with the fix, or the stack trace with {@code --verbose}.
 */
@Command(name = "parry", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Adversarial robustness for image classifiers, on the JVM.",
        subcommands = {DemoCommand.class, EvaluateCommand.class, LeaderboardCommand.class, AttackCommand.class, TrainCommand.class, EvalCommand.class,
                DetectCommand.class,
                SubstituteCommand.class, TransferCommand.class, AnalyzeCommand.class,
                InfoCommand.class, DoctorCommand.class,
                CommandLine.HelpCommand.class})
public final class ParryCommand {

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "Show stack traces of errors.")
    boolean verbose;

    @Option(names = "--trust-engine", scope = CommandLine.ScopeType.INHERIT,
            description = "Compute gradients even when the engine self-test failed on this"
                    + " machine ('parry doctor' shows it); the results may then be wrong.")
    void trustEngine(boolean trust) {
        EngineCheck.trustAnyway(trust);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (0 ok, 1 failure, 2 bad usage). */
    public static int run(String... args) {
        ParryCommand root = new ParryCommand();
        CommandLine commandLine = new CommandLine(root);
        commandLine.setParameterExceptionHandler((error, arguments) -> {
            PrintWriter err = error.getCommandLine().getErr();
            err.println("parry: " + error.getMessage());
            err.println("Try '" + error.getCommandLine().getCommandSpec().qualifiedName()
                    + " --help' for the options.");
            return 2;
        });
        commandLine.setExecutionExceptionHandler((error, command, parseResult) -> {
            PrintWriter err = command.getErr();
            err.println("parry: " + describe(error));
            if (root.verbose) {
                error.printStackTrace(err);
            } else {
                err.println("(run with --verbose for the stack trace)");
            }
            err.flush();
            return 1;
        });
        return commandLine.execute(args);
    }

    private static String describe(Throwable error) {
        if (error instanceof NoSuchFileException missing) {
            return missing.getFile() + ": not found"
                    + (missing.getReason() == null ? "" : " (" + missing.getReason() + ")");
        }
        String message = error.getMessage();
        return message == null || message.isBlank() ? error.getClass().getSimpleName() : message;
    }
}
