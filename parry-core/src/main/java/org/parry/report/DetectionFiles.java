package org.parry.report;

import java.io.IOException;
import java.nio.file.Path;
import org.parry.detect.DetectionSummary;
import org.parry.io.AtomicFiles;

/**
 * The files of a detection evaluation on its own ({@code parry detect evaluate}): {@value #JSON},
 * the summary in the layout of {@code report.json}'s {@code detection} field, and {@value
 * ReportWriter#DETECTION_CSV}, its rows. An evaluation with detectors ({@code parry evaluate
 * --detector}) puts the same into its report instead.
 */
public final class DetectionFiles {

    /** The summary's file name. */
    public static final String JSON = "detection.json";

    private DetectionFiles() {}

    /** Writes {@value #JSON} and the CSV into {@code directory}, each atomically. */
    public static void write(Path directory, DetectionSummary summary) throws IOException {
        AtomicFiles.write(directory.resolve(JSON),
                out -> ReportJson.MAPPER.writeValue(out, summary));
        ReportCsv.writeDetection(directory.resolve(ReportWriter.DETECTION_CSV), summary);
    }
}
