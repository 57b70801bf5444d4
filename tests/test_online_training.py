"""The online learner's path, offline: 60,000 stand-in digits where keras.datasets.mnist would be.

The CLI's default run does the same number of optimizer steps on them as on the 5,000 bundled
digits, and notebook 02 runs on them in quick mode. The stand-in: tests/standin.py.
"""

import json
import shutil
from pathlib import Path

import keras
import nbformat
import tensorflow as tf
from nbclient import NotebookClient

import gan_utils as gu
import gan_utils.cli

ROOT = Path(__file__).resolve().parents[1]


def test_the_cli_default_run_trains_exactly_the_default_steps_on_60000_digits(
        tmp_path, online_mnist, monkeypatch):
    def counting_step(self, data):  # stands for InfoGAN's step: what is tested is the budget
        self.d_optimizer.iterations.assign_add(1)
        self.g_optimizer.iterations.assign_add(1)
        images = keras.utils.unpack_x_y_sample_weight(data)[0]["images"]
        return {"d_loss": tf.reduce_mean(images)}  # the batches really flow

    monkeypatch.setattr(gu.InfoGAN, "train_step", counting_step)
    training = gan_utils.cli.train("infogan", tmp_path / "run", verbose=0)  # data="auto"
    assert training["steps"] == gan_utils.cli.DEFAULT_STEPS["infogan"] == 3_510
    assert training["train_digits"] == 60_000 and "keras" in training["data"]
    assert training["passes"] == round(3_510 * 64 / 60_000, 2)  # 3.74 passes, not 45
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert len(history["d_loss"]) == 3_510 // gan_utils.cli.STEPS_PER_EPOCH == 45
    assert gu.load(tmp_path / "run").checkpoint_meta["training"]["steps"] == 3_510


def test_notebook_02_runs_in_quick_mode_on_60000_online_digits(tmp_path, monkeypatch):
    shutil.copy(ROOT / "notebooks" / "02_infogan.ipynb", tmp_path / "02_infogan.ipynb")
    nb = nbformat.read(tmp_path / "02_infogan.ipynb", as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(  # the kernel's keras "downloads" the stand-in
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nimport keras\n"
        "from tests.standin import online_mnist\n"
        "keras.datasets.mnist.load_data = lambda *args, **kwargs: online_mnist()"))
    monkeypatch.setenv("GAN_TUTORIAL_MODE", "quick")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    NotebookClient(nb, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = "".join(output.get("text", "") for cell in nb.cells
                      for output in cell.get("outputs", []))
    assert "keras.datasets.mnist: 60,000 train, 10,000 test digits" in printed
    model = gu.load(tmp_path / "outputs" / "quick" / "infogan")
    training = model.checkpoint_meta["training"]
    assert training["steps"] == 6 and training["mode"] == "quick" and "keras" in training["data"]
