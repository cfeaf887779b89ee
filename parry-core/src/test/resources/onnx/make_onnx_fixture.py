#!/usr/bin/python3
"""Builds the ONNX test fixtures of OnnxClassifierTest (parry-core) and OnnxCommandTest (parry-cli).

Regenerate (from the repository root) with Debian's Python, which has PyTorch 1.13
(`apt-get install python3-torch` on a fresh machine; torch.onnx.export needs no onnx package):

    /usr/bin/python3 parry-core/src/test/resources/onnx/make_onnx_fixture.py

It writes, next to this script, models for 1x8x8 inputs in [0, 1] and 3 classes:
  tiny_cnn.onnx          Normalize -> Conv 3x3 -> BatchNorm (non-trivial running statistics) -> ReLU
                         -> Dropout(0.5) -> Flatten -> Linear, exported in eval mode with a
                         dynamic batch axis (dynamic_axes={"input": {0: "batch"}, ...})
  tiny_cnn.pt            the same module as TorchScript (its twin: both must give the same logits)
  tiny_cnn_softmax.onnx  the same network followed by a softmax: probabilities, not logits
  tiny_cnn_batch1.onnx   the same network exported without dynamic_axes: a fixed batch of 1
  two_inputs.onnx        a model with two inputs (image and a scale)
  not_logits.onnx        returns [N, 3, 1] instead of [N, 3]
  two_outputs.onnx       returns the logits and the softmax: two outputs
  nan_logits.onnx        returns NaN logits for the inputs it predicts as class 1
  channels_last.onnx     takes [N, 8, 8, 1] (NHWC, as TensorFlow models do) and transposes inside
  uint8_input.onnx       takes 8-bit pixels [N, 1, 8, 8] and divides by 255 inside
  tiny_cnn.json          a fixed input batch, PyTorch's eval-mode logits and softmax
                         probabilities for it, and the number of NaN rows of nan_logits.onnx
and, into parry-cli/src/test/resources/onnx/, plain_cnn.onnx: the ONNX twin of the CLI's
TorchScript fixture parry-cli/src/test/resources/torchscript/plain_cnn.pt (1x28x28 inputs, 10
classes, trained by make_cli_fixtures.py on the CLI's synthetic data; exported from that file, so
its predictions are the ones recorded in that folder's expected.json).

Everything is seeded and a rerun writes the same bytes; the script re-executes itself with
PYTHONHASHSEED=0 because TorchScript writes module constants in set order. (tiny_cnn.pt's debug
information quotes this script, so any edit of the script changes that file, not its numbers.)
"""
import json
import os
import sys

if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", ".."))
CLI_TORCHSCRIPT = os.path.join(ROOT, "parry-cli", "src", "test", "resources", "torchscript")
CLI_OUT = os.path.join(ROOT, "parry-cli", "src", "test", "resources", "onnx")
SEED = 20241213
CHANNELS, HEIGHT, WIDTH, CLASSES = 1, 8, 8, 3
OPSET = 13
DYNAMIC = {"input": {0: "batch"}, "logits": {0: "batch"}}


class Normalize(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1))

    def forward(self, x):
        return (x - self.mean) / self.std


class TinyCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.normalize = Normalize([0.45], [0.25])
        self.conv = nn.Conv2d(CHANNELS, 4, kernel_size=3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.dropout = nn.Dropout(p=0.5)
        self.head = nn.Linear(4 * HEIGHT * WIDTH, CLASSES)

    def forward(self, x):
        x = self.normalize(x)
        x = F.relu(self.bn(self.conv(x)))
        x = self.dropout(x)
        return self.head(torch.flatten(x, 1))


class Softmax(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return F.softmax(self.inner(x), dim=1)


class TwoInputs(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x, scale):
        return self.inner(x) * scale


class NotLogits(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x).unsqueeze(2)


class TwoOutputs(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        logits = self.inner(x)
        return logits, F.softmax(logits, dim=1)


class NanForClass1(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        logits = self.inner(x)
        predicted1 = (logits.argmax(dim=1, keepdim=True) == 1).expand_as(logits)
        return torch.where(predicted1, torch.full_like(logits, float("nan")), logits)


class ChannelsLast(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x.permute(0, 3, 1, 2))


class Uint8Input(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x.float() / 255.0)


def export(module, example, name, dynamic=True, input_names=("input",),
           output_names=("logits",)):
    path = os.path.join(HERE, name)
    axes = dict(DYNAMIC) if dynamic else None
    if dynamic:
        axes.update({extra: {0: "batch"} for extra in input_names[1:] + output_names[1:]})
    torch.onnx.export(module, example, path, input_names=list(input_names),
                      output_names=list(output_names), dynamic_axes=axes, opset_version=OPSET)
    print("wrote", path, os.path.getsize(path), "bytes")


def main():
    torch.manual_seed(SEED)
    model = TinyCnn()
    model.train()
    with torch.no_grad():
        for _ in range(5):
            model(torch.rand(16, CHANNELS, HEIGHT, WIDTH) * 0.8 + 0.1)
        model.bn.weight.copy_(torch.linspace(0.5, 1.5, 4))
        model.bn.bias.copy_(torch.linspace(-0.2, 0.3, 4))
        # Larger weights in the head: logits of a few units, so that the softmax variant has
        # probabilities well away from 1/3 and the argmax is not a coin toss.
        model.head.weight.mul_(8.0)
    model.eval()

    generator = torch.Generator().manual_seed(SEED + 1)
    inputs = torch.rand(6, CHANNELS, HEIGHT, WIDTH, generator=generator)
    example = inputs[:2]

    scripted = torch.jit.script(model).eval()
    scripted.save(os.path.join(HERE, "tiny_cnn.pt"))
    export(model, example, "tiny_cnn.onnx")
    export(Softmax(model).eval(), example, "tiny_cnn_softmax.onnx")
    export(model, inputs[:1], "tiny_cnn_batch1.onnx", dynamic=False)
    export(TwoInputs(model).eval(), (example, torch.ones(2, 1)), "two_inputs.onnx",
           input_names=("input", "scale"))
    export(NotLogits(model).eval(), example, "not_logits.onnx")
    export(TwoOutputs(model).eval(), example, "two_outputs.onnx",
           output_names=("logits", "probabilities"))
    export(ChannelsLast(model).eval(), example.permute(0, 2, 3, 1), "channels_last.onnx")
    export(Uint8Input(model).eval(), (example * 255).round().to(torch.uint8), "uint8_input.onnx")
    nan_model = NanForClass1(model).eval()
    export(nan_model, example, "nan_logits.onnx")

    with torch.no_grad():
        logits = model(inputs)
        probabilities = F.softmax(logits, dim=1)
        assert torch.equal(torch.jit.load(os.path.join(HERE, "tiny_cnn.pt")).eval()(inputs),
                           logits)
        nan_rows = torch.isnan(nan_model(inputs)).any(dim=1).sum().item()
    assert 0 < nan_rows < inputs.shape[0], "the NaN model must break some rows, not all"
    assert len(set(logits.argmax(dim=1).tolist())) > 1, "the inputs must reach several classes"

    fixture = {
        "about": "generated by make_onnx_fixture.py with torch " + torch.__version__
        + "; do not edit by hand",
        "inputShape": [CHANNELS, HEIGHT, WIDTH],
        "numClasses": CLASSES,
        "inputs": inputs.reshape(-1).tolist(),
        "logits": logits.reshape(-1).tolist(),
        "probabilities": probabilities.reshape(-1).tolist(),
        "nanRows": nan_rows,
    }
    with open(os.path.join(HERE, "tiny_cnn.json"), "w") as out:
        lines = ['  "%s": %s' % (key, json.dumps(value)) for key, value in fixture.items()]
        out.write("{\n" + ",\n".join(lines) + "\n}\n")
    print("logits", logits)

    # The CLI twin: the very module of plain_cnn.pt, so expected.json's predictions hold for it.
    os.makedirs(CLI_OUT, exist_ok=True)
    plain = torch.jit.load(os.path.join(CLI_TORCHSCRIPT, "plain_cnn.pt")).eval()
    path = os.path.join(CLI_OUT, "plain_cnn.onnx")
    torch.onnx.export(plain, torch.zeros(2, 1, 28, 28), path, input_names=["input"],
                      output_names=["logits"], dynamic_axes=DYNAMIC, opset_version=OPSET)
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
