"""The notebooks as a series, each run at most twice per `make test`.

- nbval runs every notebook once, in read mode, in notebooks/ itself; the repository's
  conftest.py fails a training cell that trained there, or a notebook that wrote a file.
- `quick_series` runs 01 to 04 once more, in quick mode, in a copy of notebooks/ that holds
  a learner's full-mode models, with keras' MNIST stood in for by 60,000 digits in 01's kernel
  (the online path); 02's first kernel dies in the middle of training and 02 is run again from
  the top, as after a restart. The tests below read that one run.
- 05 runs in the browser tests (JupyterLab and Voila), tests/test_browser.py.
"""

import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import keras
import nbformat
import numpy as np
import pytest
import tensorflow as tf
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

import gan_utils as gu

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file under folder, by its relative path, with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def printed(nb) -> str:
    """All the text an executed notebook printed."""
    return "".join(output.get("text", "") for cell in nb.cells for output in cell.get("outputs", []))


@pytest.fixture(scope="session")
def quick_series(tmp_path_factory):
    """01 to 04 run once in quick mode in a copy of notebooks/ holding a learner's models.

    01's kernel gets the 60,000-digit stand-in where keras' MNIST would be, so load_mnist("auto")
    takes the online path there. Returns the folder, its outputs/ before the run, and what each
    notebook printed.
    """
    copy = tmp_path_factory.mktemp("series") / "notebooks"
    copy.mkdir()
    for name, model_class in (("acgan", gu.ACGAN), ("infogan", gu.InfoGAN),
                              ("infogan_paper", gu.InfoGAN.paper)):
        keras.utils.set_random_seed(0)
        learners = model_class(noise_dim=8)  # stands for minutes of full-mode training
        learners.save(copy / "outputs" / name, training={"mode": "full", "seed": 123})
        (copy / "outputs" / name / "grid.png").write_bytes(b"the learner's picture")
    before = files_of(copy / "outputs")
    said = {}
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GAN_TUTORIAL_MODE", "quick")
        env.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
        for stem in ("01_acgan", "02_infogan", "03_infogan_digits", "04_acgan_vs_infogan"):
            shutil.copy(NOTEBOOKS / f"{stem}.ipynb", copy / f"{stem}.ipynb")
            nb = nbformat.read(copy / f"{stem}.ipynb", as_version=4)
            if stem == "01_acgan":  # the kernel's keras "downloads" the 60,000-digit stand-in
                nb.cells.insert(0, nbformat.v4.new_code_cell(
                    f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nimport keras\n"
                    "from tests.standin import online_mnist\n"
                    "keras.datasets.mnist.load_data = lambda *args, **kwargs: online_mnist()"))
            if stem == "02_infogan":  # the kernel dies after the first epoch's backup ...
                said["02_killed"] = run_until_the_kernel_dies(copy, nb)
            run(copy, nb)  # ... and the notebook is run again from the top in a new kernel
            said[stem] = printed(nb)
    return copy, before, said


def run(folder: Path, nb) -> None:
    """Execute a notebook in a new kernel, as Restart Kernel and Run All Cells does."""
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()


def run_until_the_kernel_dies(folder: Path, nb) -> str:
    """Run a copy of the notebook whose kernel exits (os._exit) at the end of training's first
    epoch, after its backup was written; what it printed until then."""
    killed = copy_of(nb)
    training = next(i for i, cell in enumerate(killed.cells) if "history = model.fit(" in cell.source)
    killed.cells.insert(training, nbformat.v4.new_code_cell(
        "import os\n_grid_epoch_end = gu.callbacks.SampleGrid.on_epoch_end\n"
        "def _die_after_the_first_epoch(self, epoch, logs=None):\n"
        "    _grid_epoch_end(self, epoch, logs)\n    os._exit(1)\n"
        "gu.callbacks.SampleGrid.on_epoch_end = _die_after_the_first_epoch"))
    with pytest.raises(DeadKernelError):
        run(folder, killed)
    return printed(killed)


def copy_of(nb):
    """A notebook object that can be changed and run without touching `nb`."""
    return nbformat.reads(nbformat.writes(nb), as_version=4)


@pytest.mark.slow
def test_a_quick_run_leaves_the_learners_models_alone(quick_series):
    copy, before, said = quick_series
    after = files_of(copy / "outputs")
    assert {k: v for k, v in after.items() if not k.startswith("quick/")} == before
    for name in ("acgan", "infogan_paper", "infogan"):
        quick = gu.load(copy / "outputs" / "quick" / name)
        assert quick.checkpoint_meta["training"]["mode"] == "quick"
        assert quick.checkpoint_meta["training"]["steps"] == 6  # 2 epochs of 3 steps
        assert gu.load(copy / "outputs" / name).checkpoint_meta["training"]["seed"] == 123
    assert gu.load(copy / "outputs" / "quick" / "infogan_paper").config == gu.InfoGANConfig.paper()
    # 04 says which models it uses: the quick ones, in quick mode
    comparison = said["04_acgan_vs_infogan"]
    assert "ACGAN: using the one in outputs/quick/acgan" in comparison
    assert "InfoGAN as published: using the one in outputs/quick/infogan_paper" in comparison
    assert "InfoGAN: using the one in outputs/quick/infogan " in comparison


@pytest.mark.slow
def test_a_restarted_kernel_goes_on_from_the_training_backup(quick_series):
    """02's kernel died after the first of two epochs; run again, it trained the second only."""
    copy, _, said = quick_series
    assert "Epoch 1/2" in said["02_killed"] and "Epoch 2/2" not in said["02_killed"]
    assert "resuming at step 3 of 6" in said["02_infogan"]
    assert "Epoch 1/2" not in said["02_infogan"] and "Epoch 2/2" in said["02_infogan"]
    quick = gu.load(copy / "outputs" / "quick" / "infogan")
    assert quick.checkpoint_meta["training"]["steps"] == 6  # 3 before the restart, 3 after


