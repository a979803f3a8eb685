"""Optional OCR: PaddleOCR 3.x (``pip install extractor[paddle]``), run offline with
``engine="onnxruntime"`` on model folders the user provides (each holding ``inference.onnx`` and
``inference.yml``). Missing models are a clear configuration error, never a download."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from extractor.errors import Code, ConfigError
from extractor.ocr.base import EngineOptions, OcrBox


def check_model_dir(path: Path) -> Path:
    """A PaddleOCR ONNX model folder must hold inference.onnx and inference.yml."""
    missing = [n for n in ("inference.onnx", "inference.yml") if not (path / n).is_file()]
    if not path.is_dir() or missing:
        raise ConfigError(
            f"PaddleOCR model folder {path} lacks {missing or ['the folder']}; "
            "give det_model_dir and rec_model_dir folders with inference.onnx + inference.yml",
            code=Code.CONFIG_OCR_MODELS,
        )
    return path


class PaddleOcrOptions(EngineOptions):
    """PaddleOCR's settings: the model folders it is run on."""

    kind: Literal["paddleocr"] = Field(default="paddleocr", description="OCR engine")
    det_model_dir: Path | None = Field(default=None, description="paddleocr: detection model")
    rec_model_dir: Path | None = Field(default=None, description="paddleocr: recognition model")


def create_paddle(o: PaddleOcrOptions) -> PaddleOcrEngine:
    """The registry's factory of this engine."""
    return PaddleOcrEngine(o.det_model_dir, o.rec_model_dir)


class PaddleOcrEngine:
    """PaddleOCR behind the ``OcrEngine`` protocol."""

    name = "paddleocr"

    def __init__(self, det_model_dir: Path | None, rec_model_dir: Path | None) -> None:
        if det_model_dir is None or rec_model_dir is None:
            raise ConfigError(
                "the paddle OCR engine needs det_model_dir and rec_model_dir (no download)",
                code=Code.CONFIG_OCR_MODELS,
            )
        det = check_model_dir(det_model_dir)
        rec = check_model_dir(rec_model_dir)
        try:
            from paddleocr import PaddleOCR
        except ImportError as exc:
            raise ConfigError(
                "PaddleOCR is not installed: pip install 'extractor[paddle]'",
                code=Code.CONFIG_OCR_MISSING,
            ) from exc
        self._engine = PaddleOCR(
            text_detection_model_dir=str(det),
            text_recognition_model_dir=str(rec),
            use_doc_orientation_classify=False,
            use_doc_unwarping=False,
            use_textline_orientation=False,
            engine="onnxruntime",
        )

    def recognize(self, image: Any) -> list[OcrBox]:
        import numpy as np

        rgb = np.stack([image] * 3, axis=-1) if image.ndim == 2 else image
        out: list[OcrBox] = []
        for page in self._engine.predict(rgb):
            for poly, text, score in zip(
                page["rec_polys"], page["rec_texts"], page["rec_scores"], strict=False
            ):
                xs = [float(p[0]) for p in poly]
                ys = [float(p[1]) for p in poly]
                out.append(OcrBox(min(xs), min(ys), max(xs), max(ys), str(text), float(score)))
        return out

    def read_line(self, image: Any) -> tuple[str, float]:
        # the pipeline's own predict on the small crop: PaddleOCR 3 gives no stable
        # recognizer-only call across its versions; on one padded line the detector finds it
        boxes = self.recognize(image)
        if not boxes:
            return "", 0.0
        boxes.sort(key=lambda b: b.x0)
        return " ".join(b.text for b in boxes), min(b.confidence for b in boxes)
