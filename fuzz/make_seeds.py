#!/usr/bin/python3
"""Writes the image and ONNX seeds of fuzz/corpus (fuzz/make_seeds.sh runs it with Debian's
python3, which has Pillow and onnx): images of a few pixels in each format and mode we decode,
and tiny models in the forms the loader, the feature-layer cut and the normalisation passes
handle. Seeds are small so that mutations reach deep code quickly."""
import io
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from PIL import Image


def picture(mode, width, height):
    image = Image.new("RGB", (width, height))
    image.putdata([((x * 37) % 256, (y * 91) % 256, (x * y * 13) % 256)
                   for y in range(height) for x in range(width)])
    return image.convert("L").convert(mode) if mode.startswith("I") else image.convert(mode)


def write_images(folder):
    picture("RGB", 5, 3).save(f"{folder}/rgb.jpg", quality=50)
    picture("RGB", 4, 4).save(f"{folder}/progressive.jpg", progressive=True)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90
    picture("L", 3, 2).save(f"{folder}/grey_rotated.jpg", exif=exif.tobytes())
    picture("CMYK", 2, 2).save(f"{folder}/cmyk.jpg")
    picture("RGB", 3, 2).save(f"{folder}/rgb.png")
    picture("RGBA", 2, 2).save(f"{folder}/rgba.png")
    picture("P", 3, 3).save(f"{folder}/palette.png")
    picture("I;16", 2, 3).save(f"{folder}/grey16.png")
    picture("RGB", 4, 4).save(f"{folder}/lossy.webp", quality=50)
    picture("RGBA", 3, 3).save(f"{folder}/lossless.webp", lossless=True)
    picture("RGB", 3, 2).save(f"{folder}/rgb.bmp")
    picture("P", 2, 2).save(f"{folder}/palette.bmp")


def tensor(name, values, dims):
    return numpy_helper.from_array(np.asarray(values, dtype=np.float32).reshape(dims), name)


def ramp(n):
    return [(i % 7) / 8.0 - 0.4 for i in range(n)]


def save(model, path):
    onnx.checker.check_model(model)
    with open(path, "wb") as out:
        out.write(model.SerializeToString())


def classifier(open_size):
    size = "h" if open_size else 4
    nodes = [
        helper.make_node("Conv", ["image", "conv.weight", "conv.bias"], ["conv"], name="conv",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv"], ["act"], name="act"),
        helper.make_node("GlobalAveragePool", ["act"], ["pool"], name="pool"),
        helper.make_node("Flatten", ["pool"], ["features"], name="flatten", axis=1),
        helper.make_node("Gemm", ["features", "fc.weight", "fc.bias"], ["logits"], name="fc",
                         transB=1),
        helper.make_node("Softmax", ["logits"], ["probabilities"], name="softmax", axis=1),
    ]
    graph = helper.make_graph(
        nodes, "classifier",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, size, size])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 2])],
        [tensor("conv.weight", ramp(54), [2, 3, 3, 3]), tensor("conv.bias", [0.1, -0.2], [2]),
         tensor("fc.weight", [0.5, -1, 0.25, 2], [2, 2]), tensor("fc.bias", [0.5, -0.5], [2])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def export_style():
    """NHWC input behind a Transpose, Clip with inputs, Identity, Dropout, a Constant node, a
    batch view computed from Shape, and a MatMul classifier."""
    nodes = [
        helper.make_node("Transpose", ["image"], ["nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["nchw", "conv.weight"], ["conv"], kernel_shape=[1, 1]),
        helper.make_node("Clip", ["conv", "clip.min", "clip.max"], ["act"]),
        helper.make_node("Identity", ["act"], ["copy"]),
        helper.make_node("GlobalAveragePool", ["copy"], ["pool"]),
        helper.make_node("Shape", ["pool"], ["shape"]),
        helper.make_node("Gather", ["shape", "zero"], ["batch"], axis=0),
        helper.make_node("Unsqueeze", ["batch", "axes"], ["batch_1d"]),
        helper.make_node("Concat", ["batch_1d", "minus_one"], ["view_shape"], axis=0),
        helper.make_node("Reshape", ["pool", "view_shape"], ["features"]),
        helper.make_node("Dropout", ["features"], ["dropped"]),
        helper.make_node("Constant", [], ["fc.weight"], value=tensor("w", ramp(6), [2, 3])),
        helper.make_node("MatMul", ["dropped", "fc.weight"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes, "export_style",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 4, 4, 3])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 3])],
        [tensor("conv.weight", ramp(6), [2, 3, 1, 1]), tensor("clip.min", [0], []),
         tensor("clip.max", [6], []),
         numpy_helper.from_array(np.array(0, dtype=np.int64), "zero"),
         numpy_helper.from_array(np.array([0], dtype=np.int64), "axes"),
         numpy_helper.from_array(np.array([-1], dtype=np.int64), "minus_one")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def squeeze_excite():
    """A [N, C, 1, 1] scale times a [N, C, H, W] map, BatchNormalization, Add, MaxPool and a
    feature map as the only output (no classifier)."""
    nodes = [
        helper.make_node("Conv", ["image", "w"], ["conv"], kernel_shape=[1, 1]),
        helper.make_node("BatchNormalization", ["conv", "s", "b", "m", "v"], ["bn"]),
        helper.make_node("GlobalAveragePool", ["bn"], ["squeezed"]),
        helper.make_node("Sigmoid", ["squeezed"], ["scale"]),
        helper.make_node("Mul", ["bn", "scale"], ["excited"]),
        helper.make_node("Add", ["excited", "bn"], ["sum"]),
        helper.make_node("MaxPool", ["sum"], ["pooled"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("GlobalAveragePool", ["pooled"], ["features"]),
    ]
    graph = helper.make_graph(
        nodes, "squeeze_excite",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 4, 4])],
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, 2, 1, 1])],
        [tensor("w", ramp(6), [2, 3, 1, 1]), tensor("s", [1, 2], [2]), tensor("b", [0, 1], [2]),
         tensor("m", [0.5, 0], [2]), tensor("v", [1, 4], [2])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])


