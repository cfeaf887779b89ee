/**
 * Robustness reports for people and for tools: {@link org.parry.report.ReportWriter} turns an
 * {@link org.parry.eval.EvaluationReport} and the {@link org.parry.eval.Evaluator.Run} behind it
 * into {@code report.json} (snake_case, NaN written as null, layout in {@code docs/report-schema.md}),
 * {@code results.csv} (one row per ε and sample), {@code attacks.csv} (one row per ε and attack),
 * {@code detection.csv} (one row per detector, attack and mode, when the evaluation had detectors)
 * and a self-contained {@code index.html}: summary, per-attack table, accuracy-versus-ε and
 * per-class charts (XChart, rendered headless), confusion under attack, a gallery of adversarial
 * examples, hypocritical risk, detection (cards, tables, ROC curves), sanity checks and
 * provenance, with every image inlined. The page is a list of {@code ReportSection}s, one file
 * each, its style sheet the resource {@code report.css}.
 * {@link org.parry.report.EvaluationJob} runs evaluate, check and report in one call;
 * {@link org.parry.report.AttackFiles} writes one attack's results over a data set (NPZ, gallery,
 * JSON).
 */
package org.parry.report;
