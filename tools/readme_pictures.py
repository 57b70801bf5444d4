"""Copy each notebook's picture for the README's table into docs/ (small PNGs).

The picture is the first PNG output of the cell tagged `readme-picture` in each notebook, so the
README always shows what the stored full-mode run drew. Run after `make tutorial`.
"""

from __future__ import annotations

import base64
import io
import sys
from pathlib import Path

import nbformat
from PIL import Image

MAX_WIDTH = 480  # px: keeps each picture a few tens of kB


def picture(notebook: Path) -> bytes | None:
    """The first PNG in the outputs of the notebook's cell tagged readme-picture."""
    for cell in nbformat.read(notebook, as_version=4).cells:
        if "readme-picture" in cell.get("metadata", {}).get("tags", []):
            for output in cell.get("outputs", []):
                data = output.get("data", {}).get("image/png")
                if data:
                    return base64.b64decode(data)
    return None


def main(folder: str = "notebooks", target: str = "docs") -> int:
    Path(target).mkdir(exist_ok=True)
    missing = []
    for notebook in sorted(Path(folder).glob("[0-9][0-9]_*.ipynb")):
        png = picture(notebook)
        if png is None:
            missing.append(notebook.name)
            continue
        image = Image.open(io.BytesIO(png)).convert("RGB")
        if image.width > MAX_WIDTH:
            image = image.resize((MAX_WIDTH, round(image.height * MAX_WIDTH / image.width)),
                                 Image.LANCZOS)
        out = Path(target) / f"{notebook.stem}.png"
        image.save(out, optimize=True)
        print(f"{out}: {image.width}x{image.height}, {out.stat().st_size / 1024:.0f} kB")
    if missing:
        print("no cell tagged readme-picture with a PNG output in:", ", ".join(missing))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
