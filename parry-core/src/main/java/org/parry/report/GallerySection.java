package org.parry.report;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.parry.data.ImageDataset;
import org.parry.eval.EpsilonResult;
import org.parry.eval.WorstCase;

/**
 * Up to {@value #SIZE} samples broken at the first ε, one per true class first: clean,
 * adversarial and amplified perturbation, with the predictions, the attack and the norms.
 */
final class GallerySection implements ReportSection {

    /** Broken samples shown, at most. */
    static final int SIZE = 8;

    @Override
    public String id() {
        return "gallery";
    }

    @Override
    public String title() {
        return "Adversarial examples";
    }

    @Override
    public String label() {
        return "Gallery";
    }

    @Override
    public void render(ReportPage page) throws IOException {
        StringBuilder out = page.out();
        ImageDataset data = page.data();
        EpsilonResult result = page.run().results().get(0);
        WorstCase worst = page.run().worstCases().get(0);
        List<Integer> samples = samples(worst, SIZE);
        Tiles tiles = new Tiles(data.channels(), data.height(), data.width());
        if (samples.isEmpty()) {
            out.append("<p>No sample was broken at ε = ").append(Text.html(Text.epsilon(result.epsilon())))
                    .append(".</p>\n");
            return;
        }
        out.append("<p class=\"note top\">Up to ").append(SIZE).append(" samples broken at ε = ")
                .append(Text.html(Text.epsilon(result.epsilon())))
                .append(", one per true class first. Images enlarged ").append(tiles.scale())
                .append("× (nearest neighbour). ");
        out.append(data.channels() >= 3
                ? "Perturbation: 0.5 + δ / (2 max|δ|) per channel, mid-grey = unchanged."
                : "Perturbation scaled to its largest value: red = brighter, blue = darker, "
                        + "white = unchanged.");
        out.append("</p>\n<div class=\"gallery\">\n");
        for (int i : samples) {
            float[] clean = data.image(i);
            float[] adversarial = worst.adversarial(i);
            float max = Tiles.maxAbsDifference(clean, adversarial);
            String attack = result.attacks().get(worst.brokenBy(i)).name();
            out.append("<figure class=\"sample\"><div class=\"tiles\">");
            tile(page, tiles.image(clean), tiles, "clean", "sample " + i + ", clean");
            tile(page, tiles.image(adversarial), tiles, "adversarial", "sample " + i + ", adversarial");
            tile(page, tiles.perturbation(clean, adversarial), tiles,
                    max > 0 ? String.format(Locale.ROOT, "perturbation ×%.1f", 1 / max) : "perturbation",
                    "sample " + i + ", perturbation");
            out.append("</div><figcaption>");
            caption(out, "sample", "#" + i, null);
            caption(out, "true class", page.className(worst.label(i)), "strong");
            caption(out, "clean pred.", page.className(worst.cleanPrediction(i)), "right");
            caption(out, "adversarial", page.className(worst.prediction(i)), "wrong");
            caption(out, "broken by", attack, "strong");
            caption(out, "L2 / L∞", Text.decimal(worst.l2(i), 3) + " / "
                    + Text.decimal(worst.linf(i), 3), null);
            out.append("</figcaption></figure>\n");
        }
        out.append("</div>\n");
    }

    /** Broken samples, at most {@code max}: one per true class in index order first, then the rest. */
    static List<Integer> samples(WorstCase worst, int max) {
        List<Integer> picked = new ArrayList<>();
        Set<Integer> classes = new HashSet<>();
        for (int i = 0; i < worst.size() && picked.size() < max; i++) {
            if (worst.brokenBy(i) >= 0 && classes.add(worst.label(i))) {
                picked.add(i);
            }
        }
        for (int i = 0; i < worst.size() && picked.size() < max; i++) {
            if (worst.brokenBy(i) >= 0 && !picked.contains(i)) {
                picked.add(i);
            }
        }
        picked.sort(null);
        return picked;
    }

    private static void tile(ReportPage page, byte[] png, Tiles tiles, String caption, String alt) {
        page.out().append("<div class=\"tile\">");
        page.image(png, tiles.tileWidth(), tiles.tileHeight(), "pixels", alt);
        page.out().append("<div>").append(Text.html(caption)).append("</div></div>");
    }

    private static void caption(StringBuilder out, String key, String value, String cssClass) {
        out.append("<div><span class=\"k\">").append(Text.html(key)).append("</span> ")
                .append(cssClass == null ? "<span>" : "<span class=\"" + cssClass + "\">")
                .append(Text.html(value)).append("</span></div>");
    }
}
