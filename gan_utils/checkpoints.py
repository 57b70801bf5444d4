"""Checkpoint folders: save a GAN so that a crash never leaves half of it, load it back, and
choose which model a notebook uses (the learner's own, never a test run's, else the shipped one).

A checkpoint is a folder with config.json and two weight files. config.json is written last
and names the weight files by their content (generator-<sha256>.weights.h5), so replacing it
is the single moment a save takes effect: before it the folder holds the old checkpoint, after
it the new one, never a mix. load() checks each file against the sha256 that config.json holds.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
from pathlib import Path

import h5py
import numpy as np

CHECKPOINT_FORMAT = "gan_utils.checkpoint/2"
_FIXED_NAME_FORMAT = "gan_utils.checkpoint/1"  # before content names: generator.weights.h5, ...
PARTS = ("generator", "discriminator")
PRETRAINED_DIR = Path(__file__).parent / "pretrained"
# the shipped checkpoints (gan_utils/pretrained/<name>) and the class each holds
_CLASS_NAMES = {"acgan": "ACGAN", "infogan": "InfoGAN", "infogan_paper": "InfoGAN"}
# Checkpoints saved before these knobs existed load with the recipe they were trained with.
_BEFORE_NEWER_KNOBS = {"ACGAN": {"move_real_for_class": False},
                       "InfoGAN": {"confidence_weight": 1.0, "neighbour_weight": 0.0,
                                   "move_slant": 0.0}}


# What save() writes afresh each time; everything else in a loaded config.json is carried over.
_WRITTEN_BY_SAVE = ("format", "model", "config", "files", "alignment", "style_names")


class CheckpointError(ValueError):
    """Raised when a checkpoint folder is missing, incomplete, damaged or holds another model."""


# The model classes a checkpoint can hold, by the name config.json records ("ACGAN", "InfoGAN").
# Each class adds itself with @register_model, so this module never imports the models.
MODELS: dict[str, type] = {}


def register_model(model_class: type) -> type:
    """Class decorator: checkpoints that name this class (by __name__) load as it."""
    MODELS[model_class.__name__] = model_class
    return model_class


def model_class(name: str) -> type | None:
    """The class a checkpoint's "model" names, or None if no model has that name."""
    if name not in MODELS:  # the models register themselves when they load
        importlib.import_module("gan_utils.models")
    return MODELS.get(name)


# --------------------------------------------------------------------------- save


def save_checkpoint(model, dirpath: str | os.PathLike, overwrite: bool = True,
                    extra: dict | None = None, half_precision: bool = False,
                    training: dict | None = None) -> Path:
    """Write model's config.json and weights into a folder, all-or-nothing; other files stay.

    training describes the run (mode, data, seed, ...); the optimizer's step count is added
    as "steps" when the model was trained in this process. half_precision stores float16.
    """
    dirpath = Path(dirpath)
    if dirpath.suffix in (".keras", ".h5"):
        raise CheckpointError(f"{dirpath}: a gan_utils model saves into a folder (config.json and "
                              "two weight files), not a single Keras file; pass a folder name.")
    if dirpath.exists() and not dirpath.is_dir():
        raise CheckpointError(f"{dirpath} is a file, not a folder: choose another place to save.")
    config_file = dirpath / "config.json"
    if config_file.exists() and not overwrite:
        raise FileExistsError(f"{dirpath} holds a checkpoint; pass overwrite=True to replace it.")
    dirpath.mkdir(parents=True, exist_ok=True)
    _remove_killed_saves(dirpath)
    loaded = getattr(model, "checkpoint_meta", {})  # a re-saved model keeps what it was saved with
    kept = {k: v for k, v in loaded.items() if k not in _WRITTEN_BY_SAVE}
    meta = {"format": CHECKPOINT_FORMAT, "model": type(model).__name__,
            "config": model.get_config(), **kept, **model.checkpoint_extras(), **(extra or {})}
    loaded_from = kept.get("training", {})
    steps = _steps_trained(model)
    if steps:  # a loaded model trained further counts its earlier steps too
        steps += loaded_from.get("steps", 0)
    record = {**loaded_from, **meta.get("training", {}), **(training or {}),
              **({"steps": steps} if steps else {})}
    if record:
        meta["training"] = record
    prefix = f".tmp-{os.getpid()}-"
    files, added = {}, []
    try:
        for part in PARTS:
            staged = dirpath / f"{prefix}{part}.weights.h5"
            getattr(model, part).save_weights(staged)
            if half_precision:
                _store_as_float16(staged)
            digest = _sha256(staged)
            files[part] = {"file": f"{part}-{digest[:16]}.weights.h5", "sha256": digest}
            target = dirpath / files[part]["file"]  # a new name: the old checkpoint's file stays
            if not target.exists():
                added.append(target)
            os.replace(staged, target)
        meta["files"] = files
        staged = dirpath / f"{prefix}config.json"
        staged.write_text(json.dumps(meta, indent=2) + "\n")
        os.replace(staged, config_file)  # the one moment the new checkpoint takes effect
    except BaseException:
        for path in added:  # the old config.json does not name them
            path.unlink(missing_ok=True)
        raise
    finally:
        for leftover in dirpath.glob(f"{prefix}*"):
            leftover.unlink(missing_ok=True)
    _remove_unnamed_weights(dirpath, keep={f["file"] for f in files.values()})
    return dirpath


