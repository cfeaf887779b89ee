package org.parry.eval;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.parry.Versions;
import org.parry.engine.CpuInfo;
import org.parry.engine.EngineCheck;
import org.parry.engine.ForwardCheck;
import org.parry.model.BlockClassifier;
import org.parry.model.Classifier;
import org.parry.model.Pipeline;

/**
 * Where a report's numbers come from, so they can be reproduced (after Tribuo's provenance):
 * software versions, machine, seed, hashes of the model and the data, and the run's time span.
 *
 * @param parryVersion Parry
 * @param djlVersion DJL
 * @param pytorchVersion libtorch
 * @param javaVersion the JVM
 * @param os operating system and architecture
 * @param cpu the processor model and core count
 * @param seed the evaluation seed
 * @param model the model's path as given
 * @param modelSha256 SHA-256 over the model's files (sorted by name for a directory)
 * @param dataset the data set's name and split
 * @param dataSha256 SHA-256 of the evaluated images and labels
 * @param startedAt ISO-8601
 * @param finishedAt ISO-8601
 * @param engineSelfTest the engine self-test's verdict on this machine ({@link
 *     EngineCheck.Verdict#summary()})
 * @param defense for a defended model, the stages in front of the network, each with its settings
 *     and the way attack gradients passed it, and the EOT draws ({@link Pipeline#describe()});
 *     null for a bare model
 * @param attackLoss for a network with auxiliary heads (CIFS probes), the loss attacks
 *     differentiated ({@link BlockClassifier#attackLoss()}); null otherwise
 */
public record Provenance(String parryVersion, String djlVersion, String pytorchVersion,
        String javaVersion, String os, String cpu, long seed, String model, String modelSha256,
        String dataset, String dataSha256, String startedAt, String finishedAt,
        String engineSelfTest, Map<String, Object> defense, String attackLoss) {

    /** The software and machine fields filled in; the rest from the arguments. */
    public static Provenance of(long seed, Path model, Classifier evaluated, String dataset,
            String dataSha256, String startedAt, String finishedAt) throws IOException {
        return new Provenance(Versions.parry(), Versions.djl(), Versions.pytorch(), Versions.java(),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"),
                processor(), seed, model.toString(), sha256(model), dataset, dataSha256, startedAt,
                finishedAt, EngineCheck.verdict().summary()
                        + ForwardCheck.fault().map(fault -> "; " + fault).orElse(""),
                evaluated instanceof Pipeline pipeline ? pipeline.describe() : null,
                attackLoss(evaluated));
    }

    private static String attackLoss(Classifier evaluated) {
        Classifier network = evaluated instanceof Pipeline pipeline ? pipeline.network() : evaluated;
        return network instanceof BlockClassifier block ? block.attackLoss() : null;
    }

    /** SHA-256 of a file, or of a directory's regular files in name order. */
    public static String sha256(Path path) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
        List<Path> files;
        if (Files.isDirectory(path)) {
            try (Stream<Path> listing = Files.list(path)) {
                files = listing.filter(Files::isRegularFile).sorted().toList();
            }
        } else {
            files = List.of(path);
        }
        byte[] buffer = new byte[1 << 16];
        for (Path file : files) {
            try (InputStream in = Files.newInputStream(file)) {
                for (int read; (read = in.read(buffer)) > 0; ) {
                    digest.update(buffer, 0, read);
                }
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static String processor() {
        return CpuInfo.model() + " (" + Runtime.getRuntime().availableProcessors() + " cores)";
    }
}
