"""Make a content folder N times the size of a real one, for the scale benchmark.

Every section is repeated N times (copy k's file is `<name>-k.md`, its heading ends "(copy B)",
"(copy C)" …), and every chart and table it places is declared again under its own name
(`<name>-k`), so the copy has N times the pages, figures and tables, each laid out, drawn and
tagged like the original. Data, headlines and checks stay as they are.

    python bench/scale_content.py content/2022 /tmp/scaled/2022 10
"""

from __future__ import annotations

import re
import shutil
import sys
import tomllib
from pathlib import Path

PLACEMENT = re.compile(r'\{\{\s*(chart|table)\("([^"]+)"\)\s*\}\}')
HEADING = re.compile(r"^(#{1,2} )(.+)$", re.M)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_value(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _letters(k: int) -> str:
    """B, C, … Z, AA, AB …: a copy's name without digits (numbers in prose must come from data)."""
    out = ""
    while k:
        k, r = divmod(k - 1, 26)
        out = chr(65 + r) + out
    return out


def scale(source: Path, target: Path, times: int) -> Path:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    config_path = target / "report.toml"
    text = config_path.read_text(encoding="utf-8")
    config = tomllib.loads(text)
    order: list[str] = []
    extra: list[str] = []
    for name in config["sections"]:
        order.append(name)
    for k in range(2, times + 1):
        for name in config["sections"]:
            body = (target / "sections" / f"{name}.md").read_text(encoding="utf-8")
            body = HEADING.sub(lambda m, k=k: f"{m.group(1)}{m.group(2)} (copy {_letters(k)})", body, count=1)

            def rename(m: re.Match, k: int = k) -> str:
                kind, ref = m.group(1), m.group(2)
                declared = config.get(f"{kind}s", {}).get(ref)
                if declared is None:
                    return m.group(0)
                fields = "\n".join(f"{key} = {_toml_value(v)}" for key, v in declared.items())
                extra.append(f'\n[{kind}s."{ref}-{k}"]\n{fields}\n')
                return f'{{{{ {kind}("{ref}-{k}") }}}}'

            body = PLACEMENT.sub(rename, body)
            (target / "sections" / f"{name}-{k}.md").write_text(body, encoding="utf-8")
            order.append(f"{name}-{k}")
    listing = "sections = [\n" + "".join(f'  "{n}",\n' for n in order) + "]"
    text = re.sub(r"^sections = \[.*?\]", lambda _: listing, text, count=1, flags=re.S | re.M)
    config_path.write_text(text + "".join(extra), encoding="utf-8")
    return target


if __name__ == "__main__":
    src, dst, n = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    print(scale(src, dst, n))