def _steps_trained(model) -> int | None:
    """Optimizer steps taken in this process (None for a model only loaded, never trained)."""
    optimizer = getattr(model, "d_optimizer", None)
    steps = int(optimizer.iterations.numpy()) if optimizer is not None else 0
    return steps or None


def _remove_killed_saves(dirpath: Path) -> None:
    """Delete the temporaries that a save killed half-way left behind."""
    for path in dirpath.glob(".tmp-*"):
        path.unlink(missing_ok=True)


def _remove_unnamed_weights(dirpath: Path, keep: set[str]) -> None:
    """Delete weight files that config.json no longer names (an older save's, or a killed one's)."""
    ours = re.compile(rf"({'|'.join(PARTS)})(-[0-9a-f]{{16}})?\.weights\.h5")  # not a user's file
    for path in dirpath.iterdir():
        if ours.fullmatch(path.name) and path.name not in keep:
            path.unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _store_as_float16(path: Path) -> None:
    """Rewrite a .weights.h5 file with its float32 arrays stored as float16."""
    copy = path.with_name(path.name + ".f16")
    with h5py.File(path, "r") as source, h5py.File(copy, "w") as target:
        target.attrs.update(source.attrs)

        def visit(name, item):
            if isinstance(item, h5py.Group):
                target.require_group(name).attrs.update(item.attrs)
                return
            data = item[()]
            if getattr(data, "dtype", None) == np.float32:
                data = data.astype(np.float16)
            target.create_dataset(name, data=data).attrs.update(item.attrs)

        source.visititems(visit)
    os.replace(copy, path)


def is_half_precision(dirpath: str | os.PathLike) -> bool:
    """Whether a checkpoint's weights are stored as float16 (as the shipped ones are)."""
    kinds = set()
    with h5py.File(weight_files(dirpath)["generator"], "r") as f:
        f.visititems(lambda _, item: kinds.add(item.dtype.name)
                     if isinstance(item, h5py.Dataset) else None)
    return "float16" in kinds


# --------------------------------------------------------------------------- load


