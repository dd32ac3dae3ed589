"""Ingestion: read article files (.txt/.md web-page text, .html, .jsonl/.jsonl.gz) into clean Articles."""

import gzip
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from retrieval.errors import CorpusError

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".jsonl", ".jsonl.gz")
MAX_FILE_BYTES = 200 * 1024 * 1024
# One article longer than this is refused: a 50 MB "article" would be 68,000 chunks and hours of embedding, and is
# far more likely a mistake than news (the longest of 24,100 CCTV articles has about 14,000 characters).
MAX_ARTICLE_CHARS = 200_000
_ID_CHARS = re.compile(r"[^0-9A-Za-z_.:-]+")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Article:
    """One news article with its metadata and clean body text."""

    id: str
    title: str
    text: str
    source: str | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None
    #: outlets that published the same story (first is `source`)
    sources: tuple[str, ...] = ()
    #: for a reprint of another article's story: that article's id (the reprint is not indexed again)
    duplicate_of: str | None = None

    def __post_init__(self) -> None:
        if not self.sources and self.source:  # an article's own outlet is always among its sources
            object.__setattr__(self, "sources", (self.source,))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of all fields."""
        d = asdict(self)
        d["sources"] = list(self.sources)
        return d

    @property
    def fingerprint(self) -> str:
        """Content hash of everything that is indexed, to notice changed articles."""
        payload = json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Failure:
    """A file (or line of a file) that could not be ingested, and why."""

    where: str
    reason: str


@dataclass
class Ingest:
    """What ingestion produced: the articles read and the failures reported."""

    articles: list[Article] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    files: int = 0
    #: files and folders that exist but could not be read: their articles may be missing from `articles`
    unreadable: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- raw web-page text

_SEP = r"\s*[:：]\s*"
_META_KEYS = r"来源|作者|发布时间|发表时间|时间|日期|编辑|责任编辑|字号|浏览|点击|阅读"
_DATE = re.compile(r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
_URL_LINE = re.compile(r"(?:原文链接|原文地址|原文网址|来源链接|链接)" + _SEP + r"(https?://\S+)")
_META_LINE = re.compile(r"(?:来源|作者|发布时间|发表时间)" + _SEP)
_NAV_LINE = re.compile(r"^[•·>»]|当前(?:所在|位置)|欢迎访问|首页\s*[>›»]|您的位置|设为首页|加入收藏")
# Lines that end the story: what follows is the site's footer.
_FOOTER_START = re.compile(
    r"^(?:\[?免责声明\]?|【免责声明】|原文链接|原文地址|责任编辑|编辑\s*[:：]|本站部分信息|版权所有|版权声明|"
    r"Copyright|©|关于我们|联系我们|网站地图)",
    re.IGNORECASE,
)
# Boilerplate that may sit anywhere: contact details, registration numbers, copyright and editor lines.
_BOILERPLATE = re.compile(
    r"ICP[备证]|公网安备|版权所有|Copyright|©|免责声明|联系电话|监督电话|举报电话|电话\s*[:：]|"
    r"邮箱\s*[:：]|E-?mail\s*[:：]|(?<![\w.+-])[\w.+-]+@[\w-]+\.[\w.]+|QQ\s*[:：]|客服QQ|办公区\s*[:：]|地址\s*[:：]|"
    r"责任编辑|^\s*编辑\s*[:：]|主办\s*[|｜]|主管$|不良信息举报|网络违法犯罪举报|^\s*打印\s*$|^\s*关闭\s*$|"
    r"扫一扫|分享到",
    re.IGNORECASE,
)
_ANONYMOUS = {"佚名", "未知", "匿名", "admin", "本站", ""}


def _field(line: str, key: str) -> str | None:
    """The value after `key:` on a metadata line, up to the next metadata key or a wide gap."""
    m = re.search(rf"(?:{key}){_SEP}(.*)", line)
    if not m:
        return None
    value = re.split(rf"\s{{2,}}|\s*(?:{_META_KEYS}){_SEP}|\s*(?:{_META_KEYS})(?=\d)|\s+(?={_DATE.pattern})", m.group(1))[0]
    return value.strip(" \t|｜") or None


def normalize_date(value: str | None) -> str | None:
    """`2023年12月6日`, `2023/12/6 10:00`, `2023-12-06` → `2023-12-06`; None when no date is found."""
    if not value:
        return None
    m = _DATE.search(value)
    if not m:
        return None
    y, mo, d = (int(g) for g in m.groups())
    if not (1 <= mo <= 12 and 1 <= d <= 31 and 1900 <= y <= 2100):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def parse_web_text(raw: str, article_id: str) -> Article:
    """Parse raw web-page text (navigation, story, footer) into an Article; raises CorpusError if no story."""
    lines = [ln.strip().strip("\u3000\xa0") for ln in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    meta_at = next((i for i, ln in enumerate(lines[:40]) if _META_LINE.search(ln)), None)

    title = ""
    if meta_at is not None:
        title = next((ln for ln in reversed(lines[:meta_at]) if ln and not _NAV_LINE.search(ln)), "").lstrip("# ")
        meta = lines[meta_at]
        body_from = meta_at + 1
    else:
        meta = ""
        first = next((i for i, ln in enumerate(lines) if ln and not _NAV_LINE.search(ln)), None)
        if first is not None:
            title = lines[first].lstrip("# ").strip()
            body_from = first + 1
        else:
            body_from = len(lines)

    url = next((m.group(1) for ln in lines if (m := _URL_LINE.search(ln))), None)
    source = _field(meta, "来源")
    author = _field(meta, "作者")
    date = normalize_date(_field(meta, "发布时间|发表时间|时间|日期") or meta)

    body: list[str] = []
    for ln in lines[body_from:]:
        if _FOOTER_START.search(ln):
            break
        if not ln or _BOILERPLATE.search(ln) or _NAV_LINE.search(ln):
            continue
        body.append(ln.lstrip("#").strip() if ln.startswith("#") else ln)
    text = "\n".join(body).strip()
    if not text:
        raise CorpusError("no article text found (expected a title line, then the story)")
    if not title:
        title = text.split("\n", 1)[0][:60]
    return Article(
        id=article_id,
        title=title,
        text=text,
        source=source,
        author=None if (author or "") in _ANONYMOUS else author,
        date=date,
        url=url,
    )


# ---------------------------------------------------------------- other formats


def parse_html(raw: str, article_id: str) -> Article:
    """Extract the main text and metadata of an HTML page with trafilatura."""
    import trafilatura  # imported here: it is slow to import and only HTML needs it

    extracted = trafilatura.bare_extraction(raw, with_metadata=True, favor_precision=True)
    doc: dict[str, Any] = {} if extracted is None else extracted if isinstance(extracted, dict) else extracted.as_dict()
    text = str(doc.get("text") or "").strip()
    if not text:
        raise CorpusError("no main text found in the HTML page")
    # Chinese sites often put 来源/作者/时间 in the page body rather than in <meta>: look there too.
    head = parse_web_text(f"{doc.get('title') or ''}\n{text[:400]}", article_id)
    source = doc.get("sitename") or head.source
    return Article(
        id=article_id,
        title=str(doc.get("title") or "").strip() or text.split("\n", 1)[0][:60],
        text=text,
        source=source,
        author=doc.get("author") or head.author,
        date=normalize_date(doc.get("date")) or head.date,
        url=doc.get("url"),
    )


def _no_surrogates(value: Any) -> Any:
    """JSON may carry lone surrogates ("\\udc00") that no encoder accepts: they become U+FFFD."""
    return _SURROGATE.sub("\ufffd", value) if isinstance(value, str) else value


def article_from_record(record: Any, fallback_id: str) -> Article:
    """Build an Article from one JSON object (`id`, `title`, `text`, optional `date`, `source`, `author`, `url`)."""
    if not isinstance(record, dict):
        raise CorpusError("expected a JSON object")
    record = {k: _no_surrogates(v) for k, v in record.items()}
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise CorpusError('missing or empty "text"')
    raw_id = record.get("id", record.get("_id"))
    article_id = clean_id(str(raw_id)) if raw_id not in (None, "") else fallback_id

    def opt(key: str) -> str | None:
        value = record.get(key)
        return str(value).strip() or None if value not in (None, "") else None

    title = opt("title") or text.strip().split("\n", 1)[0][:60]
    source = opt("source")
    return Article(
        id=article_id,
        title=title,
        text=text.strip(),
        source=source,
        author=opt("author"),
        date=normalize_date(opt("date")),
        url=opt("url"),
    )


def clean_id(raw: str) -> str:
    """A safe, stable article id: letters, digits and `_.:-` only."""
    cleaned = _ID_CHARS.sub("_", raw.strip()).strip("_.")[:120]
    if not cleaned:
        cleaned = hashlib.sha1(raw.encode()).hexdigest()[:16]
    return cleaned


def decode(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM) or GB18030/GBK bytes; raises CorpusError for anything else."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise CorpusError("not a text file (neither UTF-8 nor GB18030 text)")


def _suffix(path: Path) -> str:
    name = path.name.lower()
    return ".jsonl.gz" if name.endswith(".jsonl.gz") else path.suffix.lower()


def _read_jsonl(path: Path, ingest: Ingest) -> Iterator[Article]:
    opener = gzip.open if _suffix(path) == ".jsonl.gz" else open
    stem = clean_id(path.name.split(".")[0])
    lines = 0
    with opener(path, "rb") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            lines += 1
            try:
                yield article_from_record(json.loads(decode(line)), f"{stem}-{n}")
            except json.JSONDecodeError as exc:
                ingest.failures.append(Failure(f"{path}:{n}", f"invalid JSON ({exc.msg})"))
            except CorpusError as exc:
                ingest.failures.append(Failure(f"{path}:{n}", str(exc)))
            except RecursionError:  # one hostile line must not end the file, let alone the build
                ingest.failures.append(Failure(f"{path}:{n}", "JSON nested too deeply"))
            except ValueError as exc:  # e.g. an integer of thousands of digits
                ingest.failures.append(Failure(f"{path}:{n}", f"unreadable JSON value ({str(exc)[:80]})"))
    if lines == 0:
        ingest.failures.append(Failure(str(path), "empty file (no JSON lines)"))


def read_file(path: Path, ingest: Ingest) -> Iterator[Article]:
    """Yield the articles of one file; problems are recorded in `ingest.failures`, never raised."""
    ingest.files += 1
    suffix = _suffix(path)
    try:
        if suffix in (".jsonl", ".jsonl.gz"):
            yield from _read_jsonl(path, ingest)
            return
        size = path.stat().st_size
        if size == 0:
            raise CorpusError("empty file")
        if size > MAX_FILE_BYTES:
            raise CorpusError(f"file too large ({size // 2**20} MiB) for one article; split it or use .jsonl")
        raw = decode(path.read_bytes())
        article_id = clean_id(path.stem)
        if suffix in (".html", ".htm"):
            yield parse_html(raw, article_id)
        else:
            yield parse_web_text(raw, article_id)
    except CorpusError as exc:
        ingest.failures.append(Failure(str(path), str(exc)))
    except (OSError, EOFError, ValueError) as exc:  # unreadable, truncated gzip, …
        ingest.failures.append(Failure(str(path), f"cannot read: {exc}"))
        if isinstance(exc, PermissionError):
            ingest.unreadable.append(f"{path}: cannot read ({exc.strerror})")


def find_files(paths: Iterable[Path], unreadable: list[str] | None = None) -> list[Path]:
    """All article files under the given files and folders, sorted; raises CorpusError for a missing path. Folders
    that cannot be listed are appended to `unreadable` (never skipped in silence)."""
    found: list[Path] = []
    for p in paths:
        if p.is_dir():

            def blocked(exc: OSError) -> None:
                if unreadable is not None:
                    unreadable.append(f"{exc.filename}: cannot read ({exc.strerror})")

            inside = [Path(folder) / n for folder, _, names in os.walk(p, onerror=blocked) for n in names]
            found.extend(sorted(f for f in inside if f.is_file() and _suffix(f) in SUFFIXES))
        elif p.is_file():
            found.append(p)
        elif p.exists() or p.is_symlink():
            raise CorpusError(f"{p}: cannot be read")
        else:
            raise CorpusError(f"{p}: no such file or folder")
    return found


def load_articles(paths: Iterable[Path], max_chars: int = MAX_ARTICLE_CHARS) -> Ingest:
    """Read every article under `paths`; duplicate ids keep the first and report the rest, and articles longer than
    `max_chars` are reported, not read."""
    ingest = Ingest()
    seen: dict[str, str] = {}
    for path in find_files(paths, ingest.unreadable):
        for article in read_file(path, ingest):
            if len(article.text) > max_chars:
                reason = f"article {article.id!r} is {len(article.text):,} characters long; the limit is {max_chars:,}"
                ingest.failures.append(Failure(str(path), f"{reason} (NEWSQA_MAX_ARTICLE_CHARS)"))
                continue
            if article.id in seen:
                ingest.failures.append(Failure(str(path), f"duplicate article id {article.id!r} (first in {seen[article.id]})"))
                continue
            seen[article.id] = str(path)
            ingest.articles.append(article)
    return ingest
