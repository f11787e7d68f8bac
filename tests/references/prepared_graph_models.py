"""torch exports that need the graph preparation, with torch's outputs, for the fruits C++ tests.

    /usr/bin/python3 prepared_graph_models.py OUTDIR

Writes, for each case NAME, OUTDIR/NAME.onnx (batch left open), OUTDIR/NAME.input.f32 (3 images,
NCHW, raw little-endian float32) and OUTDIR/NAME.expected.f32 (torch's output for them, the
model's features: classifier heads are replaced by Identity):
  shufflenet: ShuffleNetV2 x0.5, opset 13 (channel shuffles: Shape arithmetic before Reshape,
              Constant nodes, torch's Identity copies of shared weights);
  squeezenet: SqueezeNet 1.1, opset 11 (ceil_mode max pools), saved with its weights in an
              external data file (squeezenet.onnx.data) by onnx.save_model;
  pools:      a conv, avg_pool2d(3, 2, padding 1, ceil_mode, count_include_pad) and
              max_pool2d(3, 2, ceil_mode) on 17x17, then x.view(x.size(0), -1), opset 13.
Random weights, seeded. Only torch, torchvision and onnx: no project code.
"""
import os
import sys

import onnx
import torch
import torchvision


class Pools(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        x = torch.nn.functional.avg_pool2d(self.conv(x), 3, 2, padding=1, ceil_mode=True,
                                           count_include_pad=True)
        x = torch.nn.functional.max_pool2d(x, 3, 2, ceil_mode=True)
        return x.view(x.size(0), -1)


def cases():
    torch.manual_seed(0)
    shufflenet = torchvision.models.shufflenet_v2_x0_5(weights=None)
    shufflenet.fc = torch.nn.Identity()
    yield "shufflenet", shufflenet, 13, 224
    yield "squeezenet", torchvision.models.squeezenet1_1(weights=None), 11, 224
    yield "pools", Pools(), 13, 17


def main(out):
    os.makedirs(out, exist_ok=True)
    for name, model, opset, size in cases():
        model.eval()
        x = torch.randn(3, 3, size, size)
        path = os.path.join(out, name + ".onnx")
        torch.onnx.export(model, x, path, opset_version=opset, do_constant_folding=True,
                          input_names=["input"], output_names=["features"],
                          dynamic_axes={"input": {0: "batch"}, "features": {0: "batch"}})
        if name == "squeezenet":
            proto = onnx.load(path)
            onnx.save_model(proto, path, save_as_external_data=True, all_tensors_to_one_file=True,
                            location=name + ".onnx.data", size_threshold=0)
        with torch.no_grad():
            expected = model(x)
        x.numpy().astype("<f4").tofile(os.path.join(out, name + ".input.f32"))
        expected.numpy().astype("<f4").tofile(os.path.join(out, name + ".expected.f32"))


if __name__ == "__main__":
    main(sys.argv[1])
