package org.parry.experiments;

import java.util.List;
import java.util.Optional;

/**
 * The claims docs/defenses.md checks, section by section ({@link Claim}).
 */
public final class DefenseClaims {

    private DefenseClaims() {}

    /** Every claim, in page order. */
    public static List<Claim> all() {
        return List.of(
                new Claim("main", "PGD-AT reaches PGD-20 ≥ 0.55 with clean ≥ 0.75", true, r -> {
                    double robust = r.value("pgd-at", "pgd20");
                    double clean = r.value("pgd-at", "clean");
                    if (Double.isNaN(robust) || Double.isNaN(clean)) {
                        return Optional.empty();
                    }
                    return Optional.of(Claim.Verdict.of(robust >= 0.55 && clean >= 0.75,
                            "%.3f / %.3f; the standard model's PGD-20 is %.3f", robust, clean,
                            r.value("standard", "pgd20")));
                }),
                new Claim("main", "FGSM-RS within 5 points of PGD-AT on PGD-20", true, r -> {
                    double fast = r.value("fgsm-rs", "pgd20");
                    double pgd = r.value("pgd-at", "pgd20");
                    if (Double.isNaN(fast) || Double.isNaN(pgd)) {
                        return Optional.empty();
                    }
                    double costRatio = r.models().get("pgd-at").training().imagesPerSecond()
                            / r.models().get("fgsm-rs").training().imagesPerSecond();
                    return Optional.of(Claim.Verdict.of(Math.abs(fast - pgd) <= 0.05,
                            "difference %+.3f, at %.0f%% of PGD-AT's cost per image; on"
                                    + " AutoAttack %.3f vs %.3f", fast - pgd, 100 * costRatio,
                            r.value("fgsm-rs", "autoattack"), r.value("pgd-at", "autoattack")));
                }),
                new Claim("main", "Distillation looks robust to softmax-CE PGD and falls to the C&W"
                        + " loss (PGD-20 CW at least 0.3 below PGD-20 CE)", true, r -> {
                    double ce = r.value("distillation", "pgd20");
                    double cw = r.value("distillation", "pgd20_cw");
                    if (Double.isNaN(ce) || Double.isNaN(cw)) {
                        return Optional.empty();
                    }
                    return Optional.of(Claim.Verdict.of(ce - cw >= 0.3,
                            "PGD-20 CE %.3f vs CW %.3f, %.1f%% of the points with an all-zero CE"
                                    + " input gradient; AutoAttack leaves %.3f", ce, cw,
                            100 * r.value("distillation", "zero_gradient_fraction"),
                            r.value("distillation", "autoattack")));
                }),
                new Claim("madry", "Madry et al.: ≈ 89% accuracy against 100-step PGD with"
                        + " restarts at ε = 0.3 (here: PGD-100, 5 restarts, within 5 points)",
                        false, r -> {
                    double robust = r.value("madry-mnist", "pgd100_r5");
                    if (Double.isNaN(robust)) {
                        return Optional.empty();
                    }
                    return Optional.of(Claim.Verdict.of(robust >= 0.84,
                            "%.3f; AutoAttack %.3f, clean %.3f", robust,
                            r.value("madry-mnist", "autoattack"), r.value("madry-mnist", "clean")));
                }));
    }

    /** The claims of one section. */
    public static List<Claim> of(String section) {
        return all().stream().filter(c -> c.section().equals(section)).toList();
    }
}
