package org.parry.loss;

import java.util.Locale;
import org.parry.criterion.Criterion;
import org.parry.criterion.TargetedMisclassification;

/** The losses attacks can ascend, by name, oriented for a criterion (untargeted or targeted). */
public enum AttackLoss {
    /** Cross-entropy: ascend CE(y), or descend CE(t) for a target. */
    CE("ce"),
    /** Carlini-Wagner margin, κ = 0 unless given. */
    CW("cw"),
    /** Croce-Hein DLR (targeted DLR for a target). */
    DLR("dlr");

    private final String id;

    AttackLoss(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static AttackLoss parse(String text) {
        for (AttackLoss loss : values()) {
            if (loss.id.equals(text.trim().toLowerCase(Locale.ROOT))) {
                return loss;
            }
        }
        throw new IllegalArgumentException("unknown loss '" + text + "'; choose ce, cw or dlr");
    }

    /**
     * The loss to ascend for this criterion; its labels argument is {@code criterion.labels()}.
     *
     * @param confidence κ for the C&W margin
     */
    public LogitLoss forCriterion(Criterion criterion, float confidence) {
        return switch (this) {
            case CE -> criterion.targeted() ? CrossEntropyLoss.get().negate() : CrossEntropyLoss.get();
            case CW -> new CarliniWagnerLoss(confidence, criterion.targeted());
            case DLR -> criterion.targeted()
                    ? new TargetedDlrLoss(((TargetedMisclassification) criterion).trueLabels())
                    : DlrLoss.get();
        };
    }
}
