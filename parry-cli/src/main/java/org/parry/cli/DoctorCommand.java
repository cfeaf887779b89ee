package org.parry.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.parry.engine.EngineFacts;
import org.parry.engine.SelfTest;
import org.parry.io.OutputPaths;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code parry doctor}: the engine, the machine, and the engine self-test run now. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Check that this machine computes gradients right: versions, CPU and"
                + " threads, and the engine self-test (float32 forward and backward of"
                + " convolutions, linear, pooling, batch norm and cross-entropy against float64"
                + " and finite differences, about a second).",
            "Exit code 1 when the self-test fails: then every command that computes gradients"
                + " refuses to run unless given --trust-engine."})
final class DoctorCommand implements Callable<Integer> {

    @Option(names = "--onednn-backward", description = "Also test oneDNN's own backward"
            + " kernels, which Parry bypasses, to see whether this machine needs the bypass.")
    boolean oneDnnBackward;

    @Option(names = "--json", description = "Also write the facts and every check as JSON to this file.")
    Path json;

    @Option(names = "--overwrite", description = "Replace an existing --json file.")
    boolean overwrite;

    @Override
    public Integer call() throws Exception {
        if (json != null) {
            OutputPaths.checkFile("--json", json, overwrite);
        }
        Map<String, Object> out = new LinkedHashMap<>(EngineFacts.describe());
        out.forEach((key, value) -> System.out.printf("%-11s %s%n", key + ":", value));
        SelfTest.Result result = SelfTest.run(true);
        print("self-test, as Parry computes gradients", result);
        out.put("checks", checks(result));
        if (oneDnnBackward) {
            SelfTest.Result raw = SelfTest.run(false);
            print("oneDNN's own backward (bypassed by Parry)", raw);
            out.put("onednn_backward_checks", checks(raw));
        }
        JsonFile.write(json, out);
        return result.passed() ? 0 : 1;
    }

    private static void print(String title, SelfTest.Result result) {
        System.out.printf(Locale.ROOT, "%n%s: %s in %.2f s%n", title,
                result.passed() ? "PASS" : "FAIL", result.seconds());
        for (SelfTest.Check check : result.checks()) {
            System.out.printf(Locale.ROOT, "  %-4s %-88s %9.2e (limit %.0e)%n",
                    check.passed() ? "ok" : "FAIL", check.name(), check.error(), check.limit());
        }
    }

    private static List<Map<String, Object>> checks(SelfTest.Result result) {
        return result.checks().stream().<Map<String, Object>>map(check -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", check.name());
            entry.put("error", Double.isNaN(check.error()) ? "NaN" : check.error());
            entry.put("limit", check.limit());
            entry.put("passed", check.passed());
            return entry;
        }).toList();
    }
}
