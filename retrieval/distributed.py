"""Distributed embedding: encode the chunks missing from the cache on a Ray cluster (the only module importing ray).

The driver (`newsqa index --ray ADDRESS`) sends (cache key, embed text) pairs; a Ray Data actor pool loads the
encoder once per actor and returns (key, vector) batches, which the build writes to its embedding cache as they
arrive. The index itself is written locally, exactly as a local run would write it.
"""

import importlib
import logging
import os
import socket
from collections.abc import Iterator
from typing import Any

import numpy as np

from retrieval.encoders import Encoder, load_encoder, normalized
from retrieval.errors import EncoderError
from retrieval.store import CACHE_BATCH, RemoteEmbedder

#: `--ray local` starts a throwaway Ray instance on this machine (for trying it out)
LOCAL = "local"
INSTALL_HINT = "pip install 'newsqa[ray]'"
CONNECT_TIMEOUT = 10.0  # seconds to wait for the head's port to answer


class EncodeBatch:
    """Ray Data actor: loads the named encoder once, then maps {"key", "text"} batches to {"key", "vector"}."""

    def __init__(self, encoder_name: str) -> None:
        self.encoder = load_encoder(encoder_name)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Embed one batch of passages exactly as the local build does (L2-normalised float32)."""
        vectors = normalized(self.encoder.encode_passages([str(t) for t in batch["text"]]))
        return {"key": batch["key"], "vector": vectors}


def import_ray() -> Any:
    """The `ray` module with Ray Data, or an EncoderError saying how to install it."""
    try:
        # importlib keeps ray (a large, optional package) out of mypy's import graph and out of every other module.
        ray = importlib.import_module("ray")
        importlib.import_module("ray.data")
    except ImportError as exc:
        raise EncoderError(f"distributed embedding needs Ray with Ray Data: {INSTALL_HINT}") from exc
    return ray


def _first_line(exc: BaseException) -> str:
    return next((line for line in str(exc).splitlines() if line.strip()), type(exc).__name__)


def _check_reachable(address: str) -> None:
    """Fail fast on a head that does not answer: ray.init itself retries a dead address for minutes."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():  # `local`, `auto` or a form Ray resolves itself
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise EncoderError(
            f"cannot reach the Ray head at {address!r} ({exc.strerror or exc}): check the address and port"
        ) from None


def _connect(ray: Any, address: str) -> None:
    """Join the cluster at `address` (or start a local instance for `local`) as a quiet driver."""
    _check_reachable(address)
    # No usage reports from clusters this process starts: the machines running newsqa may have no internet.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    # The driver's C++ core logs a scary but harmless error per Ray Data actor (ray-project/ray#53727); real
    # failures reach us as Python exceptions. RAY_BACKEND_LOG_LEVEL=info in the environment brings the logs back.
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    try:
        ray.init(
            address=None if address == LOCAL else address,
            ignore_reinit_error=True,
            include_dashboard=False,
            log_to_driver=False,  # worker logs stay on the cluster; failures still reach us as exceptions
            logging_level=logging.WARNING,
        )
    except Exception as exc:  # ray raises ConnectionError, ValueError, RuntimeError, TimeoutError, … for a bad address
        raise EncoderError(f"cannot connect to Ray at {address!r}: {_first_line(exc)}") from exc


def _stream(
    ray: Any, pairs: list[tuple[str, str]], encoder_name: str, dim: int, max_actors: int | None, batch_size: int
) -> Iterator[tuple[list[str], np.ndarray]]:
    """Run the actor pool over `pairs` and yield each finished batch once, checked, as soon as it arrives."""
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # `newsqa index` shows its own bar, fed by these batches
    # Quiet success: no per-run execution chatter, nor the notice that the bars above are off; warnings stay.
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)
    dataset = ray.data.from_items([{"key": key, "text": text} for key, text in pairs]).map_batches(
        EncodeBatch,
        fn_constructor_args=(encoder_name,),
        batch_size=batch_size,
        batch_format="numpy",
        # An autoscaling pool up to the cluster's CPUs (or max_actors): each actor loads the model once.
        compute=ray.data.ActorPoolStrategy(min_size=1, max_size=max_actors),
    )
    expected = {key for key, _ in pairs}
    seen: set[str] = set()
    try:
        for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            keys = [str(k) for k in batch["key"]]
            vectors = np.ascontiguousarray(batch["vector"], dtype=np.float32).reshape(len(keys), -1)
            if vectors.shape[1] != dim:
                raise EncoderError(
                    f"the Ray workers' encoder {encoder_name!r} returned {vectors.shape[1]}-dimensional vectors, "
                    f"not {dim}: install the same newsqa and model versions on every node"
                )
            # Ray may retry a task after a worker failure: keep the first copy of each key only.
            rows = [i for i, key in enumerate(keys) if key in expected and key not in seen]
            seen.update(keys[i] for i in rows)
            if rows:
                yield [keys[i] for i in rows], normalized(vectors[rows])
    except EncoderError:
        raise
    except Exception as exc:  # Ray wraps worker failures (missing package, dead actor, …) in its own exception types
        raise EncoderError(f"distributed embedding failed on the Ray cluster: {_first_line(exc)}") from exc


def ray_embedder(address: str, encoder: Encoder, max_actors: int | None = None, batch_size: int = CACHE_BATCH) -> RemoteEmbedder:
    """A RemoteEmbedder that runs `encoder`'s model in Ray actors at `address` (`ray://host:10001`, `auto`, `local`)."""
    ray = import_ray()  # fail before reading a large corpus when the extra is missing
    name, dim = encoder.id, encoder.dim  # actors load the encoder by the same name: load_encoder(encoder.id)

    def embed(pairs: list[tuple[str, str]]) -> Iterator[tuple[list[str], np.ndarray]]:
        if not pairs:  # nothing to embed: do not even connect
            return
        joined = not ray.is_initialized()
        if joined:
            _connect(ray, address)
        try:
            yield from _stream(ray, pairs, name, dim, max_actors, batch_size)
        finally:
            if joined:  # disconnects from a cluster (it keeps running); stops the instance `local` started
                ray.shutdown()

    return embed
