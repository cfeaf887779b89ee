package org.parry.detect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.function.UnaryOperator;

/**
 * The scoping every detector's scores share: the work runs in a sub-manager of the input's
 * manager, so its temporaries die with it, and only its result outlives it, in the input's
 * manager. Runs inside a caller's gradient collector as well (the autograd graph keeps what the
 * backward pass needs).
 */
final class Scopes {

    private Scopes() {}

    /** {@code work(x)}, attached to {@code x}'s manager, its temporaries freed. */
    static NDArray within(NDArray x, UnaryOperator<NDArray> work) {
        NDManager caller = x.getManager();
        try (NDManager scope = caller.newSubManager()) {
            scope.tempAttachAll(x);
            NDArray result = work.apply(x);
            result.attach(caller);
            return result;
        }
    }
}
