"""Independent references for the fruits app-model tests: Pillow and the onnx package.

    /usr/bin/python3 app_reference.py pixels OUT WIDTH HEIGHT IMAGE...
    /usr/bin/python3 app_reference.py describe MODEL.onnx

pixels: each image decoded by Pillow, converted to RGB and resized with Image.resize(BICUBIC)
(what an app does before the exported graph), appended to OUT as raw 8-bit RGB rows.

describe: runs onnx.checker.check_model(full_check=True) and prints one JSON object: the opset
imports, the operator types and their domains, the inputs and outputs (name, element type,
dimensions), the metadata_props, and the values of Constant nodes holding strings.
"""
import json
import sys

import onnx
from PIL import Image


def pixels(out, width, height, images):
    with open(out, "wb") as f:
        for path in images:
            with Image.open(path) as im:
                f.write(im.convert("RGB").resize((width, height), Image.BICUBIC).tobytes())


def value_info(v):
    t = v.type.tensor_type
    dims = [d.dim_value if d.HasField("dim_value") else d.dim_param for d in t.shape.dim]
    return {"name": v.name, "elem_type": onnx.TensorProto.DataType.Name(t.elem_type), "dims": dims}


def describe(path):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    strings = {}
    for node in model.graph.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value" and a.t.data_type == onnx.TensorProto.STRING:
                    strings[node.output[0]] = [s.decode() for s in a.t.string_data]
    print(json.dumps({
        "ir_version": model.ir_version,
        "opset_import": {o.domain: o.version for o in model.opset_import},
        "domains": sorted({n.domain for n in model.graph.node}),
        "op_types": sorted({n.op_type for n in model.graph.node}),
        "inputs": [value_info(v) for v in model.graph.input],
        "outputs": [value_info(v) for v in model.graph.output],
        "metadata": {p.key: p.value for p in model.metadata_props},
        "string_constants": strings,
    }))


if __name__ == "__main__":
    if sys.argv[1] == "pixels":
        pixels(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:])
    elif sys.argv[1] == "describe":
        describe(sys.argv[2])
    else:
        sys.exit("usage: app_reference.py pixels|describe ...")
