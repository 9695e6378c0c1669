"""Where each key of a TOML file is written, so a settings error can name its own line.

Python's tomllib (like every common TOML parser) gives values, not positions. This scanner reads
the source once and records the line of every key path: table headers (`[charts.x]`), arrays of
tables (`[[headlines]]`, numbered 0, 1 …), dotted and quoted keys (`a."b c".d = 1`), keys inside
inline tables (`labels = { "x" = "y" }`) and each element of an array (`sections[3]`). It assumes
the text already parsed with tomllib, so it needs no error handling of its own.
"""

from __future__ import annotations

import re

Path = tuple[str | int, ...]

BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.S)
_SIMPLE_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\", "e": "\x1b"}


def _unescape(body: str) -> str:
    def one(m: re.Match) -> str:
        code = m.group(1)
        if code[0] in "uU":
            return chr(int(code[1:], 16))
        return _SIMPLE_ESCAPES.get(code, code)

    return _ESCAPE.sub(one, body)


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.lines: dict[Path, int] = {}
        self.table_counts: dict[Path, int] = {}

    # ------------------------------------------------------------ basics

    @property
    def line(self) -> int:
        return self.text.count("\n", 0, self.i) + 1

    def peek(self, n: int = 1) -> str:
        return self.text[self.i : self.i + n]

    def record(self, path: Path, line: int) -> None:
        self.lines.setdefault(path, line)

    def skip_space(self, newlines: bool = False) -> None:
        """Skip blanks, and with `newlines` also line breaks and comments (inside arrays)."""
        while self.i < len(self.text):
            ch = self.text[self.i]
            if ch in " \t\r" or (newlines and ch == "\n"):
                self.i += 1
            elif newlines and ch == "#":
                self.skip_comment()
            else:
                break

    def skip_comment(self) -> None:
        end = self.text.find("\n", self.i)
        self.i = len(self.text) if end < 0 else end

    # ------------------------------------------------------------ keys

    def key(self) -> list[str]:
        """A dotted key: bare, "basic" or 'literal' parts separated by dots."""
        parts = []
        while True:
            self.skip_space()
            ch = self.peek()
            if ch == '"':
                parts.append(_unescape(self.string_body('"')))
            elif ch == "'":
                parts.append(self.string_body("'"))
            else:
                m = BARE_KEY.match(self.text, self.i)
                if not m:
                    break
                parts.append(m.group(0))
                self.i = m.end()
            self.skip_space()
            if self.peek() != ".":
                break
            self.i += 1
        return parts

    def string_body(self, quote: str) -> str:
        """A one-line string starting at a quote; returns its raw body and moves past it."""
        self.i += 1
        start = self.i
        while self.i < len(self.text) and self.text[self.i] != quote:
            self.i += 2 if quote == '"' and self.text[self.i] == "\\" else 1
        body = self.text[start : self.i]
        self.i += 1
        return body

    # ------------------------------------------------------------ values

    def value(self, path: Path) -> None:
        self.skip_space()
        three = self.peek(3)
        ch = self.peek()
        if three in ('"""', "'''"):
            end = self.text.find(three, self.i + 3)
            self.i = len(self.text) if end < 0 else end + 3
            while self.peek() == three[0]:  # up to two quotes may close the string's content
                self.i += 1
        elif ch in "\"'":
            self.string_body(ch)
        elif ch == "[":
            self.i += 1
            index = 0
            while True:
                self.skip_space(newlines=True)
                if self.peek() == "]":
                    self.i += 1
                    return
                if self.peek() == ",":
                    self.i += 1
                    continue
                self.record((*path, index), self.line)
                self.value((*path, index))
                index += 1
        elif ch == "{":
            self.i += 1
            while True:
                self.skip_space()
                if self.peek() == "}":
                    self.i += 1
                    return
                if self.peek() == ",":
                    self.i += 1
                    continue
                keys = self.key()
                self.skip_space()
                self.i += 1  # '='
                self.record((*path, *keys), self.line)
                self.value((*path, *keys))
        else:
            m = re.compile(r"[^,\]}\s#]+").match(self.text, self.i)
            if m:
                self.i = m.end()

    # ------------------------------------------------------------ statements

    def run(self) -> dict[Path, int]:
        table: Path = ()
        while self.i < len(self.text):
            self.skip_space()
            ch = self.peek()
            if ch == "\n":
                self.i += 1
            elif ch == "#":
                self.skip_comment()
            elif self.peek(2) == "[[":
                line = self.line
                self.i += 2
                keys = tuple(self.key())
                self.i += 2  # ']]'
                index = self.table_counts.get(keys, 0)
                self.table_counts[keys] = index + 1
                self.record(keys, line)
                table = (*keys, index)
                self.record(table, line)
            elif ch == "[":
                line = self.line
                self.i += 1
                table = tuple(self.key())
                self.i += 1  # ']'
                self.record(table, line)
            elif ch == "":
                break
            else:
                line = self.line
                keys = self.key()
                if not keys:  # not a key: skip the line rather than loop forever
                    self.skip_comment()
                    continue
                self.skip_space()
                self.i += 1  # '='
                path = (*table, *keys)
                for depth in range(len(table) + 1, len(path) + 1):
                    self.record(path[:depth], line)
                self.value(path)
        return self.lines


def key_lines(text: str) -> dict[Path, int]:
    """Every key path in a TOML document → the line (1-based) it is written on."""
    return _Scanner(text.lstrip("\ufeff")).run()


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of a key path, or of its nearest written ancestor (a missing key's table)."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None
