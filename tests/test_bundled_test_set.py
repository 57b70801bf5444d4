"""The official MNIST test set ships with the package: held-out digits exist offline too."""

import shutil

import numpy as np
import pytest

import gan_utils as gu
import gan_utils.commands
import gan_utils.data
from gan_utils.cli import main as cli


def test_bundled_gives_5000_training_and_10000_held_out_digits():
    mnist = gu.load_mnist("bundled", verbose=False)
    assert (len(mnist.x_train), len(mnist.x_test)) == (5000, 10_000)
    assert np.bincount(mnist.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028,
                                                  974, 1009]  # the official test set's counts
    train = {row.tobytes() for row in mnist.x_train}
    assert not any(row.tobytes() in train for row in mnist.x_test)  # no digit in both


def test_auto_offline_falls_back_to_the_bundled_digits_with_their_test_split(monkeypatch, capsys):
    def offline():
        raise OSError("no network")

    monkeypatch.setattr(gan_utils.data, "_load_keras", offline)
    mnist = gu.load_mnist("auto")
    assert len(mnist.x_test) == 10_000
    assert "5,000 train digits, 10,000 test digits" in capsys.readouterr().out


def test_a_damaged_bundled_test_file_is_refused(tmp_path, monkeypatch):
    copy = tmp_path / "mnist_test"
    shutil.copytree(gan_utils.data.BUNDLED_TEST_DIR, copy)
    labels = copy / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(labels.read_bytes())
    data[-20] ^= 0xFF
    labels.write_bytes(bytes(data))
    monkeypatch.setattr(gan_utils.data, "BUNDLED_TEST_DIR", copy)
    with pytest.raises(gu.MnistDataError, match="t10k-labels-idx1-ubyte.gz: md5 .* reinstall"):
        gu.load_mnist("bundled")


def test_evaluate_needs_no_network_by_default(tmp_path, monkeypatch, capsys):
    def offline():
        raise OSError("no network")

    monkeypatch.setattr(gan_utils.data, "_load_keras", offline)
    sizes = dict(n_fid=1000, n_label=200, style_draws=4)
    real_report = gan_utils.commands.evaluation_report
    monkeypatch.setattr(gan_utils.commands, "evaluation_report",
                        lambda *a, **k: real_report(*a, **k, **sizes))
    gu.ACGAN(noise_dim=8).save(tmp_path / "ac")
    assert cli(["evaluate", str(tmp_path / "ac"), "--json"]) == 0
    report = capsys.readouterr().out.strip().splitlines()[-1]
    assert '"n_test": 10000' in report and '"fid_floor_source": "training vs test"' in report
