#!/usr/bin/python3
"""Builds the TorchScript fixtures of the command-line tests (parry-cli's TorchScriptCommandTest).

Regenerate (from the repository root) with Debian's Python, which has PyTorch 1.13
(`apt-get install python3-torch` on a fresh machine):

    /usr/bin/python3 parry-core/src/test/resources/torchscript/make_cli_fixtures.py

It writes into parry-cli/src/test/resources/torchscript/ small 10-class models for 1x28x28 inputs
in [0, 1], trained here for a few seconds (then softened, see soften()) on blob images drawn like Parry's `synthetic` data set
(class c = a bright square in cell c of a 4x4 grid over a dim noisy background), so that they are
accurate on it:

  good (each must give the right answer in every command):
    plain_cnn.pt        scripted Conv(1->16) -> ReLU -> AvgPool(7) -> Conv(16->16) -> ReLU -> Linear
    bn_dropout_cnn.pt   scripted, with BatchNorm (trained running statistics) and Dropout(p=0.5):
                        eval mode must hold for repeated runs to agree
    traced_cnn.pt       the plain architecture with BatchNorm, exported with torch.jit.trace
  bad (each must fail with one clear line):
    softmax_output.pt   returns probabilities (softmax of the logits) instead of logits
    no_grad.pt          computes its output under torch.no_grad(): no input gradient
    wrong_shape.pt      returns [N, 10, 1] instead of [N, 10]
    nan_logits.pt       returns NaN logits for the inputs it predicts as class 3
    five_classes.pt     a 5-class model (for 10-class data)
    rgb_cnn.pt          expects 3x28x28 inputs
    truncated.pt        the first half of plain_cnn.pt's bytes
    random_bytes.pt     4 KB of seeded random bytes
    state_dict.pt       torch.save(model.state_dict()): a pickle, not TorchScript
  data:
    t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte   100 test images (raw IDX, uncompressed)
    expected.json       per good model, PyTorch's eval-mode predictions and accuracy on those
                        images and its accuracy under FGSM at epsilon 0.2 (the same in float32
                        and float64); the number of NaN rows of nan_logits.pt

Every convolution has 16 output channels: libtorch's oneDNN gives wrong input gradients for
convolutions with other channel counts on some CPUs (see DJL.md), and these tests must not
depend on that. Modules are scripted (torch.jit.script) except traced_cnn.pt: tracing bakes
`training=False` into dropout and batch_norm, so only a scripted module proves that Parry keeps
it in eval mode.

Everything is seeded; the script re-executes itself with PYTHONHASHSEED=0 because TorchScript
writes module constants in set order.
"""
import json
import os
import struct
import sys

if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "..", "parry-cli", "src", "test",
                                    "resources", "torchscript"))
SEED = 20241210
SIDE, CLASSES, GRID = 28, 10, 4
TEST_SIZE = 100
FGSM_EPSILON = 0.2


def blobs(n, generator, channels=1, classes=CLASSES):
    """Images in [0, 1] like org.parry.data.SyntheticDataset (own random stream)."""
    cell = SIDE // GRID
    blob = max(1, round(cell * 0.6))
    labels = torch.arange(n) % classes
    labels = labels[torch.randperm(n, generator=generator)]
    background = torch.randint(0, 61, (n, channels, SIDE, SIDE), generator=generator).float()
    images = background
    for i in range(n):
        c = int(labels[i])
        top = (c // GRID) * cell + int(torch.randint(0, cell - blob + 1, (1,), generator=generator))
        left = (c % GRID) * cell + int(torch.randint(0, cell - blob + 1, (1,), generator=generator))
        brightness = float(torch.randint(170, 256, (1,), generator=generator))
        images[i, :, top:top + blob, left:left + blob] = brightness
    noise = torch.randint(-25, 26, images.shape, generator=generator).float()
    pixels = (images + noise).clamp(0, 255).round()
    return pixels / 255.0, labels


class PlainCnn(nn.Module):
    def __init__(self, channels=1, classes=CLASSES):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 16, kernel_size=3, padding=1)
        self.pool = nn.AvgPool2d(7)
        self.conv2 = nn.Conv2d(16, 16, kernel_size=3, padding=1)
        self.head = nn.Linear(16 * GRID * GRID, classes)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = F.relu(self.conv2(x))
        return self.head(torch.flatten(x, 1))


class BnDropoutCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.pool = nn.AvgPool2d(7)
        self.conv2 = nn.Conv2d(16, 16, kernel_size=3, padding=1)
        self.bn2 = nn.BatchNorm2d(16)
        self.dropout = nn.Dropout(p=0.5)
        self.head = nn.Linear(16 * GRID * GRID, CLASSES)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = F.relu(self.bn2(self.conv2(x)))
        x = self.dropout(torch.flatten(x, 1))
        return self.head(x)


