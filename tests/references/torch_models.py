"""Reference ONNX models and feature vectors from torch/torchvision, for the fruits C++ tests.

    /usr/bin/python3 torch_models.py fixtures OUTDIR [--matrix ci|full|bench] [--only NAME_PREFIX]
    /usr/bin/python3 torch_models.py cases [--matrix ci|full|bench] [--only NAME_PREFIX]
    /usr/bin/python3 torch_models.py features-from-onnx MODEL.onnx INPUT.f32 BATCH OUT.f32 [--layout NCHW]
    /usr/bin/python3 torch_models.py images-to-features MODEL.onnx IMAGE...

fixtures: exports seeded torchvision models (random weights; BatchNorm and LayerNorm parameters and
biases made non-trivial, BatchNorm calibrated so activations stay O(1)) as full ONNX classifiers,
with input tensors and the expected features computed by torch: the tensor entering the dense
classifier head (the input of its first Linear layer, FAMILIES' head_layers), or the model's output
for a model without one (SqueezeNet). "X_keras" is X as Keras and tf2onnx would hand it over: a
transfer-learning head of three dense layers, its 3x3 convolutions written with auto_pad
SAME_UPPER (stride 1) or SAME_LOWER (stride 2 on even sizes) instead of explicit pads, which
compute exactly what torch's symmetric pads of 1 do, and, in NHWC, its preprocessing inside as a
TF graph-model export has it (a Sub and a Mul on the input, before the Transpose). --matrix chooses the cases (ci_cases,
full_cases, bench_cases below). Writes OUTDIR/manifest.json:
  {"cases": [{"name", "family" (the torchvision name), "arch" (the family or its "_keras" variant),
              "layout", "opset", "model", "input_size", "feature_dim",
              "head_dense_layers" (0: the features are the model's output),
              "runs": [{"batch", "input", "input_shape", "expected"}, ...]}, ...]}
Tensors are raw little-endian float32, row-major, no header; file names are relative to OUTDIR.
Layout "NHWC" models take [N,S,S,3] (S = input_size: 224, InceptionV3 299) and start with a
Transpose (like tf2onnx exports); their inputs hold NHWC data.

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
import time
import zlib

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torchvision

SIZE = 224  # input height and width, unless Family.size says otherwise


class Family:
    """How one torchvision family is built and where its features are.

    feature_dim: the size of the feature vector. head_layers: the Linear layers of its dense head;
    the features are the first one's input (1: the last Linear's input; 0: the model has no dense
    head, the features are its output). size: the input's height and width. kwargs: for the
    torchvision constructor."""

    def __init__(self, seed, feature_dim, head_layers=1, size=SIZE, **kwargs):
        self.seed, self.feature_dim, self.head_layers = seed, feature_dim, head_layers
        self.size, self.kwargs = size, kwargs


# Keyed by arch: the torchvision name, or "X_keras" (see the module's comment).
FAMILIES = {
    "mobilenet_v2": Family(1001, 1280),
    "resnet18": Family(1002, 512),
    "resnet50": Family(1003, 2048),
    "efficientnet_b0": Family(1004, 1280),
    "mobilenet_v2_keras": Family(1005, 1280, head_layers=3),
    # MobileNetV3 ends in Linear + Hardswish + Dropout + Linear.
    "mobilenet_v3_large": Family(1006, 960, head_layers=2),
    "mobilenet_v3_small": Family(1007, 576, head_layers=2),
    "resnext50_32x4d": Family(1008, 2048),
    "wide_resnet50_2": Family(1009, 2048),
    "efficientnet_b3": Family(1010, 1536),
    "regnet_y_400mf": Family(1011, 440),
    "mnasnet1_0": Family(1012, 1280),
    "shufflenet_v2_x1_0": Family(1013, 1024),
    # SqueezeNet's classifier is Dropout, Conv, ReLU, AdaptiveAvgPool: no dense layer, so its
    # features are the model's output, the 1000 pooled class maps.
    "squeezenet1_0": Family(1014, 1000, head_layers=0),
    "squeezenet1_1": Family(1015, 1000, head_layers=0),
    # Without the auxiliary classifiers (eval mode ignores them) and without torchvision's
    # truncated-normal initialisation (slow, and the seeded default is as good for a test).
    "googlenet": Family(1016, 1024, aux_logits=False, init_weights=False),
    "inception_v3": Family(1017, 2048, size=299, aux_logits=False, init_weights=False),
    "densenet121": Family(1018, 1024),
    # Linear, ReLU, Dropout three times over the flattened 512x7x7 (VGG) or 256x6x6 (AlexNet) maps.
    "vgg16": Family(1019, 25088, head_layers=3),
    "alexnet": Family(1020, 9216, head_layers=3),
    # LayerNorm2d, Flatten, Linear: the features are the Linear's input, the normalised pool.
    "convnext_tiny": Family(1021, 768),
}


def torchvision_name(arch):
    return arch.removesuffix("_keras")


# The case sets, as (arch, layout, opset, batches) tuples; `fixtures --matrix` chooses one.
def ci_cases():
    """What CTest generates: every family once (opset 13, NCHW, batch 2), the export variants the
    engine has to handle (the opsets where exporters write things differently: LayerNormalization
    only from 17, HardSwish from 14; the NHWC Transpose before a Concat family, ConvNeXt and
    ShuffleNet's channel shuffle), and batch 32 where a batch could be mixed up with channels
    (ShuffleNet's Reshape) or pooled maps (SqueezeNet) and for a grouped-convolution family."""
    existing = (
        [("mobilenet_v2", "NCHW", 13, [1, 32, 7]), ("mobilenet_v2", "NHWC", 13, [1, 32])]
        + [("resnet18", layout, 13, [1, 32]) for layout in ("NCHW", "NHWC")]
        + [("mobilenet_v2", "NCHW", opset, [1]) for opset in (10, 11, 12, 14, 15, 16, 17)]
        + [("resnet18", "NCHW", opset, [1]) for opset in (10, 17)]
        + [("resnet50", "NCHW", opset, [2]) for opset in (11, 13)]
        + [("efficientnet_b0", layout, 13, [2]) for layout in ("NCHW", "NHWC")]
        + [("mobilenet_v2_keras", "NCHW", 13, [1, 32]), ("mobilenet_v2_keras", "NHWC", 13, [2])]
        + [("mobilenet_v3_large", "NCHW", 13, [1, 32]), ("mobilenet_v3_small", "NCHW", 13, [2])])
    batch_32 = ("shufflenet_v2_x1_0", "squeezenet1_1", "regnet_y_400mf")
    covered = {arch for arch, layout, opset, _ in existing if (layout, opset) == ("NCHW", 13)}
    every_family = [(arch, "NCHW", 13, [2, 32] if arch in batch_32 else [2])
                    for arch in FAMILIES if arch not in covered]
    opsets = [(arch, "NCHW", opset, [2]) for arch in ("convnext_tiny", "shufflenet_v2_x1_0",
                                                      "mobilenet_v3_large") for opset in (11, 17)]
    # Opset 9: weights as Constant nodes, HardSwish as x * HardSigmoid(x), and the head's
    # Flatten as Shape -> Slice -> Concat -> Reshape.
    opsets += [("mobilenet_v3_small", "NCHW", 9, [2])]
    nhwc = [(arch, "NHWC", 13, [2])
            for arch in ("googlenet", "convnext_tiny", "shufflenet_v2_x1_0")]
    return existing + every_family + opsets + nhwc


def full_cases():
    """The nightly and benchmark matrix: every family, opsets 11, 13 and 17, both layouts,
    batches 1 and 32."""
    return [(arch, layout, opset, [1, 32]) for arch in FAMILIES for opset in (11, 13, 17)
            for layout in ("NCHW", "NHWC")]


def bench_cases():
    """What bench/families_bench.sh times: each torchvision family once, at opset 13 NCHW (the
    bench feeds its own batches of 32: one image of features keeps the export quick)."""
    return [(arch, "NCHW", 13, [1]) for arch in FAMILIES if arch == torchvision_name(arch)]


MATRICES = {"ci": ci_cases, "full": full_cases, "bench": bench_cases}


class NHWCInput(torch.nn.Module):
    """Takes [N,H,W,C] input and transposes it to NCHW before the wrapped model; with
    `preprocessing`, first scales it as TF graph-model exports do inside the model."""

    def __init__(self, model, preprocessing=False):
        super().__init__()
        self.model = model
        self.preprocessing = preprocessing

    def forward(self, x):
        if self.preprocessing:
            x = (x - 0.25) * 1.5
        return self.model(x.permute(0, 3, 1, 2))


def images(batch, seed, size=SIZE):
    """Deterministic NCHW float32 batch in [-1, 1]: smooth low-frequency pattern plus fine noise."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.rand(batch, 3, 7, 7, generator=g) * 2 - 1
    smooth = torch.nn.functional.interpolate(coarse, size=(size, size), mode="bilinear",
                                             align_corners=False)
    noise = torch.rand(batch, 3, size, size, generator=g) * 2 - 1
    return (0.75 * smooth + 0.25 * noise).clamp(-1, 1)


def transfer_head(features, labels=7):
    """The usual Keras transfer-learning head: Dense(256) + Dense(128) + Dense(n) + Softmax."""
    return torch.nn.Sequential(
        torch.nn.Dropout(0.2), torch.nn.Linear(features, 256), torch.nn.ReLU(), torch.nn.Dropout(0.3),
        torch.nn.Linear(256, 128), torch.nn.ReLU(), torch.nn.Linear(128, labels),
        torch.nn.Softmax(dim=1))


# BN calibration: batches of this many images, this many times. Small batches keep the export of
# the large families quick; the running statistics only have to keep activations O(1).
CALIBRATION_BATCH = 4
CALIBRATION_ROUNDS = 2


def randomise_parameters(model):
    """Makes the parameters torchvision initialises to constants random, so that a backend that
    mixes them up (or ignores them) gives other features: BatchNorm and LayerNorm affine params,
    ConvNeXt's layer scales (1e-6, which would switch its residual blocks off), and the biases of
    convolutions and dense layers (zero-initialised biases would also be identical tensors, which
    the exporter deduplicates into Identity nodes)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (torch.nn.BatchNorm2d, torch.nn.LayerNorm)):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.2)
            if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) and m.bias is not None:
                m.bias.normal_(0.0, 0.05)
        for name, p in model.named_parameters():
            if name.endswith("layer_scale"):
                p.uniform_(0.5, 1.5)