def quantized():
    """A QDQ file as `fruits model quantize` writes it: uint8 activations (the zero-point shift),
    per-channel int8 weights of a Conv+Relu and a depthwise Conv, an int8 Add of two computed
    tensors, a Sigmoid in float between conversions and an int8 global pool."""
    nodes, initializers = [], []

    def quantize_dequantize(name, scale, zero_point):
        initializers.extend([
            numpy_helper.from_array(np.array(scale, dtype=np.float32), f"{name}.scale"),
            numpy_helper.from_array(np.array(zero_point, dtype=np.uint8), f"{name}.zp")])
        nodes.extend([
            helper.make_node("QuantizeLinear", [name, f"{name}.scale", f"{name}.zp"],
                             [f"{name}.q"]),
            helper.make_node("DequantizeLinear", [f"{name}.q", f"{name}.scale", f"{name}.zp"],
                             [f"{name}.dq"])])

    def int8_weights(name, dims, scales):
        count = int(np.prod(dims))
        values = np.array([(i * 37) % 255 - 127 for i in range(count)], dtype=np.int8)
        initializers.extend([
            numpy_helper.from_array(values.reshape(dims), name),
            numpy_helper.from_array(np.asarray(scales, dtype=np.float32), f"{name}.scale"),
            numpy_helper.from_array(np.zeros(len(scales), dtype=np.int8), f"{name}.zp")])
        nodes.append(helper.make_node(
            "DequantizeLinear", [name, f"{name}.scale", f"{name}.zp"], [f"{name}.dq"], axis=0))

    quantize_dequantize("image", 0.02, 128)
    int8_weights("w1", [2, 3, 3, 1], [0.01, 0.02])
    initializers.append(tensor("b1", [0.1, -0.2], [2]))
    nodes.append(helper.make_node("Conv", ["image.dq", "w1.dq", "b1"], ["conv"],
                                  kernel_shape=[3, 1], pads=[1, 0, 1, 0]))
    nodes.append(helper.make_node("Relu", ["conv"], ["act"]))
    quantize_dequantize("act", 0.05, 0)
    int8_weights("w2", [2, 1, 3, 3], [0.03, 0.04])
    nodes.append(helper.make_node("Conv", ["act.dq", "w2.dq"], ["dw"], group=2,
                                  kernel_shape=[3, 3], pads=[1, 1, 1, 1]))
    quantize_dequantize("dw", 0.05, 100)
    nodes.append(helper.make_node("Add", ["dw.dq", "act.dq"], ["sum"]))
    quantize_dequantize("sum", 0.08, 100)
    nodes.append(helper.make_node("Sigmoid", ["sum.dq"], ["gate"]))
    nodes.append(helper.make_node("Mul", ["sum.dq", "gate"], ["gated"]))
    nodes.append(helper.make_node("GlobalAveragePool", ["gated"], ["pool"]))
    quantize_dequantize("pool", 0.01, 100)
    nodes.append(helper.make_node("Flatten", ["pool.dq"], ["features"]))
    graph = helper.make_graph(
        nodes, "quantized",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 4, 4])],
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, 2])], initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else "fuzz/corpus"
    write_images(f"{corpus}/image")
    save(classifier(False), f"{corpus}/onnx/classifier.onnx")
    save(classifier(True), f"{corpus}/onnx/open_size.onnx")
    save(export_style(), f"{corpus}/onnx/export_style.onnx")
    save(squeeze_excite(), f"{corpus}/onnx/squeeze_excite.onnx")
    save(quantized(), f"{corpus}/onnx/quantized.onnx")


if __name__ == "__main__":
    main()
