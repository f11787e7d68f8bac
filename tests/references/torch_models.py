"""Reference ONNX models and feature vectors from torch/torchvision, for the fruits C++ tests.

    /usr/bin/python3 torch_models.py fixtures OUTDIR [--only NAME_PREFIX]
    /usr/bin/python3 torch_models.py features-from-onnx MODEL.onnx INPUT.f32 BATCH OUT.f32 [--layout NCHW]
    /usr/bin/python3 torch_models.py images-to-features MODEL.onnx IMAGE...

fixtures: exports seeded torchvision models (random weights, BatchNorm made non-trivial and
calibrated so activations stay O(1)) as full ONNX classifiers, with input tensors and the expected
features (the input of the final Linear layer; for models whose dense head has several,
HEAD_LAYERS, the input of the first) computed by torch. "X_keras" is X as Keras and tf2onnx would hand it over: a
transfer-learning head of three dense layers, and its 3x3 convolutions written with auto_pad
SAME_UPPER (stride 1) or SAME_LOWER (stride 2 on even sizes) instead of explicit pads, which
compute exactly what torch's symmetric pads of 1 do. Writes OUTDIR/manifest.json:
  {"cases": [{"name", "arch", "layout", "opset", "model", "feature_dim",
              "runs": [{"batch", "input", "input_shape", "expected"}, ...]}, ...]}
Tensors are raw little-endian float32, row-major, no header; file names are relative to OUTDIR.
Layout "NHWC" models take [N,224,224,3] and start with a Transpose (like tf2onnx exports); their
inputs hold NHWC data.

features-from-onnx: loads the initializers of an ONNX MobileNetV2 whose initializers are named like
torchvision's mobilenet_v2().state_dict() keys (as `fruits model init --arch mobilenet_v2` writes)
into torchvision's mobilenet_v2, runs it on INPUT.f32 ([BATCH,3,224,224], or [BATCH,224,224,3] with
--layout NHWC) and writes the 1280-d features (input of classifier.1) to OUT.f32.

Only torch, torchvision, onnx and numpy are used: no project code.
"""
import argparse
import json
import os
import sys
import zlib

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torchvision

SIZE = 224
FEATURE_DIM = {"mobilenet_v2": 1280, "resnet18": 512, "resnet50": 2048, "efficientnet_b0": 1280,
               "mobilenet_v2_keras": 1280, "mobilenet_v3_large": 960, "mobilenet_v3_small": 576}
ARCH_SEED = {"mobilenet_v2": 1001, "resnet18": 1002, "resnet50": 1003, "efficientnet_b0": 1004,
             "mobilenet_v2_keras": 1005, "mobilenet_v3_large": 1006, "mobilenet_v3_small": 1007}
# Linear layers of the dense head, where more than one: the features are the first one's input
# (MobileNetV3 ends in Linear + Hardswish + Dropout + Linear).
HEAD_LAYERS = {"mobilenet_v2_keras": 3, "mobilenet_v3_large": 2, "mobilenet_v3_small": 2}

# (arch, layout, opset, batches)
CASES = (
    [("mobilenet_v2", "NCHW", 13, [1, 32, 7]), ("mobilenet_v2", "NHWC", 13, [1, 32])]
    + [("resnet18", layout, 13, [1, 32]) for layout in ("NCHW", "NHWC")]
    + [("mobilenet_v2", "NCHW", opset, [1]) for opset in (10, 11, 12, 14, 15, 16, 17)]
    + [("resnet18", "NCHW", opset, [1]) for opset in (10, 17)]
    + [("resnet50", "NCHW", opset, [2]) for opset in (11, 13)]
    + [("efficientnet_b0", layout, 13, [2]) for layout in ("NCHW", "NHWC")]
    + [("mobilenet_v2_keras", "NCHW", 13, [1, 32]), ("mobilenet_v2_keras", "NHWC", 13, [2])]
    + [("mobilenet_v3_large", "NCHW", 13, [1, 32]), ("mobilenet_v3_small", "NCHW", 13, [2])]
)


class NHWCInput(torch.nn.Module):
    """Takes [N,H,W,C] input and transposes it to NCHW before the wrapped model."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x.permute(0, 3, 1, 2))


def images(batch, seed):
    """Deterministic NCHW float32 batch in [-1, 1]: smooth low-frequency pattern plus fine noise."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.rand(batch, 3, 7, 7, generator=g) * 2 - 1
    smooth = torch.nn.functional.interpolate(coarse, size=(SIZE, SIZE), mode="bilinear",
                                             align_corners=False)
    noise = torch.rand(batch, 3, SIZE, SIZE, generator=g) * 2 - 1
    return (0.75 * smooth + 0.25 * noise).clamp(-1, 1)


