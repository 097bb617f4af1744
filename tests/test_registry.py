import numpy as np
import pytest

import zoo
from conftest import BATTERY, FORWARD

AT_DEFAULT_SIZE = {arch for arch, kwargs, size in BATTERY + FORWARD if size is None and not kwargs}


def test_list_models():
    assert {"lenet", "cifarnet"} <= set(zoo.list_models())
    assert zoo.list_models("le*") == ["lenet"]
    assert zoo.list_models("nothing*") == []


def test_a_family_is_its_folder_and_one_that_fails_to_import_says_so(tmp_path, monkeypatch):
    """zoo.models imports every subpackage (adding a family is adding its folder); a broken one stops the registry
    with one line naming it and leaves none of its specs behind."""
    import zoo.models

    models = zoo.list_models()
    (tmp_path / "zz_broken").mkdir()
    (tmp_path / "zz_broken" / "__init__.py").write_text(
        "import dataclasses\nfrom zoo.spec import register\nfrom zoo.registry import get_spec\n"
        "register(dataclasses.replace(get_spec('lenet'), name='zz_lenet'))\nraise RuntimeError('boom\\nmore')\n")
    monkeypatch.setattr(zoo.models, "__path__", [*zoo.models.__path__, str(tmp_path)])
    assert zoo.models.families()[-1] == "zz_broken" and "lenet" in zoo.models.families()
    with pytest.raises(ImportError) as raised:
        zoo.models._register_all()
    assert str(raised.value) == ("model family 'zz_broken' (zoo/models/zz_broken/) failed to import: "
                                 "RuntimeError: boom; fix it or remove the folder")
    assert zoo.list_models() == models


def test_unknown_name_and_impl_list_what_exists():
    with pytest.raises(ValueError, match=r"Unknown model 'lenet5'.*'cifarnet'.*'lenet'"):
        zoo.create_model("lenet5")
    with pytest.raises(ValueError, match=r"Unknown impl 'keras'.*'native', 'shim', 'slim'"):
        zoo.create_model("lenet", impl="keras")
    with pytest.raises(ValueError, match=r"keras='keras3'; choose 'keras' \(Keras 3, any backend\) or 'tf_keras'"):
        zoo.create_model("lenet", keras="keras3")
    with pytest.raises(ValueError, match=r"keras='keras' applies to impl='native'; the shim is tf_keras only"):
        zoo.create_model("lenet", "shim", keras="keras")


def test_load_options_need_a_checkpoint():
    with pytest.raises(ValueError, match="only apply with checkpoint"):
        zoo.create_model("lenet", use_ema=True)


@pytest.mark.parametrize("arch", zoo.list_models())
def test_metadata_parameter_count_matches_tf1_graph(arch):
    from zoo.checkpoints.inspect import slim_signature
    from zoo.preprocessing import PREPROCESSING

    spec = zoo.get_spec(arch)
    counted = sum(int(np.prod(shape)) for shape in slim_signature(arch).values())  # the TF1 graph's variables
    assert spec.num_params == counted
    # The native's variables at the default size (aux heads' kernels depend on it): the parity cases run at the
    # default size already load the TF1 graph's checkpoint strictly into it (every variable mapped, none missing,
    # as many as the graph's), so only the others are built here; the tf_keras builder is the same code, and the
    # parity tests load checkpoints strictly into it too.
    if arch not in AT_DEFAULT_SIZE:
        assert zoo.create_model(arch, "native").count_params() == counted
    assert spec.image_size == spec.slim_net.default_image_size
    assert spec.preprocessing in PREPROCESSING and spec.feature_scope
    has_batch_norm = any(name.endswith("/moving_mean") for name in slim_signature(arch))
    assert spec.batch_norm == has_batch_norm, f"{arch}: register batch_norm={has_batch_norm} in its ModelSpec"


@pytest.mark.parametrize("impl,keras", [("native", "keras"), ("native", "tf_keras"), ("shim", None)])
def test_custom_classes_and_feature_output(impl, keras):
    logits = zoo.create_model("lenet", impl, num_classes=3, keras=keras)(np.zeros((2, 28, 28, 1), np.float32))
    assert logits.shape == (2, 3)
    features = zoo.create_model("cifarnet", impl, num_classes=0, keras=keras)(np.zeros((2, 32, 32, 3), np.float32))
    assert features.shape == (2, 192)


def test_native_model_carries_its_configuration():
    import keras

    model = zoo.create_model("mobilenet_v1_025", image_size=96, num_classes=7, dropout_keep_prob=0.5)
    assert isinstance(model, keras.Model) and model.arch == "mobilenet_v1_025" and model.image_size == 96
    assert model.build_kwargs == {"dropout_keep_prob": 0.5} and model.pretrained_cfg is None
    again = type(model).from_config(model.get_config())
    assert again.get_config() == model.get_config() and again.count_params() == model.count_params()
    assert model.preprocess(np.zeros((120, 160, 3), np.uint8)).shape == (96, 96, 3)


def test_slim_impl_exposes_raw_net():
    graph = zoo.create_model("lenet", "slim")
    assert graph.net_fn is zoo.get_spec("lenet").slim_net
    assert graph(np.zeros((2, 28, 28, 1))).shape == (2, 10)
    assert "Predictions" in graph.end_points
