package org.parry.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.parry.Versions;
import org.parry.data.ImageDataset;
import org.parry.eval.EvaluationListener;
import org.parry.eval.EvaluationReport;
import org.parry.eval.EvaluationSettings;
import org.parry.eval.Evaluator;
import org.parry.eval.Provenance;
import org.parry.eval.SanityCheck;
import org.parry.eval.Suite;
import org.parry.eval.SuiteAttack;
import org.parry.norm.Norm;
import org.parry.testing.TestModels;

/**
 * A real evaluation, run once per test JVM: the synthetic CNN, 32 held-out synthetic images, FGSM
 * then PGD-10 in L∞ at ε = 0.15 and 0.3 (a few seconds), with hand-written sanity checks (one of
 * each verdict, one holding markup that must come out escaped) and provenance.
 */
final class ReportFixture {

    static final int N = 32;
    static final float[] EPSILONS = {0.05f, 0.15f};
    static final String HOSTILE = "<script>alert('x')</script> & \"quotes\"";

    private static ReportFixture instance;

    final ImageDataset data;
    final Evaluator.Run run;
    final EvaluationReport report;

    private ReportFixture(ImageDataset data, Evaluator.Run run, EvaluationReport report) {
        this.data = data;
        this.run = run;
        this.report = report;
    }

    static synchronized ReportFixture get() {
        if (instance == null) {
            try {
                instance = create();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return instance;
    }

    private static ReportFixture create() throws IOException {
        ImageDataset data = TestModels.syntheticTest().first(N);
        Suite suite = new Suite("test", List.of(SuiteAttack.of("fgsm"),
                SuiteAttack.of("pgd", 10, Map.of())));
        EvaluationSettings settings = new EvaluationSettings(suite, Norm.LINF, EPSILONS, 7, 16);
        Path journal = Files.createTempDirectory("parry-report-journal");
        Evaluator.Run run;
        try {
            run = new Evaluator(settings, EvaluationListener.NONE)
                    .run(TestModels.syntheticCnn(), data, journal, false);
        } finally {
            try (Stream<Path> files = Files.walk(journal)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(file);
                }
            }
        }
        List<SanityCheck> checks = List.of(
                SanityCheck.pass("feasibility", "Every returned point lies within ε = 0.3 in L∞ and in [0, 1]."),
                SanityCheck.warn("convergence", "Doubling PGD's steps changed robust accuracy by 0.8 pp."),
                SanityCheck.fail("hostile-text", HOSTILE));
        Provenance provenance = new Provenance(Versions.parry(), Versions.djl(), Versions.pytorch(),
                Versions.java(), System.getProperty("os.name"), "test CPU (2 cores)", 7,
                "runs/test/small-cnn", "ab".repeat(32), data.name() + " test", data.sha256(),
                "2026-01-02T03:04:05Z", "2026-01-02T03:04:17.5Z",
                "passed (15/15 checks; worst: conv 1->6 input gradient: 1.07e-07, limit 1e-04)",
                null, null);
        EvaluationReport report = EvaluationReport.of(run, settings, data, checks, provenance);
        return new ReportFixture(data, run, report);
    }

    /** Broken samples at the first ε, as the gallery picks them. */
    int gallerySize() {
        return GallerySection.samples(run.worstCases().get(0), GallerySection.SIZE).size();
    }
}