def transfer_head(features, labels=7):
    """The usual Keras transfer-learning head: Dense(256) + Dense(128) + Dense(n) + Softmax."""
    return torch.nn.Sequential(
        torch.nn.Dropout(0.2), torch.nn.Linear(features, 256), torch.nn.ReLU(), torch.nn.Dropout(0.3),
        torch.nn.Linear(256, 128), torch.nn.ReLU(), torch.nn.Linear(128, labels),
        torch.nn.Softmax(dim=1))


def build_model(arch):
    """Seeded torchvision model with random BN affine params and calibrated BN running stats.
    "X_keras": torchvision's X with its classifier replaced by transfer_head()."""
    torch.manual_seed(ARCH_SEED[arch])
    model = getattr(torchvision.models, arch.removesuffix("_keras"))(weights=None)
    if arch.endswith("_keras"):
        model.classifier = transfer_head(FEATURE_DIM[arch])
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for bn in bns:
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.normal_(0.0, 0.2)
            bn.reset_running_stats()  # calibration below sets running_mean/var from the data
            bn.momentum = None  # cumulative average over the calibration batches
        # Zero-initialised conv biases (EfficientNet's squeeze-excitation) would be identical
        # tensors, which the exporter deduplicates into Identity nodes: make them distinct.
        for m in model.modules():
            if isinstance(m, torch.nn.Conv2d) and m.bias is not None:
                m.bias.normal_(0.0, 0.05)
    # Calibrate: only BN layers in train mode (dropout / stochastic depth stay off).
    model.eval()
    for bn in bns:
        bn.train()
    with torch.no_grad():
        for i in range(2):
            model(images(8, ARCH_SEED[arch] * 100 + i))
    model.eval()
    return model


def features_of(model, x, head_layers=1):
    """Runs model on x and returns the feature vector: the input of the first nn.Linear of its
    dense head of `head_layers` Linear layers (1: the last nn.Linear)."""
    last_linear = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-head_layers]
    captured = []
    handle = last_linear.register_forward_hook(lambda m, inp, out: captured.append(inp[0]))
    try:
        with torch.inference_mode():
            model(x)
    finally:
        handle.remove()
    return captured[0].reshape(x.shape[0], -1).numpy()


def use_same_pads(path):
    """Rewrites the 3x3 convolutions of an exported model with pads of 1 as auto_pad SAME_*."""
    model = onnx.load(path)
    for node in model.graph.node:
        attrs = {a.name: a for a in node.attribute}
        if node.op_type != "Conv" or list(attrs.get("pads", onnx.AttributeProto()).ints) != [1] * 4:
            continue
        if list(attrs["kernel_shape"].ints) != [3, 3]:
            continue
        strides = list(attrs["strides"].ints) if "strides" in attrs else [1, 1]
        node.attribute.remove(attrs["pads"])
        node.attribute.append(onnx.helper.make_attribute(
            "auto_pad", "SAME_UPPER" if strides == [1, 1] else "SAME_LOWER"))
    onnx.save(model, path)


def write_f32(path, array):
    np.ascontiguousarray(array).astype("<f4").tofile(path)


