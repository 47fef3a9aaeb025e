"""Load a YAML file into a pydantic model, with errors that name the file, line and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class ConfigError(ValueError):
    """An instructor-facing error in a course file. The message says where and what to do."""


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the YAML node at `loc`, or of its nearest existing ancestor."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(
                node.value):
            match = node.value[key]
        else:
            match = None
        if match is None:
            break
        node = match
        line = node.start_mark.line + 1
    return line


def _field(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def load_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror}") from None
    try:
        return yaml.safe_load(text), yaml.compose(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: not valid YAML: {getattr(err, 'problem', err)}"
                          ) from None


def load_model(path: Path, model: type[M], *, context: str = "") -> M:
    """Parse `path` as `model`. On error: `path:LINE: FIELD: problem` for each problem."""
    data, node = load_yaml(path)
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as err:
        lines = []
        for e in err.errors():
            loc = tuple(e["loc"])
            line = _line_of(node, loc)
            where = f"{path}:{line}" if line else str(path)
            lines.append(f"{where}: {context}field '{_field(loc)}': {e['msg']}")
        raise ConfigError("\n".join(lines)) from None
