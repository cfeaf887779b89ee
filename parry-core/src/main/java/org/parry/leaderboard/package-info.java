/**
 * Many models under one threat model, ranked in the style of RobustBench: {@link
 * org.parry.leaderboard.Leaderboard} evaluates each {@link org.parry.leaderboard.Contender} (in
 * this process or on a cluster), flags those whose evaluation fails its sanity checks instead of
 * ranking them, and reuses the finished evaluations of a model whose file did not change.
 */
package org.parry.leaderboard;
