"""A quick (test) run of the whole series never touches the models a learner trained.

The notebooks run in a copy of notebooks/ that holds a learner's full-mode models in
outputs/; after the quick run those files are byte for byte the same, and the quick run's own
models sit in outputs/quick/, marked as quick.
"""

import shutil
from pathlib import Path

import keras
import nbformat
from nbclient import NotebookClient

import gan_utils as gu

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_quick_run_of_the_series_leaves_the_learners_models_alone(tmp_path, monkeypatch):
    copy = tmp_path / "notebooks"
    copy.mkdir()
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        shutil.copy(notebook, copy / notebook.name)
    for name, model_class in (("acgan", gu.ACGAN), ("infogan", gu.InfoGAN)):
        keras.utils.set_random_seed(0)
        learners = model_class(noise_dim=8)  # stands for 15 minutes of full-mode training
        learners.save(copy / "outputs" / name, training={"mode": "full", "seed": 123})
        (copy / "outputs" / name / "grid.png").write_bytes(b"the learner's picture")
    before = files_of(copy / "outputs")

    monkeypatch.setenv("GAN_TUTORIAL_MODE", "quick")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    printed = {}
    for notebook in sorted(copy.glob("*.ipynb")):
        nb = nbformat.read(notebook, as_version=4)
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(copy)}}).execute()
        printed[notebook.stem] = "".join(output.get("text", "") for cell in nb.cells
                                         for output in cell.get("outputs", []))

    after = files_of(copy / "outputs")
    assert {k: v for k, v in after.items() if not k.startswith("quick/")} == before
    for name in ("acgan", "infogan"):
        quick = gu.load(copy / "outputs" / "quick" / name)
        assert quick.checkpoint_meta["training"]["mode"] == "quick"
        assert quick.checkpoint_meta["training"]["steps"] == 6  # 2 epochs of 3 steps
        assert gu.load(copy / "outputs" / name).checkpoint_meta["training"]["seed"] == 123
    for stem in ("03_acgan_vs_infogan", "04_explore"):  # they say which models they use
        assert "ACGAN: using the one in outputs/quick/acgan" in printed[stem]
        assert "InfoGAN: using the one in outputs/quick/infogan" in printed[stem]


def test_read_through_mode_trains_nothing_and_writes_nothing(tmp_path, monkeypatch):
    """GAN_TUTORIAL_MODE=read: 01 and 02 load the shipped models instead of training them."""
    copy = tmp_path / "notebooks"
    copy.mkdir()
    for stem in ("01_acgan", "02_infogan"):
        shutil.copy(NOTEBOOKS / f"{stem}.ipynb", copy / f"{stem}.ipynb")
    keras.utils.set_random_seed(0)
    gu.InfoGAN(noise_dim=8).save(copy / "outputs" / "infogan", training={"mode": "full"})
    before = files_of(copy)

    monkeypatch.setenv("GAN_TUTORIAL_MODE", "read")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    for stem in ("01_acgan", "02_infogan"):
        nb = nbformat.read(copy / f"{stem}.ipynb", as_version=4)
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(copy)}}).execute()
        printed = "".join(output.get("text", "") for cell in nb.cells
                          for output in cell.get("outputs", []))
        assert "read-through mode: nothing was trained here" in printed
        assert "Epoch 1/" not in printed  # fit never ran
    assert files_of(copy) == before  # not one file added or changed beside the notebooks
