"""`newsqa` command line: index, remove, ask, chat, search, eval, info, serve, bot."""

import argparse
import json
import os
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.render import render_hits_text, render_text
from retrieval.answer import MAX_HISTORY
from retrieval.articles import load_articles
from retrieval.conversation import Turn
from retrieval.distributed import ray_embedder
from retrieval.encoders import load_encoder
from retrieval.engine import Engine
from retrieval.errors import BadQuery, CorpusError, NewsqaError
from retrieval.evaluate import evaluate, evaluate_dialogues
from retrieval.search import MODES, Filters
from retrieval.settings import Settings
from retrieval.store import BuildReport, current_build, read_manifest, update_index, verify_index

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def _print_json(body: Any) -> None:
    print(json.dumps(body, ensure_ascii=False, indent=2))


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {k: v for k, v in (("index_dir", args.index_dir), ("encoder", args.encoder)) if v is not None}
    return Settings(**overrides)


def _engine(args: argparse.Namespace) -> Engine:
    engine = Engine(_settings(args))
    engine.load(strict=True)
    return engine


def _filters(args: argparse.Namespace) -> Filters | None:
    filters = Filters(source=args.source, date_from=args.date_from, date_to=args.date_to)
    return None if filters.empty else filters


def _summary(report: BuildReport, skipped: int, index_dir: Path) -> str:
    if report.up_to_date:
        return f"index is up to date: {report.articles} articles, {report.chunks} chunks; {report.seconds:.1f} s → {index_dir}"
    return (
        f"indexed {report.articles} articles ({skipped} skipped; {report.added} new, {report.updated} updated, "
        f"{report.removed} removed, {report.reprints} reprints folded) into {report.chunks} chunks; "
        f"embeddings: {report.embedded} new, {report.reused} reused; {report.seconds:.1f} s → {index_dir}"
    )


