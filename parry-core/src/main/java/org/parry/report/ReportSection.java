package org.parry.report;

import java.io.IOException;
import org.parry.eval.EvaluationReport;

/**
 * One section of {@code index.html}. {@link HtmlReport} walks its list of sections once: those
 * that apply to the report get a link in the navigation bar and a card,
 * {@code <section class="card" id="ID"><h2>TITLE</h2> … </section>}, whose content
 * {@link #render} writes. A section holds no state; everything it shows comes from the
 * {@link ReportPage}.
 */
interface ReportSection {

    /** The card's anchor, unique on the page, e.g. {@code summary}. */
    String id();

    /** The card's heading. */
    String title();

    /** The navigation bar's label; the title unless a shorter one reads better. */
    default String label() {
        return title();
    }

    /** Whether the report holds what this section shows; a section that does not is left out. */
    default boolean appliesTo(EvaluationReport report) {
        return true;
    }

    /** Writes the card's content, between its heading and its end. */
    void render(ReportPage page) throws IOException;
}
