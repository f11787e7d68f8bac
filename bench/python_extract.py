"""The "Python way" for the end-to-end extraction benchmark: what the old notebook did per image.

Pillow decodes each image and resizes it to 224x224 (Image.resize's default: bicubic), x / 127.5 - 1 as Keras'
MobileNetV2 preprocessing, torchvision's MobileNetV2 with the weights of a `fruits model init`
ONNX file (torch threads = cores), batches of 32, features = the classifier's input. One process,
as a data engineer would write it. Prints one JSON object:
  {"images": N, "seconds": S, "img_per_s": R, "decode_seconds": D, "infer_seconds": I, "threads": T}

    /usr/bin/python3 bench/python_extract.py IMAGE_FOLDER MODEL.onnx [--threads N] [--batch-size 32]

Uses Pillow, numpy, torch and torchvision, and the weight loader of tests/references.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
from PIL import Image
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "references"))
from torch_models import load_fruits_mobilenet_v2, features_of  # noqa: E402

EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp")


def main():
    parser = argparse.ArgumentParser(description="Pillow + torchvision feature extraction.")
    parser.add_argument("folder")
    parser.add_argument("model")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    model = load_fruits_mobilenet_v2(args.model)
    paths = sorted(os.path.join(root, name) for root, _, names in os.walk(args.folder)
                   for name in names if name.lower().endswith(EXTENSIONS))
    start = time.perf_counter()
    decode_seconds = infer_seconds = 0.0
    for at in range(0, len(paths), args.batch_size):
        t0 = time.perf_counter()
        batch = np.stack([
            np.asarray(Image.open(p).convert("RGB").resize((224, 224)),
                       dtype=np.float32) / 127.5 - 1
            for p in paths[at:at + args.batch_size]])
        x = torch.from_numpy(batch).permute(0, 3, 1, 2).contiguous()
        t1 = time.perf_counter()
        features_of(model, x)
        infer_seconds += time.perf_counter() - t1
        decode_seconds += t1 - t0
    seconds = time.perf_counter() - start
    print(json.dumps({"images": len(paths), "seconds": seconds, "img_per_s": len(paths) / seconds,
                      "decode_seconds": decode_seconds, "infer_seconds": infer_seconds,
                      "threads": args.threads}))


if __name__ == "__main__":
    main()
