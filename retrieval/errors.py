"""The domain error tree. Every message is one line a user can act on; front doors map these to their medium."""


class NewsqaError(Exception):
    """Base of every error newsqa reports to a user (message = what is wrong and what to do)."""

    #: short machine-friendly kind, used as the problem type in HTTP answers
    kind = "error"


class CorpusError(NewsqaError):
    """An article file or line could not be read or parsed."""

    kind = "corpus-error"


class IndexMissing(NewsqaError):
    """No index has been built yet in the index folder."""

    kind = "index-missing"


class IndexMismatch(NewsqaError):
    """The index was built with another encoder, dimension or format than the one in use."""

    kind = "index-mismatch"


class IndexCorrupt(NewsqaError):
    """A file of the index is missing, truncated or damaged."""

    kind = "index-corrupt"


class IndexBusy(NewsqaError):
    """Another `newsqa index` is writing this index folder."""

    kind = "index-busy"


class IndexWriteError(NewsqaError):
    """The index could not be written (read-only folder, full disk, file-size limit); the previous one is intact."""

    kind = "index-write-error"


class BadQuery(NewsqaError):
    """The question or its parameters are unusable (empty, too long, bad filter)."""

    kind = "bad-query"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        #: the request field at fault, when there is one
        self.field = field


class EncoderError(NewsqaError):
    """The embedding model could not be found or loaded."""

    kind = "encoder-error"


class NotFound(NewsqaError):
    """A requested article does not exist in the index."""

    kind = "not-found"