def read_meta(dirpath: str | os.PathLike) -> dict:
    """A checkpoint's config.json, checked: its format, its model and its config are known."""
    dirpath = Path(dirpath)
    config_file = dirpath / "config.json"
    if not dirpath.is_dir():
        raise CheckpointError(f"{dirpath}: no such checkpoint folder.")
    if not config_file.is_file():
        raise CheckpointError(f"{dirpath}: no config.json; is this a folder written by model.save()?")
    try:
        meta = json.loads(config_file.read_text())
        name, config = meta["model"], meta["config"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{config_file}: not a gan_utils checkpoint config ({exc}).") from exc
    if meta.get("format") not in (CHECKPOINT_FORMAT, _FIXED_NAME_FORMAT) or not model_class(name):
        raise CheckpointError(f"{config_file}: unknown checkpoint format {meta.get('format')!r} "
                              f"or model {name!r}.")
    if not isinstance(config, dict):
        raise CheckpointError(f"{config_file}: 'config' must be the model's settings, got "
                              f"{config!r}.")
    return meta


def saved_settings(meta: dict) -> dict:
    """A checkpoint's settings as its model is rebuilt from them (read_meta's dict in).

    Settings missing from a checkpoint saved before they existed take the recipe it was trained
    with (_BEFORE_NEWER_KNOBS) where that differs from today's default, else today's default.
    """
    return {**_BEFORE_NEWER_KNOBS[meta["model"]], **meta["config"]}


def weight_files(dirpath: str | os.PathLike, meta: dict | None = None) -> dict[str, Path]:
    """The generator's and discriminator's weight files of a checkpoint, checked to be whole."""
    dirpath = Path(dirpath)
    meta = meta or read_meta(dirpath)
    found = {}
    for part in PARTS:
        entry = meta.get("files", {}).get(part) if meta["format"] == CHECKPOINT_FORMAT else None
        if meta["format"] == CHECKPOINT_FORMAT and not isinstance(entry, dict):
            raise CheckpointError(f"{dirpath / 'config.json'}: names no {part} weights file.")
        path = dirpath / (entry["file"] if entry else f"{part}.weights.h5")
        if not path.is_file() or path.parent != dirpath:
            raise CheckpointError(f"{dirpath}: {path.name} is missing; the checkpoint is incomplete.")
        if entry and _sha256(path) != entry.get("sha256"):
            raise CheckpointError(f"{path}: its contents do not match config.json (a damaged or "
                                  "replaced file); save the model again or use another checkpoint.")
        found[part] = path
    return found


def _whole_hdf5(path: Path) -> bool:
    """Whether h5py can open the file and walk every object in it (a cut file fails)."""
    try:
        with h5py.File(path, "r") as f:
            f.visititems(lambda name, item: item[()] if isinstance(item, h5py.Dataset) else None)
        return True
    except (OSError, RuntimeError, ValueError):
        return False


def load(dirpath: str | os.PathLike, expect: str | type | None = None):
    """Rebuild the model saved in a folder by model.save(), with its weights."""
    dirpath = Path(dirpath)
    meta = read_meta(dirpath)
    name, config = meta["model"], meta["config"]
    config_file = dirpath / "config.json"
    expected = expect.__name__ if isinstance(expect, type) else expect
    if expected and expected != name:
        raise CheckpointError(f"{dirpath} holds an {name} checkpoint, not {expected}.")
    try:
        model = model_class(name)(**saved_settings(meta))
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{config_file}: its config does not make an {name}: {exc}") from exc
    for part, path in weight_files(dirpath, meta).items():
        if not _whole_hdf5(path):  # format 1 names no sha256: a cut file shows only here
            raise CheckpointError(f"{path}: damaged (not a whole HDF5 file: truncated or "
                                  "overwritten); save the model again or use another checkpoint.")
        try:
            getattr(model, part).load_weights(path)
        except Exception as exc:
            raise CheckpointError(f"{path}: weights do not fit this {name} ({config}): "
                                  f"{str(exc).splitlines()[0]}") from exc
    try:
        model.restore_extras(meta)
    except (TypeError, ValueError, AttributeError) as exc:
        raise CheckpointError(f"{config_file}: {exc}") from exc
    model.checkpoint_meta = meta
    model.checkpoint_path = dirpath
    return model


def load_pretrained(name: str):
    """A small checkpoint shipped with the package ("acgan", "infogan" or "infogan_paper", the
    InfoGAN paper's model); see its MODEL_CARD.md."""
    folder = PRETRAINED_DIR / str(name).lower()
    if str(name).lower() not in _CLASS_NAMES or not (folder / "config.json").is_file():
        shipped = sorted(p.name for p in PRETRAINED_DIR.glob("*") if (p / "config.json").is_file())
        raise CheckpointError(f"no pretrained checkpoint {name!r}; shipped: {shipped}. Train one "
                              "with `python -m gan_utils train acgan|infogan --out DIR`.")
    return load(folder)


def describe_training(meta: dict) -> str:
    """How a checkpoint was trained, in a few words (from the record its save kept)."""
    training = meta.get("training") or {}
    parts = [f"{training['steps']:,} steps" if "steps" in training else None,
             f"{training['mode']} mode" if "mode" in training else None,
             f"seed {training['seed']}" if "seed" in training else None,
             f"on {training['data']}" if "data" in training else None]
    parts = [p for p in parts if p]
    return ", ".join(parts) if parts else "no training record"


def load_trained(dirpath: str | os.PathLike, name: str, mode: str = "full"):
    """The model a notebook saved in dirpath or else the shipped one; prints which and why.

    In full and read mode a checkpoint that a quick (test) run made is never used: it is a few
    steps old and would draw grey squares.
    """
    key = str(name).lower()
    if key not in _CLASS_NAMES:
        raise ValueError(f"name must be one of {sorted(_CLASS_NAMES)}, got {name!r}.")
    if mode not in ("full", "read", "quick"):
        raise ValueError(f"mode must be 'full', 'read' or 'quick', got {mode!r}.")
    folder, class_name = Path(dirpath), _CLASS_NAMES[key]
    label = "InfoGAN as published" if key == "infogan_paper" else class_name
    shipped = f"the shipped {label} (gan_utils/pretrained/{key}, see its MODEL_CARD.md)"
    if not (folder / "config.json").is_file():
        print(f"{label}: none saved in {folder} yet, so using {shipped}.")
        return load_pretrained(key)
    meta = read_meta(folder)
    made_in = (meta.get("training") or {}).get("mode")
    if made_in == "quick" and mode != "quick":
        print(f"{label}: {folder} holds a quick-mode test model ({describe_training(meta)}), "
              f"not a trained one, so using {shipped}.")
        return load_pretrained(key)
    model = load(folder, expect=class_name)
    print(f"{label}: using the one in {folder} ({describe_training(meta)}).")
    return model
