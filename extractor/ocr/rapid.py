"""Default OCR: rapidocr 3.x with onnxruntime and the PP-OCR models its wheel ships
(PP-OCRv6 det/rec small). Nothing is downloaded: a missing model file is a configuration
error, not a download."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from extractor.errors import Code, ConfigError, OcrError
from extractor.ocr.base import EngineOptions, OcrBox

DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = "PP-OCRv6_rec_small.onnx"


def bundled_model_dir() -> Path:
    """The folder of the models inside the installed rapidocr package."""
    try:
        import rapidocr
    except ImportError as exc:  # pragma: no cover - rapidocr is a dependency
        raise ConfigError("rapidocr is not installed", code=Code.CONFIG_OCR_MISSING) from exc
    return Path(rapidocr.__file__).resolve().parent / "models"


class RapidOcrOptions(EngineOptions):
    """rapidocr's settings."""

    kind: Literal["rapidocr"] = Field(default="rapidocr", description="OCR engine")
    threads: int = Field(default=1, ge=1, le=64, description="onnxruntime threads per engine")
    det_max_side: int | None = Field(
        default=None,
        ge=320,
        description="rapidocr: shrink pages so the detector sees at most "
        "this many pixels on the long side (less memory; None = the page as rendered)",
    )


def create_rapid(o: RapidOcrOptions) -> RapidOcrEngine:
    """The registry's factory of this engine."""
    return RapidOcrEngine(threads=o.threads, det_max_side=o.det_max_side)


class RapidOcrEngine:
    """rapidocr behind the ``OcrEngine`` protocol; one instance per process (model load)."""

    name = "rapidocr"

    def __init__(self, *, threads: int = 1, det_max_side: int | None = None) -> None:
        models = bundled_model_dir()
        det, rec = models / DET_MODEL, models / REC_MODEL
        missing = [p.name for p in (det, rec) if not p.is_file()]
        if missing:
            raise ConfigError(
                f"rapidocr models missing from {models}: {missing}", code=Code.CONFIG_OCR_MODELS
            )
        try:
            import onnxruntime  # noqa: F401  rapidocr needs it but does not require it
            from rapidocr import RapidOCR
        except ImportError as exc:
            raise ConfigError(
                f"OCR runtime unavailable: {exc}", code=Code.CONFIG_OCR_MISSING
            ) from exc
        self._engine = RapidOCR(
            params={
                # its warnings (an empty detection on every blank page) are not ours to print
                "Global.log_level": "error",
                "Global.use_cls": False,  # report pages are upright once deskewed
                "Det.model_path": str(det),
                "Rec.model_path": str(rec),
                "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                **(
                    {"Det.limit_type": "max", "Det.limit_side_len": det_max_side}
                    if det_max_side
                    else {}
                ),
            }
        )

    def recognize(self, image: Any) -> list[OcrBox]:
        import numpy as np

        rgb = np.stack([image] * 3, axis=-1) if image.ndim == 2 else image
        try:
            # rapidocr keeps the use_* flags of the last call: name them every time
            res = self._engine(rgb, use_det=True, use_cls=False, use_rec=True)
        except Exception as exc:  # rapidocr's own errors (ResizeImgError...) stop at this adapter
            raise OcrError(f"OCR failed on the page image ({type(exc).__name__}: {exc})") from exc
        if res.boxes is None or res.txts is None or res.scores is None:
            return []
        out: list[OcrBox] = []
        for box, text, score in zip(res.boxes, res.txts, res.scores, strict=False):
            xs = [float(p[0]) for p in box]
            ys = [float(p[1]) for p in box]
            out.append(OcrBox(min(xs), min(ys), max(xs), max(ys), str(text), float(score)))
        return out

    def read_line(self, image: Any) -> tuple[str, float]:
        import numpy as np

        rgb = np.stack([image] * 3, axis=-1) if image.ndim == 2 else image
        try:
            res = self._engine(rgb, use_det=False, use_cls=False, use_rec=True)
        except Exception as exc:  # as in recognize: rapidocr's errors stop here
            raise OcrError(f"OCR failed on a cell image ({type(exc).__name__}: {exc})") from exc
        txts, scores = getattr(res, "txts", None), getattr(res, "scores", None)
        if not txts or not scores:
            return "", 0.0
        return str(txts[0]), float(scores[0])
