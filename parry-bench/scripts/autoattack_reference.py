#!/usr/bin/python3
"""The Python side of `./bench autoattack-robust`: runs fra31's AutoAttack (Croce and Hein, ICML
2020, https://github.com/fra31/auto-attack) on the model Parry attacks, so that the two can be
compared in one job on one machine. Needs PyTorch (Debian: `apt-get install python3-torch`, which
is PyTorch 1.13 under /usr/bin/python3) and a copy of fra31's repository; the code of AutoAttack is
imported from that copy, never copied into Parry.

    autoattack_reference.py export WEIGHTS.npz MODEL.pt
        Rebuilds Parry's small-cnn (normalization, conv k×k same-padded, ReLU, max-pool 2, twice,
        then fc, ReLU, fc) in PyTorch from the weights Parry wrote (mean, std, conv1_weight,
        conv1_bias, conv2_*, fc1_*, fc2_*; the sizes are read off the arrays), traces it with
        torch.jit.trace and saves the TorchScript file. Parry loads it back and checks its logits.

    autoattack_reference.py attack --autoattack-dir DIR --model MODEL.pt --points POINTS.npz
            --epsilon EPS --batch BS --seed SEED --threads N --log LOG --out RESULT.json
        Runs AutoAttack(model, norm='Linf', eps, version='standard', seed, device='cpu')
        .run_standard_evaluation(x, y, bs) on the points (x float32 [N, C, H, W] in [0, 1], y int64)
        with N intra-op threads and one inter-op thread, and writes per attack: the points it
        attacked and broke, the robust accuracy after it, its gradients (images through forward and
        backward: forward calls with grad enabled on an input that requires grad) and queries
        (images through forward only: every other forward call), and its wall seconds, from the
        first call of its perturb() to the end of the last model call before the next attack
        starts (the success check AutoAttack runs on each batch's result included, as Parry's
        attack times and counts include theirs). What runs before the first attack (AutoAttack's
        checks for randomized, probability-output and dynamic models, and its clean accuracy) is
        reported as setup. The model calls are counted by a wrapper around the TorchScript module;
        the counts and times are taken inside AutoAttack's own loop, which runs unchanged.

        Checks: the driver keeps each batch's result, and after the run (uncounted, untimed)
        counts the points each attack broke; the robust accuracy after each attack must equal the
        one AutoAttack logs, and the final one must equal both AutoAttack's own (its returned
        labels) and that of the returned adversarial examples, which must lie in the ε-ball and
        in [0, 1]. Any mismatch exits with status 1.

Errors that the user can fix (no PyTorch, no AutoAttack) print one line and exit with status 2.
"""
import argparse
import json
import re
import sys
import time


def fail(message, status=2):
    print("autoattack_reference.py: " + message, file=sys.stderr)
    sys.exit(status)


try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:
    fail("needs numpy and PyTorch (%s); on Debian: apt-get install python3-torch" % e)


