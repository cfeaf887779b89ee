package org.parry.leaderboard;

import java.util.Objects;
import java.util.regex.Pattern;
import org.parry.model.ModelSource;

/**
 * One model of a leaderboard.
 *
 * @param name its name on the board and its report's directory name (letters, digits, {@code .},
 *     {@code _}, {@code -}, {@code +})
 * @param kind {@link #PARRY}, {@link #TORCHSCRIPT} or {@link #ONNX}
 * @param source the model file and the defense in front of it
 */
public record Contender(String name, String kind, ModelSource source) {

    public static final String PARRY = "parry";
    public static final String TORCHSCRIPT = "torchscript";
    public static final String ONNX = "onnx";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._+-]+");

    public Contender {
        Objects.requireNonNull(source, "source");
        if (name == null || !NAME.matcher(name).matches() || name.startsWith(".")) {
            throw new IllegalArgumentException("model name '" + name + "' is not usable as a"
                    + " directory name: use letters, digits, '.', '_', '-' and '+'");
        }
        if (!kind.equals(PARRY) && !kind.equals(TORCHSCRIPT) && !kind.equals(ONNX)) {
            throw new IllegalArgumentException("model kind must be " + PARRY + ", " + TORCHSCRIPT
                    + " or " + ONNX + ", got '" + kind + "'");
        }
    }

    /** The defense as one line, e.g. {@code bit-depth:bits=2 (exact)}, or empty for a bare model. */
    public String defense() {
        return source.defense().isEmpty() ? "" : String.join(" + ", source.defense()) + " ("
                + source.gradients().id() + (source.eot() > 1 ? ", eot " + source.eot() : "") + ")";
    }
}