@pytest.mark.slow
def test_notebook_01_trains_on_the_60000_online_digits_in_quick_mode(quick_series):
    copy, _, said = quick_series
    assert "keras.datasets.mnist: 60,000 train, 10,000 test digits" in said["01_acgan"]
    assert "keras.datasets.mnist" not in said["02_infogan"]  # 02's kernel had no stand-in
    training = gu.load(copy / "outputs" / "quick" / "acgan").checkpoint_meta["training"]
    assert training["steps"] == 6 and training["mode"] == "quick" and "keras" in training["data"]


def cells_of(notebook: str) -> dict[str, str]:
    """A notebook's cells' sources, by cell id."""
    return {c.get("id"): "".join(c["source"])
            for c in json.loads((NOTEBOOKS / notebook).read_text())["cells"]}


def test_notebook_02s_written_out_step_is_the_papers_step_in_gu_infogan(digits):
    """Notebook 02 writes the paper's step out (D, then G from fresh codes): one step of it and
    one of gu.InfoGAN.paper() from the same seed give the same metrics and weights."""
    cells = cells_of("02_infogan.ipynb")
    namespace = {"gu": gu, "tf": tf, "keras": keras, "math": math}
    exec(cells["a8c7776a"] + "\n" + cells["paper-step"], namespace)  # info_loss, then the class
    batch = tf.constant(gu.data.to_unit_range(digits[0][:16]))

    def step(model_class):
        keras.utils.set_random_seed(0)
        model = model_class(gu.InfoGANConfig.paper(noise_dim=8, use_bn=False))
        model.compile()
        keras.utils.set_random_seed(1)
        return {k: float(v) for k, v in model.train_step(batch).items()}, model

    (ours, model), (written_out, copy) = step(gu.InfoGAN), step(namespace["InfoGAN"])
    shared = {k: v for k, v in ours.items() if k not in ("real_cluster_gap",)}  # not the paper's
    assert {k: written_out[k] for k in shared} == pytest.approx(shared, abs=1e-5)
    assert 0 < ours["d_loss"] and ours["info_loss"] > 1.0
    for mine, theirs in zip(model.discriminator.get_weights() + model.generator.get_weights(),
                            copy.discriminator.get_weights() + copy.generator.get_weights()):
        np.testing.assert_allclose(theirs, mine, atol=1e-5)


def test_notebook_03s_written_out_step_is_gu_infogans_step(one_fixed_step):
    """Notebook 03 writes the default recipe's train_step out for the reader: with fixed moves
    and nothing random in D, one step of it and one of gu.InfoGAN give the same metrics and D."""
    cells = cells_of("03_infogan_digits.ipynb")
    namespace = {"gu": gu, "tf": tf, "keras": keras, "math": math}
    exec(cells["38defafe"], namespace)  # the class
    (ours, model), (written_out, copy) = (one_fixed_step(gu.InfoGAN),
                                          one_fixed_step(namespace["InfoGAN"]))
    assert written_out == pytest.approx(ours, abs=1e-5)
    assert ours["consistency_loss"] > 0 and ours["neighbour_loss"] > 0.01
    for mine, theirs in zip(model.discriminator.get_weights() + model.generator.get_weights(),
                            copy.discriminator.get_weights() + copy.generator.get_weights()):
        np.testing.assert_allclose(theirs, mine, atol=1e-5)


@pytest.mark.parametrize("notebook", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_a_kernel_without_gan_utils_is_told_how_to_install_it(notebook, tmp_path):
    """Each notebook's first code cell, run by a Python that cannot import gan_utils (-I -S: no
    site-packages, no working folder), stops with one line naming the install command."""
    cells = json.loads((NOTEBOOKS / notebook).read_text())["cells"]
    first = "".join(next(c for c in cells if c["cell_type"] == "code")["source"])
    done = subprocess.run([sys.executable, "-I", "-S", "-c", first], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 1 and "ModuleNotFoundError" not in done.stderr
    assert done.stderr.startswith("gan_utils is not installed for this kernel's Python.")
    assert 'pip install -c constraints.txt -e ".[lab]"' in done.stderr


@pytest.mark.parametrize("notebook", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_every_exercise_says_its_cost_and_gives_a_hint_and_one_takes_under_a_minute(notebook):
    """Each numbered exercise starts with its cost in italics; all but "thinking only" ones and
    the last (a pointer) give a hint; one per notebook runs in under a minute; the answers in
    docs/exercises.md have a section for the notebook."""
    text = next("".join(c["source"]) for c in json.loads((NOTEBOOKS / notebook).read_text())["cells"]
                if "**Exercises**" in "".join(c["source"]))
    items = re.split(r"\n\d\. ", "\n" + text.split("**Exercises**", 1)[1])[1:]
    assert len(items) >= 3, notebook
    costs = [re.match(r"\*([^*]+)\.\*", item) for item in items]
    assert all(costs), [item[:40] for item, cost in zip(items, costs) if not cost]
    assert any("under a minute" in cost.group(1).lower() for cost in costs), notebook
    hinted = sum("Hint:" in item for item in items)
    assert hinted >= len(items) - 1, notebook
    number = notebook[:2]
    assert f"docs/exercises.md#{number}" in text
    assert f"\n## {number}\n" in (ROOT / "docs" / "exercises.md").read_text()
