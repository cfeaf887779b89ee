package org.parry.report;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.parry.data.ImageDataset;
import org.parry.eval.EvaluationReport;
import org.parry.eval.Evaluator;
import org.parry.eval.SanityCheck;

/**
 * {@code index.html}: one self-contained page (no external script, style sheet, font or image;
 * images are PNG data URIs; a Content-Security-Policy forbids anything else), with every text from
 * the report escaped. The page is a header, a navigation bar and the {@link #SECTIONS} that apply
 * to the report, in order, each a card written by its {@link ReportSection}. The style sheet is
 * the resource {@value #STYLE_RESOURCE}, inlined. A small inline script marks
 * {@code body[data-images-loaded]} with "loaded/total" once the page has loaded, so a headless
 * browser can check the images.
 */
final class HtmlReport {

    /** The page's sections, in page order. */
    static final List<ReportSection> SECTIONS = List.of(new SummarySection(),
            new AttackTablesSection(), new CurveSection(), new PerClassSection(),
            new ConfusionSection(), new GallerySection(), new HypocriticalSection(),
            new DetectionSection(), new SanityChecksSection(), new ProvenanceSection());

    /** The style sheet, next to this class. */
    static final String STYLE_RESOURCE = "report.css";

    private static final String STYLE = resource(STYLE_RESOURCE);

    private HtmlReport() {}

    /** The page. */
    static String render(EvaluationReport report, Evaluator.Run run, ImageDataset data)
            throws IOException {
        ReportPage page = new ReportPage(report, run, data);
        List<ReportSection> sections = SECTIONS.stream().filter(s -> s.appliesTo(report)).toList();
        StringBuilder out = page.out();
        String title = "Robustness of " + modelName(page) + " on " + datasetName(page);
        out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ")
                .append("img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n")
                .append("<meta name=\"generator\" content=\"Parry ").append(Text.html(parryVersion(page)))
                .append("\">\n<title>").append(Text.html(title)).append("</title>\n<style>\n")
                .append(STYLE).append("</style>\n</head>\n<body>\n");
        header(page, title, sections);
        out.append("<main class=\"wrap\">\n");
        for (ReportSection section : sections) {
            out.append("<section class=\"card\" id=\"").append(section.id()).append("\">\n<h2>")
                    .append(Text.html(section.title())).append("</h2>\n");
            section.render(page);
            out.append("</section>\n");
        }
        out.append("</main>\n");
        footer(page);
        out.append("<script>\n").append(SCRIPT).append("</script>\n</body>\n</html>\n");
        return out.toString();
    }

    private static void header(ReportPage page, String title, List<ReportSection> sections) {
        EvaluationReport report = page.report();
        StringBuilder out = page.out();
        out.append("<header>\n<div class=\"wrap\">\n<div class=\"kicker\">Parry robustness report</div>\n")
                .append("<h1>").append(Text.html(title)).append("</h1>\n<div class=\"sub\">")
                .append("<span>threat model <b>").append(Text.html(Text.norm(report.norm())))
                .append("</b></span><span>ε ∈ {").append(Text.html(page.epsilonList())).append("}</span>")
                .append("<span>suite <b>").append(Text.html(report.suite())).append("</b>")
                .append(" (").append(Text.html(page.attackNames())).append(")</span>")
                .append("<span>n = ").append(Text.count(report.n())).append("</span>");
        if (!page.checks().isEmpty()) {
            out.append("<span class=\"checks\">sanity checks ");
            for (SanityCheck.Status status : SanityCheck.Status.values()) {
                long count = page.checks().stream().filter(c -> c.status() == status).count();
                if (count > 0) {
                    out.append(ReportPage.badge(status)).append("&nbsp;").append(count).append(' ');
                }
            }
            out.append("</span>");
        }
        out.append("</div>\n</div>\n</header>\n<nav><div class=\"wrap\">");
        for (ReportSection section : sections) {
            out.append("<a href=\"#").append(section.id()).append("\">")
                    .append(Text.html(section.label())).append("</a>");
        }
        out.append("</div></nav>\n");
    }

    private static void footer(ReportPage page) {
        page.out().append("<footer class=\"wrap\">Written by Parry ")
                .append(Text.html(parryVersion(page)))
                .append(" · report schema ").append(page.report().schema())
                .append(" · the numbers in machine-readable form: <a href=\"report.json\">report.json</a>, "
                        + "<a href=\"results.csv\">results.csv</a>, <a href=\"attacks.csv\">attacks.csv</a>")
                .append(page.report().detection() == null ? ""
                        : ", <a href=\"" + ReportWriter.DETECTION_CSV + "\">" + ReportWriter.DETECTION_CSV + "</a>")
                .append("</footer>\n");
    }

    private static String parryVersion(ReportPage page) {
        return page.provenance() == null ? "" : page.provenance().parryVersion();
    }

    private static String modelName(ReportPage page) {
        String model = page.provenance() == null ? null : page.provenance().model();
        if (model == null || model.isBlank()) {
            return "the model";
        }
        String trimmed = model.replaceAll("[/\\\\]+$", "");
        int slash = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
        return slash >= 0 && slash < trimmed.length() - 1 ? trimmed.substring(slash + 1) : trimmed;
    }

    private static String datasetName(ReportPage page) {
        String dataset = page.provenance() == null ? null : page.provenance().dataset();
        return dataset == null || dataset.isBlank() ? page.data().name() : dataset;
    }

    /** A text resource next to this class, read once. */
    private static String resource(String name) {
        try (InputStream in = HtmlReport.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("Parry's jar lacks the report resource " + name
                        + " (org/parry/report/" + name + "); rebuild parry-core");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the report resource " + name, e);
        }
    }

    /** Marks body[data-images-loaded] with "loaded/total" once the page has loaded. */
    static final String SCRIPT = """
            window.addEventListener("load", function () {
              var images = document.images, loaded = 0;
              for (var i = 0; i < images.length; i++) {
                if (images[i].complete && images[i].naturalWidth > 0) { loaded++; }
              }
              document.body.dataset.imagesLoaded = loaded + "/" + images.length;
            });
            """;
}