def cmd_fixtures(args):
    os.makedirs(args.outdir, exist_ok=True)
    models = {}
    manifest = {"cases": []}
    for arch, layout, opset, batches in CASES:
        name = f"{arch}_{layout.lower()}_op{opset}"
        if args.only and not name.startswith(args.only):
            continue
        if arch not in models:
            models[arch] = build_model(arch)
        model = models[arch] if layout == "NCHW" else NHWCInput(models[arch]).eval()
        dummy = images(2, 7)
        if layout == "NHWC":
            dummy = dummy.permute(0, 2, 3, 1).contiguous()
        model_file = f"{name}.onnx"
        try:
            torch.onnx.export(model, dummy, os.path.join(args.outdir, model_file),
                              opset_version=opset, do_constant_folding=True,
                              input_names=["input"], output_names=["logits"],
                              dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
        except Exception as e:  # an opset torch cannot export: leave the case out
            print(f"skipping {name}: export failed: {e}", file=sys.stderr)
            continue
        if arch.endswith("_keras"):
            use_same_pads(os.path.join(args.outdir, model_file))
        case = {"name": name, "arch": arch, "layout": layout, "opset": opset,
                "model": model_file, "feature_dim": FEATURE_DIM[arch], "runs": []}
        for batch in batches:
            x = images(batch, zlib.crc32(f"{name}_b{batch}".encode()))
            if layout == "NHWC":
                x = x.permute(0, 2, 3, 1).contiguous()
            feats = features_of(model, x, HEAD_LAYERS.get(arch, 1))
            assert feats.shape == (batch, FEATURE_DIM[arch]), feats.shape
            run = {"batch": batch, "input": f"{name}_b{batch}.input.f32",
                   "input_shape": list(x.shape), "expected": f"{name}_b{batch}.features.f32"}
            write_f32(os.path.join(args.outdir, run["input"]), x.numpy())
            write_f32(os.path.join(args.outdir, run["expected"]), feats)
            case["runs"].append(run)
        manifest["cases"].append(case)
        print(f"wrote {name}", file=sys.stderr)
    with open(os.path.join(args.outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


def load_fruits_mobilenet_v2(path):
    """torchvision's MobileNetV2 with the weights of a `fruits model init` ONNX file, in eval mode.

    Exits naming the initializers that do not match torchvision's parameters."""
    graph = onnx.load(path).graph
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    model = torchvision.models.mobilenet_v2(weights=None)
    state = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    missing = sorted(set(state) - set(inits))
    # Initializers named like parameters but unknown to torchvision; other constants are ignored.
    extra = sorted(k for k in set(inits) - set(state) if k.startswith(("features.", "classifier.")))
    bad_shape = sorted(f"{k}: onnx {list(inits[k].shape)} vs torch {list(v.shape)}"
                       for k, v in state.items() if k in inits and inits[k].shape != tuple(v.shape))
    if missing or extra or bad_shape:
        sys.exit(f"{path}: initializers do not match torchvision mobilenet_v2:\n"
                 f"  missing: {missing}\n  extra: {extra}\n  wrong shape: {bad_shape}")
    loaded = {k: torch.from_numpy(np.asarray(inits[k], dtype=np.float32).copy()) for k in state}
    result = model.load_state_dict(loaded, strict=False)
    assert not result.unexpected_keys and all(
        k.endswith("num_batches_tracked") for k in result.missing_keys), result
    return model.eval()


def cmd_features_from_onnx(args):
    model = load_fruits_mobilenet_v2(args.model)
    x = np.fromfile(args.input, dtype="<f4")
    expected = args.batch * 3 * SIZE * SIZE
    if x.size != expected:
        sys.exit(f"{args.input}: {x.size} floats, expected {expected} for batch {args.batch}")
    if args.layout == "NHWC":
        x = torch.from_numpy(x.reshape(args.batch, SIZE, SIZE, 3)).permute(0, 3, 1, 2).contiguous()
    else:
        x = torch.from_numpy(x.reshape(args.batch, 3, SIZE, SIZE))
    write_f32(args.out, features_of(model, x))


def cmd_images_to_features(args):
    """The Python way end to end: Pillow decodes and resizes (Image.resize's default, bicubic),
    x / 127.5 - 1 (Keras' MobileNetV2 preprocessing), torchvision runs the fruits ONNX weights.
    Prints {"IMAGE": [1280 floats], ...} as JSON."""
    from PIL import Image
    model = load_fruits_mobilenet_v2(args.model)
    batch = np.stack([np.asarray(Image.open(p).convert("RGB").resize((SIZE, SIZE)),
                                 dtype=np.float32) / 127.5 - 1 for p in args.images])
    x = torch.from_numpy(batch).permute(0, 3, 1, 2).contiguous()
    features = features_of(model, x)
    json.dump({p: [float(v) for v in f] for p, f in zip(args.images, features)}, sys.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("fixtures", help="write ONNX models, inputs and expected features")
    p.add_argument("outdir")
    p.add_argument("--only", metavar="NAME_PREFIX", help="only cases whose name starts with this")
    p.set_defaults(func=cmd_fixtures)
    p = sub.add_parser("features-from-onnx", help="features of a fruits-initialised MobileNetV2")
    p.add_argument("model")
    p.add_argument("input")
    p.add_argument("batch", type=int)
    p.add_argument("out")
    p.add_argument("--layout", choices=["NCHW", "NHWC"], default="NCHW")
    p.set_defaults(func=cmd_features_from_onnx)
    p = sub.add_parser("images-to-features", help="Pillow + torchvision features of image files")
    p.add_argument("model")
    p.add_argument("images", nargs="+")
    p.set_defaults(func=cmd_images_to_features)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
