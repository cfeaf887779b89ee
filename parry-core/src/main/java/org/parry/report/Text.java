package org.parry.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Locale;

/** Escaping and number formatting shared by the report's files; everything in {@link Locale#ROOT}. */
final class Text {

    /** What a table shows for an undefined number (NaN, or no sample to measure). */
    static final String NONE = "—";

    private Text() {}

    /** Text safe inside HTML elements and double- or single-quoted attributes ({@code null} is empty). */
    static String html(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /** A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. */
    static String csv(String field) {
        if (field == null) {
            return "";
        }
        if (field.indexOf(',') < 0 && field.indexOf('"') < 0 && field.indexOf('\n') < 0
                && field.indexOf('\r') < 0) {
            return field;
        }
        return '"' + field.replace("\"", "\"\"") + '"';
    }

    /** A double for CSV: the shortest exact form, empty when NaN or infinite. */
    static String csv(double value) {
        return Double.isFinite(value) ? Double.toString(value) : "";
    }

    /** A fraction as a percentage with one decimal, e.g. {@code 87.5%}. */
    static String percent(double fraction) {
        return Double.isFinite(fraction) ? String.format(Locale.ROOT, "%.1f%%", 100 * fraction) : NONE;
    }

    /** A standard error in percentage points, e.g. {@code ± 5.2}. */
    static String plusMinus(double fraction) {
        return Double.isFinite(fraction) ? String.format(Locale.ROOT, "± %.1f", 100 * fraction) : "";
    }

    /** A number with the given decimals. */
    static String decimal(double value, int decimals) {
        return Double.isFinite(value) ? String.format(Locale.ROOT, "%." + decimals + "f", value) : NONE;
    }

    /**
     * A number of any magnitude to {@code digits} significant digits, trailing zeros dropped, e.g.
     * {@code 0.0001235}, {@code 12.5}, {@code 1200}; below 10⁻⁴ in scientific notation, e.g.
     * {@code 1.2E-9}.
     */
    static String significant(double value, int digits) {
        if (!Double.isFinite(value)) {
            return NONE;
        }
        BigDecimal rounded = new BigDecimal(value).round(new MathContext(digits)).stripTrailingZeros();
        return value == 0 || Math.abs(value) >= 1e-4 ? rounded.toPlainString() : rounded.toString();
    }

    /** A count with thousands separators, e.g. {@code 12,345}. */
    static String count(long value) {
        return String.format(Locale.ROOT, "%,d", value);
    }

    /** A duration, e.g. {@code 0.42 s}, {@code 12.3 s}, {@code 4 min 05 s}. */
    static String seconds(double seconds) {
        if (!Double.isFinite(seconds)) {
            return NONE;
        }
        if (seconds < 10) {
            return String.format(Locale.ROOT, "%.2f s", seconds);
        }
        if (seconds < 120) {
            return String.format(Locale.ROOT, "%.1f s", seconds);
        }
        long whole = Math.round(seconds);
        if (whole < 7200) {
            return String.format(Locale.ROOT, "%d min %02d s", whole / 60, whole % 60);
        }
        return String.format(Locale.ROOT, "%d h %02d min", whole / 3600, whole % 3600 / 60);
    }

    /** A budget as written in the settings, e.g. {@code 0.15} ({@link Float#toString}, shortest exact form). */
    static String epsilon(float epsilon) {
        String text = Float.toString(epsilon);
        return text.endsWith(".0") ? text.substring(0, text.length() - 2) : text;
    }

    /** The norm's conventional symbol: {@code linf} becomes L∞, {@code l2} L2. */
    static String norm(String id) {
        if (id == null) {
            return "?";
        }
        return switch (id.toLowerCase(Locale.ROOT)) {
            case "linf" -> "L∞";
            case "l2" -> "L2";
            case "l1" -> "L1";
            case "l0" -> "L0";
            default -> id;
        };
    }
}
