"""Read one image with pytest-ctrsec's layer reader (no cache) and print what it found.

    python bench/image/read_once.py docker-archive:/tmp/image.tar
"""

from __future__ import annotations

import sys
import time

from pytest_ctrsec.targets.image import LoadSettings, open_image


def main(ref: str) -> None:
    start = time.perf_counter()
    image = open_image(ref, LoadSettings(cache_dir=None))
    entries = image.fs.entries()
    seconds = time.perf_counter() - start
    files = sum(1 for _, e in entries if e.is_file)
    print(f"{len(entries)} entries ({files} files), {len(image.config.history)} history steps, "
          f"read in {seconds:.2f} s in-process")


if __name__ == "__main__":
    main(sys.argv[1])
