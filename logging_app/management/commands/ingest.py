"""`manage.py ingest <log> <file|->`: NDJSON records through the same service as the API."""

import json
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import ExitStack

from django.core.management.base import BaseCommand, CommandError, CommandParser

from logging_app.ingest import INGEST_LOGS, IngestResult, ingest_lines

BATCH_LINES = 5000
BAR_WIDTH = 30


def _batches(stream: Iterable[bytes | str], size: int) -> Iterator[tuple[list[str], int]]:
    """Lists of at most `size` lines, with the number of bytes read so far."""
    batch: list[str] = []
    read = 0
    for raw in stream:
        if isinstance(raw, bytes):
            read += len(raw)
            # Bytes that are not UTF-8 become lone surrogates, which ingest rejects per line.
            raw = raw.decode("utf-8", "surrogateescape")
        batch.append(raw)
        if len(batch) == size:
            yield batch, read
            batch = []
    if batch:
        yield batch, read


class Command(BaseCommand):
    help = (
        "Ingest NDJSON records (one JSON object per line) of one log from a file or stdin (-). "
        "Invalid lines are reported by line number; the others are stored."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("log", help=f"One of: {', '.join(INGEST_LOGS)}.")
        parser.add_argument("file", help="An NDJSON file, or - for standard input.")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_LINES,
            help=f"Lines per transaction (default {BATCH_LINES}).",
        )

    def handle(self, *, log: str, file: str, batch_size: int, **options) -> None:
        if log not in INGEST_LOGS:
            raise CommandError(f"Unknown log {log!r}; one of: {', '.join(INGEST_LOGS)}.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        with ExitStack() as stack:
            if file == "-":
                stream, size = getattr(sys.stdin, "buffer", sys.stdin), None
            else:
                try:
                    stream = stack.enter_context(open(file, "rb"))
                except OSError as error:
                    raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
                size = os.fstat(stream.fileno()).st_size or None
            result = self._ingest(log, stream, size, batch_size)

        self.stdout.write(json.dumps(result.as_dict()))
        self.stderr.write(_summary(log, result), style_func=_plain)
        if result.rejected:
            raise CommandError(f"{len(result.rejected)} record(s) rejected; the others are stored.")

    def _ingest(
        self, log: str, stream: Iterable[bytes | str], size: int | None, batch_size: int
    ) -> IngestResult:
        show_progress = self.stderr.isatty()
        result = IngestResult()
        lines = 0
        for batch, read in _batches(stream, batch_size):
            result.merge(ingest_lines(log=log, lines=batch, first_line=lines + 1))
            lines += len(batch)
            if show_progress:
                self.stderr.write(_progress(lines, read, size), style_func=_plain, ending="")
        if show_progress and lines:
            self.stderr.write("", style_func=_plain)
        return result


def _plain(text: str) -> str:
    return text


def _progress(lines: int, read: int, size: int | None) -> str:
    if not size:
        return f"\r{lines:,} lines"
    done = min(read / size, 1.0)
    filled = round(done * BAR_WIDTH)
    return f"\r[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {done:4.0%}  {lines:,} lines"


def _summary(log: str, result: IngestResult) -> str:
    text = (
        f"{log}: {result.accepted:,} accepted, {result.updated:,} updated, "
        f"{result.duplicates:,} duplicates, {result.discarded:,} discarded, "
        f"{len(result.rejected):,} rejected"
    )
    if result.rejected:
        lines = ", ".join(str(entry["line"]) for entry in result.rejected[:10])
        more = ", …" if len(result.rejected) > 10 else ""
        text += f" (lines {lines}{more})"
    return text