def calibrate_batch_norm(model, arch):
    """Sets the BatchNorm running statistics from seeded images, so activations stay O(1) through
    deep networks; only the BN layers run in train mode (dropout and stochastic depth stay off)."""
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    if not bns:
        return
    model.eval()
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average over the calibration batches
        bn.train()
    family = FAMILIES[arch]
    with torch.no_grad():
        for i in range(CALIBRATION_ROUNDS):
            model(images(CALIBRATION_BATCH, family.seed * 100 + i, family.size))
    model.eval()


def build_model(arch):
    """Seeded torchvision model with random parameters where torchvision's are constant, and
    calibrated BN running stats. "X_keras": torchvision's X with its classifier replaced by
    transfer_head()."""
    family = FAMILIES[arch]
    torch.manual_seed(family.seed)
    model = getattr(torchvision.models, torchvision_name(arch))(weights=None, **family.kwargs)
    if arch.endswith("_keras"):
        model.classifier = transfer_head(family.feature_dim)
    randomise_parameters(model)
    calibrate_batch_norm(model, arch)
    return model.eval()


def features_of(model, x, head_layers=1):
    """Runs model on x and returns the feature vector: the input of the first nn.Linear of its
    dense head of `head_layers` Linear layers (1: the last nn.Linear; 0: the model's output)."""
    with torch.inference_mode():
        if head_layers == 0:
            return model(x).reshape(x.shape[0], -1).numpy()
        first_of_head = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-head_layers]
        captured = []
        handle = first_of_head.register_forward_hook(lambda m, inp, out: captured.append(inp[0]))
        try:
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