class SmallCnn(nn.Module):
    """Parry's small-cnn with its normalization layer, from the arrays Parry exported."""

    def __init__(self, w):
        super().__init__()
        channels = w["mean"].shape[0]
        self.register_buffer("mean", torch.from_numpy(w["mean"]).view(1, channels, 1, 1))
        self.register_buffer("std", torch.from_numpy(w["std"]).view(1, channels, 1, 1))
        kernel = w["conv1_weight"].shape[-1]
        self.conv1 = nn.Conv2d(channels, w["conv1_weight"].shape[0], kernel, padding=kernel // 2)
        self.conv2 = nn.Conv2d(w["conv2_weight"].shape[1], w["conv2_weight"].shape[0], kernel,
                               padding=kernel // 2)
        self.fc1 = nn.Linear(w["fc1_weight"].shape[1], w["fc1_weight"].shape[0])
        self.fc2 = nn.Linear(w["fc2_weight"].shape[1], w["fc2_weight"].shape[0])
        for layer in ("conv1", "conv2", "fc1", "fc2"):
            module = getattr(self, layer)
            module.weight.data.copy_(torch.from_numpy(w[layer + "_weight"]))
            module.bias.data.copy_(torch.from_numpy(w[layer + "_bias"]))

    def forward(self, x):
        x = (x - self.mean) / self.std
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc2(x)


def export(weights, out):
    with np.load(weights) as archive:
        arrays = {name: archive[name] for name in archive.files}
    model = SmallCnn(arrays).eval()
    example = torch.rand(2, arrays["mean"].shape[0], 28, 28)
    with torch.no_grad():
        traced = torch.jit.trace(model, example)
    traced.save(out)
    print("exported %s (PyTorch %s)" % (out, torch.__version__))


class Counting(nn.Module):
    """Counts and times the model calls of the attack that is running (the current phase)."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.phase = "setup"
        self.enabled = True
        self.counts = {}

    def phase_counts(self, phase):
        return self.counts.setdefault(phase, {"gradients": 0, "queries": 0, "start": None,
                                              "end": None})

    def begin(self, phase):
        """Makes `phase` the current one; its clock starts at its first call."""
        self.phase = phase
        entry = self.phase_counts(phase)
        if entry["start"] is None:
            entry["start"] = time.perf_counter()

    def forward(self, x):
        if not self.enabled:
            return self.model(x)
        entry = self.phase_counts(self.phase)
        if entry["start"] is None:
            entry["start"] = time.perf_counter()
        gradient = torch.is_grad_enabled() and x.requires_grad
        entry["gradients" if gradient else "queries"] += x.shape[0]
        logits = self.model(x)
        entry["end"] = time.perf_counter()
        return logits


def attack(args):
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    sys.path.insert(0, args.autoattack_dir)
    try:
        from autoattack import AutoAttack
    except ImportError as e:
        fail("cannot import fra31's AutoAttack from %s (%s)" % (args.autoattack_dir, e))

    with np.load(args.points) as points:
        x = torch.from_numpy(points["x"])
        y = torch.from_numpy(points["y"])
    model = Counting(torch.jit.load(args.model, map_location="cpu").eval())
    open(args.log, "w").close()
    adversary = AutoAttack(model, norm="Linf", eps=args.epsilon, version="standard",
                           seed=args.seed, device="cpu", log_path=args.log)
    attackers = {"apgd-ce": adversary.apgd, "apgd-t": adversary.apgd_targeted,
                 "fab-t": adversary.fab, "square": adversary.square}
    if list(attackers) != adversary.attacks_to_run:
        fail("this AutoAttack's standard version runs %s, the driver knows %s"
             % (adversary.attacks_to_run, list(attackers)), 1)
    results = {name: [] for name in attackers}

    def timed(name, perturb):
        def run(x_batch, y_batch, *rest, **options):
            model.begin(name)
            adversarial = perturb(x_batch, y_batch, *rest, **options)
            results[name].append((adversarial.detach().clone(), y_batch.clone()))
            return adversarial
        return run

    for name, attacker in attackers.items():
        attacker.perturb = timed(name, attacker.perturb)

    start = time.perf_counter()
    x_adv, y_adv = adversary.run_standard_evaluation(x, y, bs=args.batch, return_labels=True)
    seconds = time.perf_counter() - start

    model.enabled = False
    with torch.no_grad():
        def correct(images, labels):
            return sum(int((model(images[i:i + args.batch]).argmax(1)
                            == labels[i:i + args.batch]).sum())
                       for i in range(0, len(labels), args.batch))
        clean = correct(x, y)
        robust = clean
        setup = model.phase_counts("setup")
        report = {"torch": torch.__version__, "threads": torch.get_num_threads(),
                  "points": len(y), "clean_accuracy": clean / len(y), "seconds": seconds,
                  "setup_seconds": setup["end"] - start, "setup_queries": setup["queries"],
                  "attacks": []}
        for name in attackers:
            entry = model.phase_counts(name) if results[name] else None
            attacked = sum(len(labels) for _, labels in results[name])
            broken = sum(len(labels) - correct(images, labels) for images, labels in results[name])
            robust -= broken
            report["attacks"].append({
                "name": name, "attacked": attacked, "broken": broken,
                "robust_accuracy_after": robust / len(y),
                "gradients": entry["gradients"] if entry else 0,
                "queries": entry["queries"] if entry else 0,
                "seconds": entry["end"] - entry["start"] if entry else 0.0})
        returned = correct(x_adv, y)
        own = int((y_adv == y).sum())
        distance = (x_adv - x).abs().reshape(len(y), -1).max(1)[0].max().item()
        report["robust_accuracy"] = robust / len(y)
        report["max_linf"] = distance

    problems = []
    logged = logged_accuracies(args.log)
    expected = {"initial": clean}
    expected.update({a["name"]: round(a["robust_accuracy_after"] * len(y))
                     for a in report["attacks"] if a["attacked"] > 0})
    for name, count in expected.items():
        if name not in logged:
            problems.append("AutoAttack's log has no accuracy for %s" % name)
        elif abs(logged[name] * len(y) / 100 - count) > 0.5:
            problems.append("%s: AutoAttack logged %.2f%%, the driver counted %d of %d"
                            % (name, logged[name], count, len(y)))
    if not own == returned == robust:
        problems.append("final robust points: AutoAttack's labels %d, its adversarial examples %d,"
                        " the driver's count %d" % (own, returned, robust))
    if distance > args.epsilon + 1e-5 or x_adv.min() < 0 or x_adv.max() > 1:
        problems.append("adversarial examples outside the ball or the box (max Linf %g)" % distance)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=2)
    if problems:
        fail("; ".join(problems), 1)


def logged_accuracies(log):
    """The accuracies AutoAttack logged, in %, by attack name ('initial' for the clean one)."""
    accuracies = {}
    with open(log) as f:
        for line in f:
            initial = re.match(r"initial accuracy: ([\d.]+)%", line)
            after = re.match(r"robust accuracy after (\S+): ([\d.]+)%", line)
            if initial:
                accuracies["initial"] = float(initial.group(1))
            elif after:
                accuracies[after.group(1).lower()] = float(after.group(2))
    return accuracies


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    exporting = commands.add_parser("export", help="rebuild small-cnn from Parry's weights")
    exporting.add_argument("weights")
    exporting.add_argument("out")
    attacking = commands.add_parser("attack", help="run AutoAttack-standard on the points")
    for option in ("--autoattack-dir", "--model", "--points", "--log", "--out"):
        attacking.add_argument(option, required=True)
    attacking.add_argument("--epsilon", type=float, required=True)
    attacking.add_argument("--batch", type=int, required=True)
    attacking.add_argument("--seed", type=int, required=True)
    attacking.add_argument("--threads", type=int, required=True)
    args = parser.parse_args()
    if args.command == "export":
        export(args.weights, args.out)
    else:
        attack(args)


if __name__ == "__main__":
    main()
