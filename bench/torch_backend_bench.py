"""The "Python way" reference for the fruits inference benchmark.

Times torchvision MobileNetV2 (weights=None, eval, eager, torch.inference_mode) on random
224x224 NCHW float32 input, for each batch size, and prints one JSON object on stdout:
  {"threads": N, "torch": "1.13.0", "results": [{"batch": 1, "images": ..., "seconds": ...,
                                                "img_per_s": ...}, ...]}

    /usr/bin/python3 bench/torch_backend_bench.py --batch-sizes 1,8,32,64 --threads 2 --min-seconds 3

Uses only torch and torchvision: no project code.
"""
import argparse
import json
import os
import time

import torch
import torchvision


def main():
    parser = argparse.ArgumentParser(description="Time torchvision MobileNetV2 inference on CPU.")
    parser.add_argument("--batch-sizes", default="1,8,32,64",
                        help="comma-separated batch sizes (default: 1,8,32,64)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="torch.set_num_threads (default: os.cpu_count())")
    parser.add_argument("--min-seconds", type=float, default=3.0,
                        help="minimum timed seconds per batch size, after warm-up (default: 3)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = torchvision.models.mobilenet_v2(weights=None).eval()
    results = []
    with torch.inference_mode():
        for batch in (int(b) for b in args.batch_sizes.split(",")):
            x = torch.rand(batch, 3, 224, 224) * 2 - 1
            for _ in range(2):  # warm-up
                model(x)
            iterations = 0
            start = time.perf_counter()
            while time.perf_counter() - start < args.min_seconds:
                model(x)
                iterations += 1
            seconds = time.perf_counter() - start
            results.append({"batch": batch, "images": batch * iterations, "seconds": seconds,
                            "img_per_s": batch * iterations / seconds})
    print(json.dumps({"threads": args.threads, "torch": torch.__version__, "results": results}))


if __name__ == "__main__":
    main()
