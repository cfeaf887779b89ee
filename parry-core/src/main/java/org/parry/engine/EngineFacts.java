package org.parry.engine;

import java.util.LinkedHashMap;
import java.util.Map;
import org.parry.Versions;

/**
 * What Parry runs on, in words: versions (Parry, DJL, libtorch, oneDNN, MKL, Java), the CPU, its
 * vector instruction sets and cores, libtorch's threads, how backward passes run, and the engine
 * self-test's verdict. {@code parry doctor} and {@code parry info} print it.
 */
public final class EngineFacts {

    private EngineFacts() {}

    /** The facts, in print order; the self-test runs here unless its verdict is cached. */
    public static Map<String, String> describe() {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("parry", Versions.parry());
        facts.put("djl", Versions.djl());
        facts.put("libtorch", Versions.pytorch());
        TorchContext torch = TorchContext.instance().orElse(null);
        facts.put("onednn", torch == null ? "unknown" : torch.oneDnnVersion());
        facts.put("mkl", torch == null ? "unknown" : torch.mklVersion());
        facts.put("java", Versions.java() + " (" + System.getProperty("java.vm.name") + ")");
        facts.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version")
                + " " + System.getProperty("os.arch"));
        facts.put("cpu", CpuInfo.model() + ", " + Runtime.getRuntime().availableProcessors()
                + " cores");
        facts.put("vector_isa", CpuInfo.vectorIsa());
        facts.put("threads", torch == null ? "unknown" : torch.threads() + " intra-op");
        EngineCheck.Verdict verdict = EngineCheck.verdict();
        facts.put("backward", verdict.bypassOneDnn()
                ? "libtorch's own kernels (oneDNN's backward failed the self-test here; forward"
                        + " passes keep oneDNN)"
                : "libtorch's default kernels (oneDNN)");
        facts.put("self_test", verdict.summary());
        ForwardCheck.fault().ifPresent(fault -> facts.put("forward_check", fault));
        return facts;
    }
}