def export(model, name, arch, layout, opset, outdir):
    """Writes the ONNX classifier OUTDIR/NAME.onnx, with an open batch size; False when torch
    cannot export it at this opset."""
    size = FAMILIES[arch].size
    dummy = images(2, 7, size)
    if layout == "NHWC":
        dummy = dummy.permute(0, 2, 3, 1).contiguous()
    path = os.path.join(outdir, f"{name}.onnx")
    try:
        torch.onnx.export(model, dummy, path, opset_version=opset, do_constant_folding=True,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    except Exception as e:  # an opset torch cannot export: leave the case out
        print(f"skipping {name}: export failed: {e}", file=sys.stderr)
        return False
    if arch.endswith("_keras"):
        use_same_pads(path)
    return True


def write_run(model, name, arch, layout, batch, outdir):
    """Writes a seeded input of `batch` images and torch's features for it; returns the run's
    manifest entry."""
    family = FAMILIES[arch]
    x = images(batch, zlib.crc32(f"{name}_b{batch}".encode()), family.size)
    if layout == "NHWC":
        x = x.permute(0, 2, 3, 1).contiguous()
    feats = features_of(model, x, family.head_layers)
    assert feats.shape == (batch, family.feature_dim), feats.shape
    run = {"batch": batch, "input": f"{name}_b{batch}.input.f32", "input_shape": list(x.shape),
           "expected": f"{name}_b{batch}.features.f32"}
    write_f32(os.path.join(outdir, run["input"]), x.numpy())
    write_f32(os.path.join(outdir, run["expected"]), feats)
    return run


def case_name(arch, layout, opset):
    return f"{arch}_{layout.lower()}_op{opset}"


def chosen_cases(args):
    return [c for c in MATRICES[args.matrix]()
            if not args.only or case_name(*c[:3]).startswith(args.only)]


def cmd_cases(args):
    """Prints the names of the cases `fixtures` would write, one a line (for CMake, which names
    one test per case before the fixture has run)."""
    for case in chosen_cases(args):
        print(case_name(*case[:3]))


def cmd_fixtures(args):
    os.makedirs(args.outdir, exist_ok=True)
    cases = chosen_cases(args)
    manifest = {"cases": []}
    # One family at a time: each is built (and calibrated) once and freed before the next.
    for arch in dict.fromkeys(arch for arch, *_ in cases):
        start = time.monotonic()
        model = build_model(arch)
        family = FAMILIES[arch]
        print(f"built {arch} ({time.monotonic() - start:.1f} s)", file=sys.stderr)
        for _, layout, opset, batches in (c for c in cases if c[0] == arch):
            start = time.monotonic()
            name = case_name(arch, layout, opset)
            variant = model if layout == "NCHW" else NHWCInput(
                model, preprocessing=arch.endswith("_keras")).eval()
            if not export(variant, name, arch, layout, opset, args.outdir):
                continue
            manifest["cases"].append({
                "name": name, "family": torchvision_name(arch), "arch": arch, "layout": layout,
                "opset": opset, "model": f"{name}.onnx", "input_size": family.size,
                "feature_dim": family.feature_dim, "head_dense_layers": family.head_layers,
                "runs": [write_run(variant, name, arch, layout, b, args.outdir) for b in batches]})
            print(f"wrote {name} ({time.monotonic() - start:.1f} s)", file=sys.stderr)
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


def add_case_options(parser):
    parser.add_argument("--matrix", choices=sorted(MATRICES), default="ci",
                        help="ci: what CTest runs; full: every family x opsets 11/13/17 x "
                             "NCHW/NHWC x batches 1 and 32; bench: every family once, for "
                             "bench/families_bench.sh")
    parser.add_argument("--only", metavar="NAME_PREFIX",
                        help="only cases whose name starts with this")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("fixtures", help="write ONNX models, inputs and expected features")
    p.add_argument("outdir")
    add_case_options(p)
    p.set_defaults(func=cmd_fixtures)
    p = sub.add_parser("cases", help="print the names of the cases `fixtures` writes")
    add_case_options(p)
    p.set_defaults(func=cmd_cases)
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
