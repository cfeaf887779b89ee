package org.parry.analysis;

/** Hears how far an analysis has come, e.g. to draw a progress bar per stage. */
@FunctionalInterface
public interface Progress {

    Progress NONE = (stage, done, total) -> {};

    /**
     * @param stage what is running, e.g. {@code "attack ε=0.1"}; a new stage starts at done = 0
     * @param done samples done in this stage
     * @param total samples of the stage
     */
    void update(String stage, int done, int total);
}
