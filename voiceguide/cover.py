"""A cover image for exported tracks: a soft two-colour gradient with gentle rings, drawn in
code from the title (so each session has its own, always the same), encoded as PNG."""

from __future__ import annotations

import hashlib
import struct
import zlib

import numpy as np

SIZE = 500


def cover_png(title: str) -> bytes:
    digest = hashlib.sha256(title.encode("utf-8")).digest()
    hue_a, hue_b = digest[0] / 255, (digest[0] / 255 + 0.12 + digest[1] / 255 * 0.2) % 1.0
    top, bottom = _colour(hue_a, 0.35, 0.78), _colour(hue_b, 0.45, 0.42)
    y, x = np.mgrid[0:SIZE, 0:SIZE] / SIZE
    mix = np.clip(0.65 * y + 0.35 * x, 0, 1)[..., None]
    image = top * (1 - mix) + bottom * mix
    cx, cy = 0.3 + digest[2] / 255 * 0.4, 0.35 + digest[3] / 255 * 0.3
    radius = np.hypot(x - cx, y - cy)
    rings = 0.5 + 0.5 * np.cos(radius * 2 * np.pi * 4.0)
    glow = np.exp(-((radius / 0.35) ** 2))
    image = image * (0.92 + 0.08 * rings[..., None]) + 40 * glow[..., None]
    return _png(np.clip(image, 0, 255).astype(np.uint8))


def _colour(hue: float, saturation: float, value: float) -> np.ndarray:
    i = int(hue * 6) % 6
    f = hue * 6 - int(hue * 6)
    p, q, t = value * (1 - saturation), value * (1 - f * saturation), value * (1 - (1 - f) * saturation)
    rgb = [(value, t, p), (q, value, p), (p, value, t), (p, q, value), (t, p, value), (value, p, q)][i]
    return np.array(rgb) * 255


def _png(pixels: np.ndarray) -> bytes:
    height, width, _ = pixels.shape
    raw = b"".join(b"\x00" + pixels[row].tobytes() for row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