def cmd_index(args: argparse.Namespace) -> int:
    """Ingest, chunk, embed and index articles, then print a one-line summary."""
    settings = _settings(args)
    # Without paths the corpus folder is the whole corpus (articles gone from it leave the index);
    # with paths, their articles are added or updated, and --prune makes them the whole corpus.
    paths = args.paths or [settings.corpus_dir]
    ingest = load_articles(paths, max_chars=settings.max_article_chars)
    for failure in ingest.failures:
        print(f"skipped {failure.where}: {failure.reason}", file=sys.stderr)
    prune = args.prune or not args.paths
    reported = {f.where for f in ingest.failures}
    for where in ingest.unreadable:
        if where.split(": cannot read")[0] not in reported:  # unreadable files were reported above; folders here
            print(f"newsqa: {where}", file=sys.stderr)
    if ingest.unreadable and prune:
        # Its articles would look deleted: keep everything already indexed, and say so.
        print("newsqa: part of the corpus could not be read, so nothing is removed from the index this run", file=sys.stderr)
        prune = False
    if not ingest.articles:
        raise CorpusError(f"no articles could be read from {', '.join(map(str, paths))}")
    encoder = load_encoder(settings.encoder)
    remote = ray_embedder(args.ray, encoder) if args.ray else None
    report = update_index(ingest.articles, encoder, settings.index_dir, prune=prune, progress=not args.quiet, remote=remote)
    print(_summary(report, len(ingest.failures), settings.index_dir))
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    """Remove articles by id; their vectors and BM25 postings leave the index."""
    settings = _settings(args)
    encoder = load_encoder(settings.encoder)
    report = update_index([], encoder, settings.index_dir, remove=args.ids, progress=not args.quiet)
    print(_summary(report, 0, settings.index_dir))
    return EXIT_OK


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer a question with citations."""
    reply = _engine(args).answer(args.question, k=args.k, filters=_filters(args))
    if args.json:
        _print_json(reply.to_dict())
    else:
        print(render_text(reply))
    return EXIT_OK


def _read_question(prompt: str, interactive: bool) -> str | None:
    """The next question: with line editing and history on a terminal, a plain line over a pipe; None at the end."""
    if interactive:
        try:
            return input(prompt)
        except EOFError:
            print()
            return None
    line = sys.stdin.readline()
    return None if line == "" else line.rstrip("\n")


def cmd_chat(args: argparse.Namespace) -> int:
    """A conversation in the terminal: follow-up questions are read against the turns before (/new, /quit, Ctrl-D)."""
    engine = _engine(args)
    interactive = sys.stdin.isatty()
    if interactive:
        import readline  # noqa: F401  (line editing and history for input())

        print("newsqa 对话：直接提问，可以追问（如“他呢？”）。/new 开始新对话，/quit 或 Ctrl-D 退出。")
    history: list[Turn] = []
    while True:
        line = _read_question("问> ", interactive)
        if line is None:
            return EXIT_OK
        question = line.strip()
        if not question:
            continue
        if question in ("/quit", "/exit", "/q"):
            return EXIT_OK
        if question == "/new":
            history.clear()
            print("（新对话）\n")
            continue
        try:
            reply = engine.answer(question, k=args.k, filters=_filters(args), history=history)
        except BadQuery as exc:  # one bad question does not end the conversation
            print(f"newsqa: {exc}\n", file=sys.stderr)
            continue
        print(render_text(reply) + "\n", flush=True)
        ids = tuple(dict.fromkeys(c.article_id for c in reply.citations)) if not reply.abstained else ()
        history.append(Turn(question, reply.answer, reply.short_answer, reply.standalone_question, ids))
        del history[:-MAX_HISTORY]


def cmd_search(args: argparse.Namespace) -> int:
    """Print ranked passages for a query."""
    result = _engine(args).search(args.query, k=args.k, mode=args.mode, filters=_filters(args))
    if args.json:
        _print_json({"query": result.query, "mode": result.mode, "hits": [h.to_dict() for h in result.hits]})
    else:
        print(render_hits_text(result.hits))
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    """Evaluate retrieval and answers on a BEIR folder."""
    settings = _settings(args)
    progress = not args.json or sys.stderr.isatty()
    if args.dialogues is not None:
        report = evaluate_dialogues(_engine(args).searcher, args.dialogues, progress=progress)
        if args.json:
            _print_json(report)
        else:
            print("  ".join(f"{name} {value}" for name, value in report.items()))
        return EXIT_OK
    if args.dir is None:
        print("newsqa: eval needs a BEIR folder, or --dialogues FILE", file=sys.stderr)
        return EXIT_USAGE
    encoder = load_encoder(settings.encoder)
    report = evaluate(args.dir, encoder, settings.index_dir, k=args.k, progress=progress, limit=args.limit)
    if args.json:
        _print_json(report)
        return EXIT_OK
    print(f"corpus {report['corpus']} documents, {report['queries']} queries, k={report['k']}")
    for mode, m in report["modes"].items():
        print(f"  {mode:<7} " + "  ".join(f"{name} {value}" for name, value in m.items()))
    print("  answer  " + "  ".join(f"{name} {value}" for name, value in report["answer"].items()))
    return EXIT_OK


def cmd_info(args: argparse.Namespace) -> int:
    """Describe the current index; with --verify, first check every file's size and SHA-256 (raises IndexCorrupt)."""
    settings = _settings(args)
    build = current_build(settings.index_dir)
    manifest = read_manifest(build)
    verified = verify_index(settings.index_dir) if args.verify else None
    if args.json:
        extra = {} if verified is None else {"verified_files": len(verified)}
        _print_json({k: v for k, v in manifest.items() if k != "files"} | {"path": str(build)} | extra)
        return EXIT_OK
    counts, enc = manifest.get("counts", {}), manifest.get("encoder", {})
    print(f"index      {build}")
    print(f"built      {manifest.get('built_at')}")
    print(f"articles   {counts.get('articles')}   chunks {counts.get('chunks')}")
    print(f"encoder    {enc.get('id')} (dim {enc.get('dim')})   vectors {manifest.get('vector_index')}")
    print(f"tokenizer  {manifest.get('tokenizer')}")
    print(f"corpus     fingerprint {manifest.get('corpus_fingerprint')}")
    if verified is not None:
        print(f"verified   all {len(verified)} files match their recorded size and SHA-256")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the HTTP API and web page under uvicorn."""
    import uvicorn

    settings = _settings(args)
    if settings.telegram_webhook_url:  # a bad bot token is one line here, not a traceback in a worker
        from bot.telegram import bot_token

        bot_token(settings)
    # Workers import the app themselves and read settings from the environment: pass overrides that way.
    if args.index_dir is not None:
        os.environ["NEWSQA_INDEX_DIR"] = str(args.index_dir)
    if args.encoder is not None:
        os.environ["NEWSQA_ENCODER"] = args.encoder
    print(f"newsqa: serving on http://{args.host}:{args.port}/ (index {settings.index_dir})", file=sys.stderr, flush=True)
    # uvicorn re-raises SIGTERM after its graceful shutdown; a finished shutdown is a success, so exit 0.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(EXIT_OK))
    uvicorn.run(
        "bot.http:app_factory",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,  # the app factory configures JSON logging in each worker
        timeout_graceful_shutdown=settings.shutdown_timeout,  # requests in flight get this long after SIGTERM
        # On purpose: idle keep-alive connections close after 5 s, and at most 1,000 connections are open at once
        # (beyond that uvicorn answers 503 at once), so slow or idle clients cannot pile up without bound.
        timeout_keep_alive=5,
        limit_concurrency=1000,
    )
    return EXIT_OK


def cmd_bot(args: argparse.Namespace) -> int:
    """Run the Telegram bot with long polling."""
    from bot.telegram import run_polling

    run_polling(_settings(args))
    return EXIT_OK


def _positive_k(value: str) -> int:
    k = int(value)
    if not 1 <= k <= 100:
        raise argparse.ArgumentTypeError("k must be between 1 and 100")
    return k


def _positive_int(value: str) -> int:
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError("must be a positive number")
    return n


def build_parser() -> argparse.ArgumentParser:
    """The `newsqa` argument parser."""
    parser = argparse.ArgumentParser(prog="newsqa", description="Question answering with citations over Chinese news articles.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index-dir", type=Path, help="index folder (default: $NEWSQA_INDEX_DIR or embeddings)")
    common.add_argument("--encoder", help="e5-small-q4, e5-small-q4-ort or st:<model> (default: $NEWSQA_ENCODER or e5-small-q4)")
    filters = argparse.ArgumentParser(add_help=False)
    filters.add_argument("--source", help="only articles from this outlet (substring match)")
    filters.add_argument("--date-from", metavar="YYYY-MM-DD", help="only articles published on or after this date")
    filters.add_argument("--date-to", metavar="YYYY-MM-DD", help="only articles published on or before this date")

    p = sub.add_parser("index", parents=[common], help="ingest, chunk, embed and index articles")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or folders (default: $NEWSQA_CORPUS_DIR or seeds)")
    p.add_argument("--prune", action="store_true", help="the given paths are the whole corpus: other articles leave the index")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--ray", metavar="ADDRESS", help="embed on a Ray cluster: ray://HEAD:10001, auto, or local (needs newsqa[ray])"
    )
    p.set_defaults(run=cmd_index)

    p = sub.add_parser("remove", parents=[common], help="remove articles from the index by id")
    p.add_argument("ids", nargs="+", metavar="ID")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=cmd_remove)

    p = sub.add_parser("ask", parents=[common, filters], help="answer a question with citations")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the /v1/ask JSON body")
    p.add_argument("-k", type=_positive_k, default=5, help="passages to draw the answer from (default 5)")
    p.set_defaults(run=cmd_ask)

    p = sub.add_parser("chat", parents=[common, filters], help="a conversation: follow-up questions understood")
    p.add_argument("-k", type=_positive_k, default=5, help="passages to draw each answer from (default 5)")
    p.set_defaults(run=cmd_chat)

    p = sub.add_parser("search", parents=[common, filters], help="ranked passages for a query")
    p.add_argument("query")
    p.add_argument("--json", action="store_true", help="print the /v1/search JSON body")
    p.add_argument("-k", type=_positive_k, default=10, help="number of passages (default 10)")
    p.add_argument("--mode", choices=MODES, default="hybrid")
    p.set_defaults(run=cmd_search)

    p = sub.add_parser("eval", parents=[common], help="evaluate on a BEIR folder (corpus.jsonl, queries.jsonl, qrels.tsv)")
    p.add_argument("dir", type=Path, nargs="?", help="the BEIR folder (not with --dialogues)")
    p.add_argument("--dialogues", type=Path, help="a JSONL of dialogues: follow-up accuracy on the current index")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("-k", type=_positive_k, default=10)
    p.add_argument("--limit", type=_positive_int, default=None, help="evaluate a fixed random sample of N questions")
    p.set_defaults(run=cmd_eval)

    p = sub.add_parser("info", parents=[common], help="what the current index holds")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--verify", action="store_true", help="also check every index file's SHA-256, vectors.faiss included (reads it all)"
    )
    p.set_defaults(run=cmd_info)

    p = sub.add_parser("serve", parents=[common], help="HTTP API and web page")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="worker processes (each loads the model and index)")
    p.set_defaults(run=cmd_serve)

    p = sub.add_parser("bot", parents=[common], help="Telegram bot (long polling; needs NEWSQA_TELEGRAM_TOKEN)")
    p.set_defaults(run=cmd_bot)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run one command; handled errors print one line on stderr and exit 1."""
    argv = sys.argv[1:] if argv is None else list(argv)
    # Bytes that are not UTF-8 reach Python as lone surrogates, which nothing downstream can encode.
    if any(re.search("[\udc80-\udcff]", a) for a in argv):
        print("newsqa: an argument is not valid UTF-8 text; check the terminal's encoding", file=sys.stderr)
        return EXIT_USAGE
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except NewsqaError as exc:
        print(f"newsqa: {exc}", file=sys.stderr)
    except ValidationError as exc:
        first = exc.errors()[0]
        print(f"newsqa: bad setting {'.'.join(map(str, first['loc']))}: {first['msg']}", file=sys.stderr)
    except KeyboardInterrupt:
        print("newsqa: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
