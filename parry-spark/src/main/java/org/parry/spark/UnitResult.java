package org.parry.spark;

import ai.djl.ndarray.types.Shape;
import java.io.Serializable;
import org.parry.attack.AttackResult;
import org.parry.eval.EvaluationUnit;

/**
 * A finished unit as it travels from an executor to the driver: the unit and its {@link
 * AttackResult} in plain arrays (DJL's {@link Shape} is not serializable).
 */
record UnitResult(EvaluationUnit unit, float[] adversarial, long[] shape, boolean[] success,
        int[] predictions, float[] l0, float[] l2, float[] linf, long gradients, long queries,
        double seconds, int[] sampleQueries) implements Serializable {

    private static final long serialVersionUID = 1L;

    static UnitResult of(EvaluationUnit unit, AttackResult result) {
        return new UnitResult(unit, result.adversarial(), result.shape().getShape(),
                result.success(), result.predictions(), result.l0(), result.l2(), result.linf(),
                result.gradients(), result.queries(), result.seconds(), result.sampleQueries());
    }

    AttackResult result() {
        return new AttackResult(adversarial, new Shape(shape), success, predictions, l0, l2, linf,
                gradients, queries, seconds, sampleQueries);
    }
}
