package org.parry.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.parry.engine.EngineFacts;
import org.parry.engine.SelfTest;
import org.parry.engine.TorchContext;
import org.parry.io.OutputPaths;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code parry doctor}: the engine, the machine, and the engine self-test run now. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Check that this machine computes gradients right: versions, CPU and"
                + " threads, and the engine self-test (float32 forward and backward of"
                + " convolutions, linear, pooling, batch norm and cross-entropy against float64"
                + " and finite differences, about a second), on libtorch's default kernels and"
                + " with oneDNN bypassed in backward passes, which Parry does where the default"
                + " fails.",
            "Exit code 1 when the self-test fails: then every command that computes gradients"
                + " refuses to run unless given --trust-engine."})
final class DoctorCommand implements Callable<Integer> {

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
        SelfTest.Result standard = SelfTest.run(false);
        print("libtorch's default kernels (oneDNN in forward and backward passes)", standard);
        out.put("checks_default", checks(standard));
        SelfTest.Result used = standard;
        if (TorchContext.instance().isPresent()) {
            SelfTest.Result bypassed = SelfTest.run(true);
            print("backward passes bypassing oneDNN (libtorch's own kernels)", bypassed);
            out.put("checks_bypass", checks(bypassed));
            used = standard.passed() ? standard : bypassed;
        }
        String way = used == standard ? "with libtorch's default kernels"
                : "bypassing oneDNN in backward passes";
        System.out.printf("%nParry computes gradients here %s: %s%n", way,
                used.passed() ? "PASS" : "FAIL: gradients stop unless --trust-engine is given");
        out.put("parry_computes_gradients", way);
        out.put("passed", used.passed());
        JsonFile.write(json, out);
        return used.passed() ? 0 : 1;
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
