package org.parry.experiments;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.LongStream;

/**
 * The claims docs/defenses.md checks, section by section ({@link Claim}).
 */
public final class DefenseClaims {

    private DefenseClaims() {}

    /** Every claim, in page order. */
    public static List<Claim> all() {
        List<Claim> claims = new ArrayList<>(mainClaims());
        claims.addAll(familyClaims());
        claims.add(madryClaim());
        return claims;
    }

    private static List<Claim> mainClaims() {
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
                }));
    }

    private static Claim madryClaim() {
        return new Claim("madry", "Madry et al.: ≈ 89% accuracy against 100-step PGD with"
                        + " restarts at ε = 0.3 (here: PGD-100, 5 restarts, within 5 points)",
                        false, r -> {
                    double robust = r.value("madry-mnist", "pgd100_r5");
                    if (Double.isNaN(robust)) {
                        return Optional.empty();
                    }
                    return Optional.of(Claim.Verdict.of(robust >= 0.84,
                            "%.3f; AutoAttack %.3f, clean %.3f", robust,
                            r.value("madry-mnist", "autoattack"), r.value("madry-mnist", "clean")));
                });
    }

    /** The ids of a family variant's seeds. */
    static List<String> family(String variant) {
        return LongStream.range(0, DefenseGrid.FAMILY_SEEDS)
                .mapToObj(seed -> DefenseGrid.familyId(variant, seed)).toList();
    }

    /** The ids of a label-noise variant's seeds. */
    static List<String> noisy(String variant) {
        return LongStream.range(0, DefenseGrid.NOISY_SEEDS)
                .mapToObj(seed -> DefenseGrid.noisyId(variant, seed)).toList();
    }

    /** Paired differences a − b of {@code key}, empty as "not measured yet". */
    private static Optional<double[]> paired(Results r, List<String> a, List<String> b,
            String key) {
        double[] diffs = r.differences(a, b, key);
        return diffs.length == 0 ? Optional.empty() : Optional.of(diffs);
    }

    /** A claimed effect of {@code a} over {@code b} on {@code key}, in points. */
    private static Claim effect(String section, String text, List<String> a, List<String> b,
            String key, double claimPoints) {
        return new Claim(section, text, false, r -> paired(r, a, b, key)
                .map(d -> Claim.Verdict.effect(d, claimPoints, "")));
    }

    /** A claim that the mean paired difference a − b of {@code key} is at least {@code points}. */
    private static Claim atLeast(String section, String text, List<String> a, List<String> b,
            String key, double points) {
        return new Claim(section, text, false, r -> paired(r, a, b, key).map(d -> Claim.Verdict.of(
                100 * Seeds.mean(d) >= points, "%+.1f pts over %d seed%s", 100 * Seeds.mean(d),
                d.length, d.length == 1 ? "" : "s")));
    }

    private static List<Claim> familyClaims() {
        List<Claim> claims = new ArrayList<>();
        List<String> standard = family("standard");
        claims.add(new Claim("family", "Each adversarial-training objective (PGD-AT, TRADES, IAT,"
                + " SPAT) raises PGD-20 accuracy at least 20 points above standard training", true,
                r -> {
                    List<String> parts = new ArrayList<>();
                    boolean holds = true;
                    for (String variant : List.of("pgd-at", "trades", "iat", "iat-manifold",
                            "spat")) {
                        double[] d = r.differences(family(variant), standard, "pgd20");
                        if (d.length > 0) {
                            holds &= Seeds.mean(d) >= 0.2;
                            parts.add(String.format(Locale.ROOT, "%s %+.1f", variant,
                                    100 * Seeds.mean(d)));
                        }
                    }
                    return parts.isEmpty() ? Optional.empty() : Optional.of(new Claim.Verdict(
                            holds, holds ? "yes" : "no", String.join(", ", parts) + " pts"));
                }));
        for (String iat : List.of("iat", "iat-manifold")) {
            String name = iat.equals("iat") ? "IAT (Mixup)" : "IAT (Manifold Mixup)";
            claims.add(effect("family", name + ": clean accuracy +2 to +4 points over PGD-AT",
                    family(iat), family("pgd-at"), "clean", 2));
            claims.add(atLeast("family", name + ": PGD-20 within 3 points of PGD-AT",
                    family(iat), family("pgd-at"), "pgd20", -3));
        }
        claims.add(effect("family", "SPAT: the hard classes' (T-shirt, pullover, coat, shirt)"
                + " share of errors going to their top wrong class under PGD-20 drops below"
                + " TRADES's", family("trades"), family("spat"), "hard_pair_share", 0));
        claims.add(atLeast("family", "SPAT: PGD-20 ≥ TRADES − 1 point", family("spat"),
                family("trades"), "pgd20", -1));
        claims.add(atLeast("family", "LADDER: clean accuracy within 1 point of standard training",
                family("ladder"), standard, "clean", -1));
        claims.add(effect("family", "LADDER: FGSM (ε = 0.05) accuracy at least 10 points above"
                + " standard training", family("ladder"), standard, "fgsm_0.05", 10));
        claims.add(effect("family", "J-SIGR: accuracy under MI-FGSM transferred from an ensemble"
                + " of two surrogates at least 15 points above standard training",
                family("jsigr"), standard, "transfer_mifgsm", 15));
        claims.add(atLeast("family", "J-SIGR: clean accuracy at most 3 points below standard"
                + " training", family("jsigr"), standard, "clean", -3));
        claims.add(effect("family", "J-SIGR with λ_J = 0.01: the same transfer claim",
                family("jsigr-weak"), standard, "transfer_mifgsm", 15));
        claims.add(atLeast("family", "J-SIGR with λ_J = 0.01: clean accuracy at most 3 points below"
                + " standard training", family("jsigr-weak"), standard, "clean", -3));
        claims.add(effect("hypocritical", "THRM lowers the hypocritical risk of a 50%-label-noise"
                + " model by at least 0.3 (30 points) against standard training",
                noisy("standard"), noisy("thrm"), "hypocritical_risk", 30));
        claims.add(atLeast("hypocritical", "THRM: clean accuracy within 3 points of TRADES",
                noisy("thrm"), noisy("trades"), "clean", -3));
        return claims;
    }

    /** The claims of one section. */
    public static List<Claim> of(String section) {
        return all().stream().filter(c -> c.section().equals(section)).toList();
    }
}
