#!/usr/bin/env python3
"""Run Python tiktoken offline on the vocabularies shipped inside the tiktoken-rs crate.

tiktoken downloads its `.tiktoken` files on first use and caches each one under
TIKTOKEN_CACHE_DIR, named by the SHA-1 hex digest of its download URL. This
helper copies the files that the tiktoken-rs crate source ships into such a
directory, so tiktoken finds them there and checks them against the SHA-256
values that tiktoken's openai_public.py names as `expected_hash`. Any network
access is made to fail: the URLs below are only hashed into file names.

Usage:
    tiktoken_cache.py count < request.json
        request: {"encodings": ["cl100k_base", ...], "texts": ["...", ...]}
        output:  {"cl100k_base": [count, ...], ...}   (encode_ordinary lengths)
    tiktoken_cache.py models < names.json
        request: ["gpt-4o-2024-08-06", ...]
        output:  ["o200k_base", ..., null]   (tiktoken.encoding_name_for_model)
    tiktoken_cache.py check
        loads every encoding once and prints a count for each.

The tiktoken-rs crate is found with `cargo metadata --format-version 1` run in
the repository root; set TIKTOKEN_RS_DIR to its source directory to skip that.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# The download URLs in tiktoken's openai_public.py; only their SHA-1 is used.
URLS = {
    "r50k_base": "https://openaipublic.blob.core.windows.net/encodings/r50k_base.tiktoken",
    "p50k_base": "https://openaipublic.blob.core.windows.net/encodings/p50k_base.tiktoken",
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
}

ENCODINGS = ["r50k_base", "p50k_base", "cl100k_base", "o200k_base", "o200k_harmony"]


def tiktoken_rs_dir() -> Path:
    """Return the source directory of the tiktoken-rs crate that the workspace builds with."""
    if "TIKTOKEN_RS_DIR" in os.environ:
        return Path(os.environ["TIKTOKEN_RS_DIR"])
    cargo = os.environ.get("CARGO", "cargo")
    metadata = subprocess.run(
        [cargo, "metadata", "--format-version", "1"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    for package in json.loads(metadata.stdout)["packages"]:
        if package["name"] == "tiktoken-rs":
            return Path(package["manifest_path"]).parent
    raise SystemExit("tiktoken-rs is not in `cargo metadata`; run `cargo fetch` first")


def fill_cache(cache_dir: Path) -> None:
    """Copy each shipped `.tiktoken` file to the cache under the SHA-1 of its URL."""
    assets = tiktoken_rs_dir() / "assets"
    cache_dir.mkdir(parents=True, exist_ok=True)
    for name, url in URLS.items():
        source = assets / f"{name}.tiktoken"
        if not source.is_file():
            raise SystemExit(f"missing vocabulary file {source}; is tiktoken-rs fully fetched?")
        shutil.copyfile(source, cache_dir / hashlib.sha1(url.encode()).hexdigest())


def block_network() -> None:
    """Make every download attempt fail: a cache miss or a hash mismatch becomes an error."""
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        os.environ[variable] = "http://127.0.0.1:9"
    os.environ["NO_PROXY"] = ""
    os.environ["no_proxy"] = ""

    import tiktoken.load

    original_read_file = tiktoken.load.read_file

    def read_file(blobpath: str) -> bytes:
        if "://" in blobpath:
            raise RuntimeError(
                f"tiktoken tried to download {blobpath}; the offline cache is incomplete "
                "or a file failed tiktoken's SHA-256 check"
            )
        return original_read_file(blobpath)

    tiktoken.load.read_file = read_file


def load_tiktoken(cache_dir: Path):
    """Return the tiktoken module, set up to read only from `cache_dir`."""
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
    try:
        import tiktoken
    except ImportError:
        raise SystemExit("Python tiktoken is not installed: run `pip install tiktoken`")
    block_network()
    return tiktoken


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    with tempfile.TemporaryDirectory(prefix="tiktoken-cache-") as directory:
        cache_dir = Path(directory)
        fill_cache(cache_dir)
        tiktoken = load_tiktoken(cache_dir)

        if command == "check":
            for name in ENCODINGS:
                encoding = tiktoken.get_encoding(name)
                json.dump({"encoding": name, "hello": len(encoding.encode_ordinary("hello"))}, sys.stdout)
                sys.stdout.write("\n")
            return

        if command == "count":
            request = json.load(sys.stdin)
            result = {}
            for name in request["encodings"]:
                encoding = tiktoken.get_encoding(name)
                result[name] = [len(encoding.encode_ordinary(text)) for text in request["texts"]]
            json.dump(result, sys.stdout)
            return

        if command == "models":
            from tiktoken.model import encoding_name_for_model

            names = []
            for model in json.load(sys.stdin):
                try:
                    names.append(encoding_name_for_model(model))
                except KeyError:
                    names.append(None)
            json.dump(names, sys.stdout)
            return

        raise SystemExit(f"unknown command `{command}`; expected `count`, `models` or `check`")


if __name__ == "__main__":
    main()