class Softmax(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return F.softmax(self.inner(x), dim=1)


class NoGrad(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        with torch.no_grad():
            return self.inner(x)


class WrongShape(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x).unsqueeze(2)


class NanForClass3(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        logits = self.inner(x)
        predicted3 = (logits.argmax(dim=1, keepdim=True) == 3).expand_as(logits)
        return torch.where(predicted3, torch.full_like(logits, float("nan")), logits)


def train(model, x, y, steps=300, lr=0.01):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(SEED + 7)
    model.train()
    for _ in range(steps):
        index = torch.randint(0, x.shape[0], (64,), generator=generator)
        optimizer.zero_grad()
        F.cross_entropy(model(x[index]), y[index]).backward()
        optimizer.step()
    model.eval()
    return model


def soften(model, x, target=0.9):
    """Divides the last layer by a temperature until the mean top probability on x is at most
    target. The predictions do not change, but the cross-entropy is no longer saturated: the
    input gradients of a model trained to ~100% confidence are ~1e-4, near float32 noise, and
    sign-based attacks on them depend on rounding (observed: FGSM results differing between
    runs and between float32 and float64)."""
    with torch.no_grad():
        while F.softmax(model(x), dim=1).max(dim=1).values.mean() > target:
            model.head.weight.mul_(0.8)
            model.head.bias.mul_(0.8)
    return model


def predictions(module, x):
    with torch.no_grad():
        return module(x).argmax(dim=1)


def fgsm_accuracy(module, x, y, epsilon):
    """Accuracy after FGSM (x + epsilon * sign(grad cross-entropy), clipped to [0, 1])."""
    x = x.clone().requires_grad_(True)
    (gradient,) = torch.autograd.grad(F.cross_entropy(module(x), y, reduction="sum"), x)
    adversarial = (x + epsilon * gradient.sign()).clamp(0, 1)
    return (predictions(module, adversarial) == y).double().mean().item()


def write_idx(path, magic, dims, payload):
    with open(path, "wb") as out:
        out.write(struct.pack(">I", magic))
        for d in dims:
            out.write(struct.pack(">I", d))
        out.write(payload)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(SEED)
    generator = torch.Generator().manual_seed(SEED)
    train_x, train_y = blobs(2000, generator)
    test_x, test_y = blobs(TEST_SIZE, generator)

    plain = soften(train(PlainCnn(), train_x, train_y), train_x)
    bn_dropout = soften(train(BnDropoutCnn(), train_x, train_y), train_x)
    traced_source = soften(train(BnDropoutCnn(), train_x, train_y), train_x)
    five = train(PlainCnn(classes=5), train_x[train_y < 5], train_y[train_y < 5])
    rgb = PlainCnn(channels=3).eval()

    modules = {
        "plain_cnn": torch.jit.script(plain),
        "bn_dropout_cnn": torch.jit.script(bn_dropout),
        "traced_cnn": torch.jit.trace(traced_source, test_x[:2]),
        "softmax_output": torch.jit.script(Softmax(plain).eval()),
        "no_grad": torch.jit.script(NoGrad(plain).eval()),
        "wrong_shape": torch.jit.script(WrongShape(plain).eval()),
        "nan_logits": torch.jit.script(NanForClass3(plain).eval()),
        "five_classes": torch.jit.script(five),
        "rgb_cnn": torch.jit.script(rgb),
    }
    expected = {"about": "generated by make_cli_fixtures.py with torch " + torch.__version__
                + "; do not edit by hand", "n": TEST_SIZE}
    for name, module in modules.items():
        module.eval()
        path = os.path.join(OUT, name + ".pt")
        module.save(path)
        print("wrote", path, os.path.getsize(path), "bytes")

    for name in ("plain_cnn", "bn_dropout_cnn", "traced_cnn"):
        loaded = torch.jit.load(os.path.join(OUT, name + ".pt")).eval()
        predicted = predictions(loaded, test_x)
        accuracy = (predicted == test_y).float().mean().item()
        fgsm = fgsm_accuracy(loaded, test_x, test_y, FGSM_EPSILON)
        assert fgsm == fgsm_accuracy(loaded.double(), test_x.double(), test_y, FGSM_EPSILON), \
            name + ": FGSM depends on rounding"
        loaded.float()
        expected[name] = {"predictions": predicted.tolist(), "accuracy": accuracy,
                          "fgsm_accuracy": fgsm}
        print(name, "accuracy", accuracy, "FGSM accuracy", fgsm)
        assert accuracy >= 0.9, name + " did not learn the blobs"
    # Dropout is live in train mode: eval mode is what makes repeated runs agree.
    loaded = torch.jit.load(os.path.join(OUT, "bn_dropout_cnn.pt"))
    loaded.train()
    with torch.no_grad():
        assert not torch.equal(loaded(test_x), loaded(test_x))
    with torch.no_grad():
        nan_rows = torch.isnan(modules["nan_logits"](test_x)).any(dim=1).sum().item()
    assert 0 < nan_rows < TEST_SIZE
    expected["nan_logits"] = {"nan_rows": nan_rows}

    plain_bytes = open(os.path.join(OUT, "plain_cnn.pt"), "rb").read()
    with open(os.path.join(OUT, "truncated.pt"), "wb") as out:
        out.write(plain_bytes[: len(plain_bytes) // 2])
    with open(os.path.join(OUT, "random_bytes.pt"), "wb") as out:
        out.write(bytes(torch.randint(0, 256, (4096,), generator=generator,
                                      dtype=torch.uint8).tolist()))
    torch.save(plain.state_dict(), os.path.join(OUT, "state_dict.pt"))

    pixels = (test_x * 255).round().to(torch.uint8).reshape(-1).tolist()
    write_idx(os.path.join(OUT, "t10k-images-idx3-ubyte"), 0x803, [TEST_SIZE, SIDE, SIDE],
              bytes(pixels))
    write_idx(os.path.join(OUT, "t10k-labels-idx1-ubyte"), 0x801, [TEST_SIZE],
              bytes(test_y.tolist()))
    with open(os.path.join(OUT, "expected.json"), "w") as out:
        lines = ['  "%s": %s' % (key, json.dumps(value)) for key, value in expected.items()]
        out.write("{\n" + ",\n".join(lines) + "\n}\n")


if __name__ == "__main__":
    main()
