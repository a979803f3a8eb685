"""Scan geometry: deskew a page image and find its ruling lines (opencv lives here only)."""

from __future__ import annotations

from typing import Any

import numpy as np

from extractor.layout.geometry import Rule


def _binary(gray: Any) -> Any:
    import cv2

    _, bw = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return bw


def estimate_skew(gray: Any, max_deg: float = 3.0, step: float = 0.1) -> float:
    """Skew angle in degrees (positive: content rotated counter-clockwise), found as the
    rotation that makes the horizontal projection profile sharpest (ruling lines and text
    lines align with rows)."""
    import cv2

    h, w = gray.shape
    scale = 800.0 / max(h, w)
    small = cv2.resize(
        gray, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA
    )
    bw = _binary(small).astype(np.float32)
    center = (bw.shape[1] / 2, bw.shape[0] / 2)
    best, best_score = 0.0, -1.0
    angles = np.arange(-max_deg, max_deg + step / 2, step)
    for a in angles:
        m = cv2.getRotationMatrix2D(center, float(a), 1.0)
        rot = cv2.warpAffine(bw, m, (bw.shape[1], bw.shape[0]), flags=cv2.INTER_NEAREST)
        profile = rot.sum(axis=1)
        score = float(np.square(np.diff(profile)).sum())
        if score > best_score:
            best, best_score = float(a), score
    return best


def deskew(gray: Any, angle: float) -> Any:
    """Rotate the page by ``angle`` degrees about its centre, white background."""
    import cv2

    if abs(angle) < 0.05:
        return gray
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)


def image_rules(gray: Any, scale: float) -> list[Rule]:
    """Ruling lines of a (deskewed) page image, in PDF points (pixels / ``scale``)."""
    import cv2

    bw = _binary(gray)
    h, w = bw.shape
    rules: list[Rule] = []
    for orientation in ("h", "v"):
        length = max(15, (w if orientation == "h" else h) // 40)
        kernel = cv2.getStructuringElement(
            cv2.MORPH_RECT, (length, 1) if orientation == "h" else (1, length)
        )
        lines = cv2.morphologyEx(bw, cv2.MORPH_OPEN, kernel)
        # close small gaps left by noise along a line
        lines = cv2.dilate(
            lines,
            cv2.getStructuringElement(cv2.MORPH_RECT, (5, 1) if orientation == "h" else (1, 5)),
        )
        n, _, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
        for i in range(1, n):
            x, y, ww, hh, _area = stats[i]
            if orientation == "h" and ww >= length and hh <= max(8, h // 150):
                rules.append(Rule("h", (y + hh / 2) / scale, x / scale, (x + ww) / scale))
            elif orientation == "v" and hh >= length and ww <= max(8, w // 150):
                rules.append(Rule("v", (x + ww / 2) / scale, y / scale, (y + hh) / scale))
    return rules
