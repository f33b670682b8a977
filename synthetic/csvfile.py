"""A delimited text file as partners export it, round-tripped byte for byte.

Defects are applied to a parsed file and written back with the same encoding, BOM, delimiter and
line ending, so that defects compose (a Windows-1252 file can also get a bad row).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field


@dataclass
class CsvFile:
    header: list[str]
    rows: list[list[str]]
    delimiter: str = ";"
    encoding: str = "utf-8"       # 'utf-8' or 'cp1252'
    bom: bool = False
    newline: str = "\r\n"
    extra_lines: list[str] = field(default_factory=list)  # raw lines appended verbatim

    @classmethod
    def parse(cls, data: bytes, delimiter: str | None = None) -> CsvFile:
        bom = data.startswith(b"\xef\xbb\xbf")
        try:
            text, encoding = data.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = data.decode("cp1252"), "cp1252"
        newline = "\r\n" if "\r\n" in text else "\n"
        first = text.split("\n", 1)[0]
        if delimiter is None:
            delimiter = max((";", ","), key=first.count)
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        return cls(records[0] if records else [], records[1:], delimiter, encoding, bom, newline)

    def index(self, column: str) -> int:
        wanted = column.strip().lower()
        for i, name in enumerate(self.header):
            if name.strip().lower() == wanted:
                return i
        raise KeyError(column)

    def get(self, row: list[str], column: str) -> str:
        return row[self.index(column)]

    def set(self, row: list[str], column: str, value: str) -> None:
        row[self.index(column)] = value

    def to_text(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=self.delimiter, lineterminator=self.newline,
                            quoting=csv.QUOTE_MINIMAL)
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return out.getvalue() + "".join(line + self.newline for line in self.extra_lines)

    def to_bytes(self) -> bytes:
        data = self.to_text().encode(self.encoding)
        return (b"\xef\xbb\xbf" + data) if self.bom and self.encoding == "utf-8" else data
