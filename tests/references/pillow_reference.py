"""Reference images and pixels from Pillow, for the fruits image tests.

    /usr/bin/python3 pillow_reference.py decode OUTDIR
    /usr/bin/python3 pillow_reference.py resize OUTDIR

decode: writes encoded test images (JPEG baseline, 4:4:4, progressive, grey, CMYK, EXIF
orientations 1 to 8; PNG RGB, grey, 1-bit, palette, palette with transparency, RGBA, LA, 16-bit
grey and RGB, Adam7-interlaced, EXIF-rotated; WebP lossy, lossless, with alpha; BMP RGB, 8-bit palette, top-down)
and, for each, NAME.rgb: the pixels Pillow decodes, ImageOps.exif_transpose(im).convert("RGB").
16-bit grey is the exception: Pillow opens it as mode "I" and convert("RGB") clips every value
above 255 to white, so its reference is the high byte (value >> 8), as for 16-bit RGB.
OUTDIR/manifest.txt has one line per image: FILE WIDTH HEIGHT (of the reference).

resize: writes source images src_CASE.rgb and Pillow's Image.resize of each with BILINEAR,
BICUBIC, BOX and NEAREST as CASE_FILTER.rgb, and of its grey version, Image.convert("L") before
resizing, as CASE_FILTER.grey; for the case "up", also the float32 tensors of Keras' and
torchvision's preprocessing of the bicubic result as up_NORMALIZATION_LAYOUT.f32 (LAYOUT nchw or
nhwc), and of the grey bicubic result as up_NORMALIZATION_grey.f32 (mobilenet, none, and imagenet
with the three channels' mean and std averaged). OUTDIR/manifest.txt: CASE SRC_WIDTH SRC_HEIGHT
DST_WIDTH DST_HEIGHT.

Raw files have no header: 8-bit RGB or grey rows top to bottom, or little-endian float32. Only Pillow and
numpy are used: no project code.
"""
import argparse
import io
import os
import struct
import zlib

import numpy as np
from PIL import Image, ImageOps

EXIF_ORIENTATION = 0x0112


