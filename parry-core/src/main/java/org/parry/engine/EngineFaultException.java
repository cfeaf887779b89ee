package org.parry.engine;

/**
 * The engine self-test failed on this machine: the native kernels return wrong gradients, so any
 * attack would be weaker than it should and any model would look more robust than it is.
 */
public final class EngineFaultException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    EngineFaultException(String message) {
        super(message);
    }
}
