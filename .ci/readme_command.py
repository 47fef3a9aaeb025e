#!/usr/bin/env python3
"""Print command N (1 or 2) of the README's quick start, so CI runs it verbatim.

The quick start is the first ```bash block under "## Quick start"; its commands are the
lines that are neither blank nor comments.
"""

import re
import sys
from pathlib import Path

text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
section = text.split("## Quick start", 1)[1]
block = re.search(r"```bash\n(.*?)```", section, re.S)
if block is None:
    sys.exit("README.md: no ```bash block under '## Quick start'")
commands = [line for line in block.group(1).splitlines()
            if line.strip() and not line.lstrip().startswith("#")]
if len(commands) != 2:
    sys.exit(f"README.md: the quick start must have exactly two commands, found {len(commands)}")
print(commands[int(sys.argv[1]) - 1])
