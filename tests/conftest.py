"""Shared fixtures: the seed corpus indexed once per session with the real default encoder."""

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from retrieval.articles import Article, load_articles
from retrieval.encoders import load_encoder, normalized
from retrieval.engine import Engine
from retrieval.search import Searcher
from retrieval.settings import Settings
from retrieval.store import build_index, load_index

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"


class HashEncoder:
    """Tiny deterministic encoder (hashed character bigrams) for tests of index mechanics only."""

    dim = 64

    def __init__(self, id: str = "test-hash") -> None:
        self.id = id
        self.calls: list[int] = []

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for i in range(max(len(text) - 1, 1)):
            v[int(hashlib.md5(text[i : i + 2].encode()).hexdigest(), 16) % self.dim] += 1.0
        return v

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return normalized(np.stack([self._vec(t) for t in texts]))

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        self.calls.append(len(texts))
        return normalized(np.stack([self._vec(t) for t in texts])) if texts else np.zeros((0, self.dim), np.float32)


def searcher_over(articles: Sequence[Article], folder: Path) -> Searcher:
    """A searcher over `articles`, indexed in `folder` with the default encoder."""
    encoder = load_encoder("e5-small-q4")
    build_index(list(articles), encoder, folder, progress=False)
    return Searcher(load_index(folder, encoder.id, encoder.dim), encoder)


@pytest.fixture
def hash_encoder() -> HashEncoder:
    return HashEncoder()


@pytest.fixture(scope="session")
def seed_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed corpus indexed with the default encoder (e5-small-q4)."""
    index_dir = tmp_path_factory.mktemp("seed-index")
    ingest = load_articles([SEEDS])
    build_index(ingest.articles, load_encoder("e5-small-q4"), index_dir, progress=False)
    return index_dir


@pytest.fixture(scope="session")
def engine(seed_index_dir: Path) -> Engine:
    """An engine serving the seed index."""
    engine = Engine(Settings(index_dir=seed_index_dir))
    engine.load(strict=True)
    return engine


@pytest.fixture(scope="session")
def searcher(engine: Engine) -> Searcher:
    return engine.searcher


@pytest.fixture(scope="session")
def seed_questions() -> list[dict]:
    return [json.loads(line) for line in (DATA / "seed_questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