def photo(width, height, seed):
    """Smooth colour fields with noise and edges: JPEG and resampling see realistic content."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(width, height)
    r = 128 + 100 * np.sin(6 * x + 3 * y)
    g = 128 + 100 * np.cos(5 * y - 2 * x)
    b = 128 + 90 * np.sin(9 * x * y + 1)
    rgb = np.stack([r, g, b], -1) + rng.normal(0, 12, (height, width, 3))
    rgb[(x - 0.5) ** 2 + (y - 0.4) ** 2 < 0.04] = (250, 40, 30)  # a hard-edged disc
    return rgb.clip(0, 255).astype(np.uint8)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2)]  # (x0, y0, dx, dy) of the seven passes


def png_by_hand(pixels, colour_type, interlaced=False):
    """A PNG Pillow cannot write (16-bit RGB, Adam7-interlaced): pixels uint8 or uint16, [h, w]
    (grey) or [h, w, 3]; filter type 0 on every row."""
    height, width = pixels.shape[:2]
    depth = 16 if pixels.dtype == np.uint16 else 8
    samples = pixels.astype(">u2") if depth == 16 else pixels
    passes = ADAM7 if interlaced else [(0, 0, 1, 1)]
    raw = b""
    for x0, y0, dx, dy in passes:
        sub = samples[y0::dy, x0::dx]
        if sub.size:
            raw += b"".join(b"\x00" + row.tobytes() for row in sub.reshape(sub.shape[0], -1))
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, int(interlaced))
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) +
            png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b""))


def top_down_bmp(image):
    """Pillow writes bottom-up BMPs; a negative height flips the row order."""
    buffer = io.BytesIO()
    image.save(buffer, "BMP")
    data = bytearray(buffer.getvalue())
    offset = struct.unpack_from("<I", data, 10)[0]
    width, height = struct.unpack_from("<ii", data, 18)
    stride = (width * 3 + 3) // 4 * 4
    rows = [data[offset + i * stride:offset + (i + 1) * stride] for i in range(height)]
    data[offset:] = b"".join(reversed(rows))
    struct.pack_into("<i", data, 22, -height)
    return bytes(data)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def decode_fixtures(out):
    width, height = 81, 59  # odd sizes: chroma subsampling edges, BMP row padding
    rgb = photo(width, height, seed=1)
    base = Image.fromarray(rgb)
    rng = np.random.default_rng(2)
    alpha = rng.integers(0, 256, (height, width, 1), dtype=np.uint8)
    rgba = Image.fromarray(np.concatenate([rgb, alpha], -1), "RGBA")
    palette = base.quantize(64)
    files = {}

    def save(name, image, **params):
        buffer = io.BytesIO()
        image.save(buffer, name.rsplit(".", 1)[1].upper().replace("JPG", "JPEG"), **params)
        files[name] = buffer.getvalue()

    save("rgb.jpg", base, quality=90)
    save("rgb444.jpg", base, quality=90, subsampling=0)
    save("progressive.jpg", base, quality=90, progressive=True)
    save("grey.jpg", base.convert("L"), quality=90)
    save("cmyk.jpg", base.convert("CMYK"), quality=90)
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[EXIF_ORIENTATION] = orientation
        save(f"exif{orientation}.jpg", base, quality=90, exif=exif.tobytes())
    save("rgb.png", base)
    save("grey.png", base.convert("L"))
    save("1bit.png", base.convert("1"))
    save("palette.png", palette)
    save("palette_trns.png", palette, transparency=3)
    save("rgba.png", rgba)
    save("la.png", rgba.convert("LA"))
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6
    save("exif6.png", base, exif=exif.tobytes())
    save("lossy.webp", base, quality=80)
    save("lossless.webp", base, lossless=True)
    save("alpha.webp", rgba, quality=80)
    save("rgb.bmp", base)
    save("palette.bmp", palette)
    files["topdown.bmp"] = top_down_bmp(base)
    grey16 = rng.integers(0, 65536, (height, width), dtype=np.uint16)
    files["grey16.png"] = png_by_hand(grey16, colour_type=0)
    rgb16 = rng.integers(0, 65536, (height, width, 3), dtype=np.uint16)
    files["rgb16.png"] = png_by_hand(rgb16, colour_type=2)
    files["interlaced.png"] = png_by_hand(rgb, colour_type=2, interlaced=True)

    lines = []
    for name, data in files.items():
        write(os.path.join(out, name), data)
        image = Image.open(io.BytesIO(data))
        if name == "grey16.png":
            assert image.mode == "I"
            reference = np.repeat((grey16 >> 8).astype(np.uint8)[:, :, None], 3, axis=2)
        else:
            reference = np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
            if name == "rgb16.png":  # Pillow keeps the high byte, as we do: say so
                assert np.array_equal(reference, (rgb16 >> 8).astype(np.uint8))
            if name == "interlaced.png":
                assert image.info.get("interlace") == 1 and np.array_equal(reference, rgb)
        write(os.path.join(out, name + ".rgb"), np.ascontiguousarray(reference).tobytes())
        lines.append(f"{name} {reference.shape[1]} {reference.shape[0]}")
    write(os.path.join(out, "manifest.txt"), ("\n".join(lines) + "\n").encode())


FILTERS = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC, "area": Image.BOX,
           "nearest": Image.NEAREST}

# (case, source size, target size)
RESIZE_CASES = [
    ("up", (100, 100), (224, 224)),  # Fruits-360 into MobileNet
    ("down", (517, 389), (224, 224)),  # a photo: Pillow antialiases
    ("mixed", (150, 90), (120, 200)),  # down in x, up in y
    ("rows", (224, 100), (224, 224)),  # width already right: one pass only
    ("same", (224, 224), (224, 224)),  # no resampling at all
    ("tiny", (3, 2), (7, 5)),
    ("large", (1500, 1100), (224, 224)),  # wide filters: 14 and 10 input pixels per output one
]


def normalisations(pixels):
    """Keras' preprocess_input modes and torchvision's Normalize, in their float32 arithmetic."""
    x = pixels.astype(np.float32)
    mean = np.array([0.485, 0.456, 0.406], np.float32)
    std = np.array([0.229, 0.224, 0.225], np.float32)
    return {
        "mobilenet": x / 127.5 - 1.0,  # keras mode "tf"
        "imagenet": (x / 255.0 - mean) / std,  # torchvision ToTensor + Normalize
        "caffe": x[..., ::-1] - np.array([103.939, 116.779, 123.68], np.float32),  # keras "caffe"
        "none": x,
    }


def grey_normalisations(pixels):
    """As normalisations() for one channel; ImageNet's mean and std are the three averaged."""
    x = pixels.astype(np.float32)
    return {
        "mobilenet": x / 127.5 - 1.0,
        "imagenet": (x / 255.0 - np.float32(0.449)) / np.float32(0.226),
        "none": x,
    }


def resize_fixtures(out):
    lines = []
    for index, (case, (sw, sh), (dw, dh)) in enumerate(RESIZE_CASES):
        source = photo(sw, sh, seed=10 + index)
        write(os.path.join(out, f"src_{case}.rgb"), source.tobytes())
        image = Image.fromarray(source)
        grey = image.convert("L")
        for name, resample in FILTERS.items():
            resized = np.asarray(image.resize((dw, dh), resample))
            write(os.path.join(out, f"{case}_{name}.rgb"), resized.tobytes())
            grey_resized = np.asarray(grey.resize((dw, dh), resample))
            write(os.path.join(out, f"{case}_{name}.grey"), grey_resized.tobytes())
            if case == "up" and name == "bicubic":
                for norm, tensor in grey_normalisations(grey_resized).items():
                    write(os.path.join(out, f"up_{norm}_grey.f32"), tensor.astype("<f4").tobytes())
            if case == "up" and name == "bicubic":
                for norm, tensor in normalisations(resized).items():
                    tensor = tensor.astype("<f4")
                    write(os.path.join(out, f"up_{norm}_nhwc.f32"), tensor.tobytes())
                    write(os.path.join(out, f"up_{norm}_nchw.f32"),
                          np.ascontiguousarray(tensor.transpose(2, 0, 1)).tobytes())
        lines.append(f"{case} {sw} {sh} {dw} {dh}")
    write(os.path.join(out, "manifest.txt"), ("\n".join(lines) + "\n").encode())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["decode", "resize"])
    parser.add_argument("out")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    (decode_fixtures if args.command == "decode" else resize_fixtures)(args.out)


if __name__ == "__main__":
    main()
