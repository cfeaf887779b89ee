package org.parry.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.parry.detect.DetectionResult;
import org.parry.detect.Roc;
import org.parry.eval.EpsilonResult;
import org.parry.eval.EvaluationReport;
import org.parry.eval.TransferMatrix;

/**
 * The report's charts, drawn with XChart off screen and encoded as PNG; the public ones are those
 * of the analyses ({@code org.parry.analysis}), drawn from plain arrays.
 */
public final class Charts {

    static {
        ReportWriter.ensureHeadless();
    }

    static final int WIDTH = 760;
    static final int HEIGHT = 400;

    static final Color INK = new Color(0x1F2933);
    static final Color MUTED = new Color(0x616E7C);
    static final Color GRID = new Color(0xE4E7EB);
    static final Color WORST = new Color(0x1D4E89);
    static final Color CLEAN = new Color(0x9AA5B1);
    private static final Color[] ATTACK_COLOURS = {new Color(0xE07B39), new Color(0x3E9E6B),
        new Color(0x8E5EA2), new Color(0xC2413A), new Color(0x1B9AAA), new Color(0xB8860B),
        new Color(0x6B7A8F), new Color(0xD4679A)};

    private Charts() {}

    /**
     * Accuracy (%) against ε, starting at ε = 0 with the clean accuracy: the worst case over the
     * suite with ±1 standard error bars and, when there is more than one ε, the cumulative robust
     * accuracy after each attack but the last (the last one's curve is the worst case).
     */
    static byte[] accuracyVersusEpsilon(EvaluationReport report) throws IOException {
        XYChart chart = new XYChart(WIDTH, HEIGHT);
        style(chart.getStyler());
        chart.setXAxisTitle("ε (" + Text.norm(report.norm()) + ")");
        chart.setYAxisTitle("accuracy (%)");
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(100.0);
        chart.getStyler().setXAxisMin(0.0);
        chart.getStyler().setXAxisDecimalPattern("0.###");
        chart.getStyler().setYAxisDecimalPattern("0");
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setErrorBarsColorSeriesColor(true);

        List<EpsilonResult> results = report.results();
        int points = results.size() + 1;
        double[] x = new double[points];
        double[] worst = new double[points];
        double[] errors = new double[points];
        x[0] = 0;
        worst[0] = 100 * report.cleanAccuracy();
        errors[0] = 100 * Math.sqrt(report.cleanAccuracy() * (1 - report.cleanAccuracy())
                / Math.max(1, report.n()));
        for (int e = 0; e < results.size(); e++) {
            x[e + 1] = results.get(e).epsilon();
            worst[e + 1] = 100 * finite(results.get(e).robustAccuracy());
            errors[e + 1] = 100 * finite(results.get(e).standardError());
        }
        if (results.size() > 1) {
            int attacks = results.get(0).attacks().size();
            for (int a = 0; a < attacks - 1; a++) {
                double[] y = new double[points];
                y[0] = worst[0];
                for (int e = 0; e < results.size(); e++) {
                    y[e + 1] = 100 * finite(results.get(e).attacks().get(a).robustAccuracy());
                }
                XYSeries series = chart.addSeries("after #" + (a + 1) + " "
                        + results.get(0).attacks().get(a).name(), x, y);
                series.setLineColor(ATTACK_COLOURS[a % ATTACK_COLOURS.length]);
                series.setMarkerColor(ATTACK_COLOURS[a % ATTACK_COLOURS.length]);
                series.setMarker(SeriesMarkers.CIRCLE);
                series.setLineStyle(new BasicStroke(1.6f, BasicStroke.CAP_ROUND,
                        BasicStroke.JOIN_ROUND, 10f, new float[] {6f, 4f}, 0f));
            }
        }
        XYSeries series = chart.addSeries("worst case (all attacks)", x, worst, errors);
        series.setLineColor(WORST);
        series.setMarkerColor(WORST);
        series.setMarker(SeriesMarkers.CIRCLE);
        series.setLineStyle(new BasicStroke(2.6f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }

    /**
     * Clean and robust accuracy (%) per class at one ε, bars side by side; classes without any
     * sample are left out.
     *
     * @param classCounts samples per true class
     */
    static byte[] perClass(EvaluationReport report, int[] classCounts, int epsilonIndex)
            throws IOException {
        EpsilonResult result = report.results().get(epsilonIndex);
        List<String> names = new ArrayList<>();
        List<Double> clean = new ArrayList<>();
        List<Double> robust = new ArrayList<>();
        int longest = 0;
        for (int c = 0; c < report.classNames().size(); c++) {
            if (classCounts[c] == 0) {
                continue;
            }
            String name = report.classNames().get(c);
            names.add(name);
            longest = Math.max(longest, name.length());
            clean.add(100 * finite(report.perClassCleanAccuracy()[c]));
            robust.add(100 * finite(result.perClassRobustAccuracy()[c]));
        }
        CategoryChart chart = new CategoryChart(WIDTH, HEIGHT);
        style(chart.getStyler());
        chart.setXAxisTitle("true class");
        chart.setYAxisTitle("accuracy (%)");
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(100.0);
        chart.getStyler().setYAxisDecimalPattern("0");
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setAvailableSpaceFill(0.7);
        chart.getStyler().setPlotGridVerticalLinesVisible(false);
        if (names.size() * Math.max(longest, 4) > 70) {
            chart.getStyler().setXAxisLabelRotation(35);
        }
        CategorySeries cleanSeries = chart.addSeries("clean", names, clean);
        cleanSeries.setFillColor(CLEAN);
        CategorySeries robustSeries = chart.addSeries(
                "robust at ε = " + Text.epsilon(result.epsilon()), names, robust);
        robustSeries.setFillColor(WORST);
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }

    /**
     * A detector's ROC curves, true-positive rate (%) against false-positive rate (%): one line
     * per attack and mode (one colour per attack; oblivious solid, adaptive and any other mode
     * dashed), each named with its AUC, and the diagonal of a detector that guesses. Results
     * without a curve are left out.
     *
     * @param results the detector's results, attacks in the order their colours are given
     */
    static byte[] roc(List<DetectionResult> results) throws IOException {
        XYChart chart = new XYChart(WIDTH, HEIGHT);
        style(chart.getStyler());
        chart.setXAxisTitle("false-positive rate on clean images (%)");
        chart.setYAxisTitle("true-positive rate (%)");
        chart.getStyler().setXAxisMin(0.0).setXAxisMax(100.0);
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(100.0);
        chart.getStyler().setXAxisDecimalPattern("0");
        chart.getStyler().setYAxisDecimalPattern("0");
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        Map<String, Color> colours = new LinkedHashMap<>();
        for (DetectionResult result : results) {
            colours.computeIfAbsent(result.attack(),
                    a -> ATTACK_COLOURS[colours.size() % ATTACK_COLOURS.length]);
        }
        for (DetectionResult result : results) {
            Roc.Curve curve = result.roc();
            if (curve == null || curve.fpr().length == 0) {
                continue;
            }
            boolean oblivious = DetectionResult.OBLIVIOUS.equals(result.mode());
            line(chart.addSeries(result.attack() + ", " + result.mode() + " (AUC "
                            + Text.decimal(result.auc(), 3) + ")", percent(curve.fpr()),
                            percent(curve.tpr())), colours.get(result.attack()),
                    oblivious ? new BasicStroke(2.4f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND)
                            : new BasicStroke(2.4f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND,
                                    10f, new float[] {7f, 4f}, 0f));
        }
        line(chart.addSeries("guessing (AUC 0.5)", new double[] {0, 100}, new double[] {0, 100}),
                CLEAN, new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f,
                        new float[] {2f, 3f}, 0f));
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }

    /**
     * The transfer matrix as a heat map of error rates (%): one column per target, one row per
     * attack and source, each cell labelled with its value; diagonal cells are white-box.
     */
    static byte[] transferHeatmap(TransferMatrix matrix) throws IOException {
        List<String> targets = matrix.models();
        List<String> rows = new ArrayList<>();
        List<Number[]> cells = new ArrayList<>();
        for (int a = 0; a < matrix.attacks().size(); a++) {
            for (int s = 0; s < targets.size(); s++) {
                if (Double.isNaN(matrix.errorRate(a, s, 0))) {
                    continue; // a query-only model crafts nothing
                }
                int row = rows.size();
                rows.add(matrix.attacks().get(a) + " from " + targets.get(s));
                for (int t = 0; t < targets.size(); t++) {
                    cells.add(new Number[] {t, row, 100 * matrix.errorRate(a, s, t)});
                }
            }
        }
        // rows were numbered top down; the heat map counts them bottom up
        int count = rows.size();
        cells.forEach(c -> c[1] = count - 1 - c[1].intValue());
        java.util.Collections.reverse(rows);
        HeatMapChart chart = percentHeatMap(count, "target (error rate %, diagonal = white-box)",
                "attack from source", "0.0");
        chart.addSeries("error rate (%)", targets, rows, cells);
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }

    /**
     * Success rate (%) against the query budget of a query attack, on a logarithmic query axis:
     * the share of the eligible samples broken within each budget.
     *
     * @param budgets increasing query budgets, the first >= 1
     * @param successRates the success rate within each budget, in [0, 1]
     */
    static byte[] successVersusQueries(String attack, long[] budgets, double[] successRates)
            throws IOException {
        XYChart chart = new XYChart(WIDTH, HEIGHT);
        style(chart.getStyler());
        chart.setXAxisTitle("queries per image (budget)");
        chart.setYAxisTitle("success rate (%)");
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(100.0);
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisDecimalPattern("0");
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        double[] x = new double[budgets.length];
        double[] y = new double[budgets.length];
        for (int i = 0; i < budgets.length; i++) {
            x[i] = budgets[i];
            y[i] = 100 * finite(successRates[i]);
        }
        XYSeries series = chart.addSeries(attack, x, y);
        series.setLineColor(WORST);
        series.setMarkerColor(WORST);
        series.setMarker(SeriesMarkers.CIRCLE);
        series.setLineStyle(new BasicStroke(2.6f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }

    /**
     * A layer's mean activation magnitude against its channels' rank by relevance to the true
     * class (rank 1 = the most positively relevant), on clean inputs (dashed) and adversarial ones
     * (solid), one colour per group of classes, with the mean relevance at each rank on the right
     * axis (where it crosses zero, the negatively relevant channels begin).
     *
     * @param groups the groups' names, short, e.g. "robust"
     * @param clean clean[g][k]: group g's mean magnitude at rank k + 1
     * @param adversarial the same on the adversarial inputs
     * @param relevance the mean relevance at each rank, over all classes
     */
    public static byte[] channelMagnitudes(List<String> groups, double[][] clean,
            double[][] adversarial, double[] relevance) throws IOException {
        XYChart chart = new XYChart(WIDTH, HEIGHT);
        style(chart.getStyler());
        chart.setXAxisTitle("channels ranked by relevance to the true class (1 = most positive)");
        chart.setYAxisTitle("mean |activation|");
        chart.setYAxisGroupTitle(1, "mean relevance");
        chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setXAxisDecimalPattern("0");
        double[] rank = new double[relevance.length];
        for (int k = 0; k < rank.length; k++) {
            rank[k] = k + 1;
        }
        for (int g = 0; g < groups.size(); g++) {
            Color colour = g == 0 ? WORST : ATTACK_COLOURS[(g - 1) % ATTACK_COLOURS.length];
            line(chart.addSeries(groups.get(g) + " clean", rank, finite(clean[g])), colour,
                    new BasicStroke(1.8f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 10f,
                            new float[] {6f, 4f}, 0f));
            line(chart.addSeries(groups.get(g) + " adv.", rank, finite(adversarial[g])),
                    colour, new BasicStroke(2.4f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        }
        XYSeries series = chart.addSeries("relevance (right)", rank, finite(relevance));
        line(series, CLEAN, new BasicStroke(1.4f));
        series.setYAxisGroup(1);
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }

    /**
     * Where an untargeted attack sends each class: per true class (row), the share (%) of its
     * successful adversarial examples predicted as each class (column), each cell labelled.
     *
     * @param percent percent[t][p], NaN for a row without successes (drawn as 0)
     */
    public static byte[] classPairs(List<String> trueClasses, List<String> predictedClasses,
            double[][] percent) throws IOException {
        int count = trueClasses.size();
        List<Number[]> cells = new ArrayList<>();
        for (int t = 0; t < count; t++) {
            for (int p = 0; p < predictedClasses.size(); p++) {
                // the heat map counts rows bottom up; the first class goes on top
                cells.add(new Number[] {p, count - 1 - t, finite(percent[t][p])});
            }
        }
        List<String> rows = new ArrayList<>(trueClasses);
        java.util.Collections.reverse(rows);
        HeatMapChart chart = percentHeatMap(count,
                "prediction at the adversarial example (% of the row's successes)", "true class",
                "0");
        if (predictedClasses.stream().mapToInt(String::length).sum() > 70) {
            chart.getStyler().setXAxisLabelRotation(35);
        }
        chart.addSeries("share of successes (%)", predictedClasses, rows, cells);
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }

    /**
     * Accuracy (%) under random Gaussian noise against its σ and under an attack against its ε,
     * on one shared x axis, so that random and worst-case robustness compare; the legend says
     * which curve is which.
     *
     * @param norm the attack's norm (e.g. linf), or null when it has none
     * @param sigmas σ of each noise point, increasing (0 first for the clean accuracy)
     * @param noiseAccuracy accuracy in [0, 1] at each σ
     * @param epsilons ε of each attack point, increasing (0 first for the clean accuracy)
     * @param adversarialAccuracy accuracy in [0, 1] at each ε
     */
    public static byte[] noiseAndAttack(String attack, String norm, double[] sigmas,
            double[] noiseAccuracy, double[] epsilons, double[] adversarialAccuracy)
            throws IOException {
        String epsilon = norm == null ? "ε" : Text.norm(norm) + " ε";
        XYChart chart = new XYChart(WIDTH, HEIGHT);
        style(chart.getStyler());
        chart.setXAxisTitle("perturbation size: " + epsilon + " of the attack or σ of the noise");
        chart.setYAxisTitle("accuracy (%)");
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(100.0);
        chart.getStyler().setXAxisMin(0.0);
        chart.getStyler().setXAxisDecimalPattern("0.###");
        chart.getStyler().setYAxisDecimalPattern("0");
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        XYSeries noise = chart.addSeries("Gaussian noise (x = σ)", sigmas, percent(noiseAccuracy));
        line(noise, WORST, new BasicStroke(2.6f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        noise.setMarker(SeriesMarkers.CIRCLE);
        XYSeries adversarial = chart.addSeries(attack + " (x = " + epsilon + ")", epsilons,
                percent(adversarialAccuracy));
        line(adversarial, ATTACK_COLOURS[0],
                new BasicStroke(2.6f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        adversarial.setMarker(SeriesMarkers.CIRCLE);
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }

    private static double[] percent(double[] fractions) {
        double[] percent = finite(fractions);
        for (int i = 0; i < percent.length; i++) {
            percent[i] *= 100;
        }
        return percent;
    }

    private static void line(XYSeries series, Color colour, BasicStroke stroke) {
        series.setLineColor(colour);
        series.setMarkerColor(colour);
        series.setMarker(SeriesMarkers.NONE);
        series.setLineStyle(stroke);
    }

    private static double[] finite(double[] values) {
        double[] copy = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            copy[i] = finite(values[i]);
        }
        return copy;
    }

    private static void style(AxesChartStyler styler) {
        Font base = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setPlotBackgroundColor(Color.WHITE);
        styler.setPlotBorderVisible(false);
        styler.setChartTitleVisible(false);
        styler.setChartFontColor(INK);
        styler.setChartPadding(12);
        styler.setPlotGridLinesColor(GRID);
        styler.setPlotGridLinesStroke(new BasicStroke(1f));
        styler.setAxisTickLabelsColor(MUTED);
        styler.setAxisTickMarksColor(GRID);
        styler.setAxisTickLabelsFont(base.deriveFont(12f));
        styler.setAxisTitleFont(base);
        styler.setLegendFont(base.deriveFont(12f));
        styler.setLegendBorderColor(GRID);
        styler.setLegendBackgroundColor(new Color(255, 255, 255, 230));
        styler.setLegendPadding(8);
        styler.setMarkerSize(7);
        styler.setToolTipsEnabled(false);
        styler.setAntiAlias(true);
    }

    private static double finite(double value) {
        return Double.isFinite(value) ? value : 0;
    }

    /**
     * A heat map of percentages (0 to 100, white to red, values printed) with {@code rows} rows;
     * the builder, unlike the constructor, sets the heat map's default theme (colours, fonts).
     */
    private static HeatMapChart percentHeatMap(int rows, String xTitle, String yTitle,
            String decimalPattern) {
        HeatMapChart chart = new HeatMapChartBuilder().width(WIDTH)
                .height(Math.max(HEIGHT, 120 + 34 * rows)).build();
        style(chart.getStyler());
        chart.setXAxisTitle(xTitle);
        chart.setYAxisTitle(yTitle);
        chart.getStyler().setMin(0).setMax(100).setShowValue(true)
                .setHeatMapValueDecimalPattern(decimalPattern).setValueFontColor(INK)
                .setRangeColors(new Color[] {Color.WHITE, new Color(0xF4C095), new Color(0xC2413A)});
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        return chart;
    }
}
