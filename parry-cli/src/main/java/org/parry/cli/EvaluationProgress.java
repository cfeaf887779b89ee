package org.parry.cli;

import java.util.Locale;
import org.parry.eval.AttackOutcome;
import org.parry.eval.EvaluationListener;
import org.parry.eval.SanityLevel;

/** One progress bar per attack and ε, then a line with its result; a line when the checks start. */
final class EvaluationProgress implements EvaluationListener {

    private ProgressBar bar;

    @Override
    public void onAttackStart(String attack, float epsilon, int total) {
        bar = new ProgressBar(String.format(Locale.ROOT, "%s ε=%s", attack, epsilon), total);
    }

    @Override
    public void onBatch(String attack, int done, int broken) {
        bar.update(done, "broken " + broken);
    }

    @Override
    public void onAttackEnd(AttackOutcome outcome) {
        System.err.printf(Locale.ROOT, "%-10s ε=%-6s robust accuracy %.4f (broke %d of %d, %.1f s)%n",
                outcome.name(), outcome.epsilon(), outcome.robustAccuracy(), outcome.broken(),
                outcome.attacked(), outcome.seconds());
    }

    @Override
    public void onSanityChecks(SanityLevel level) {
        System.err.println("running the sanity checks (" + level.id() + ")...");
    }
}
