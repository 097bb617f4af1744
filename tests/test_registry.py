import numpy as np
import pytest

import zoo


def test_list_models():
    assert {"lenet", "cifarnet"} <= set(zoo.list_models())
    assert zoo.list_models("le*") == ["lenet"]
    assert zoo.list_models("nothing*") == []


def test_unknown_name_and_impl_list_what_exists():
    with pytest.raises(ValueError, match=r"Unknown model 'lenet5'.*'cifarnet'.*'lenet'"):
        zoo.create_model("lenet5")
    with pytest.raises(ValueError, match=r"Unknown impl 'keras'.*'native', 'shim', 'slim'"):
        zoo.create_model("lenet", impl="keras")


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
    assert zoo.create_model(arch, "native").count_params() == counted
    assert spec.image_size == spec.slim_net.default_image_size
    assert spec.preprocessing in PREPROCESSING and spec.feature_scope


@pytest.mark.parametrize("impl", ["native", "shim"])
def test_custom_classes_and_feature_output(impl):
    logits = zoo.create_model("lenet", impl, num_classes=3)(np.zeros((2, 28, 28, 1), np.float32))
    assert logits.shape == (2, 3)
    features = zoo.create_model("cifarnet", impl, num_classes=0)(np.zeros((2, 32, 32, 3), np.float32))
    assert features.shape == (2, 192)


def test_slim_impl_exposes_raw_net():
    graph = zoo.create_model("lenet", "slim")
    assert graph.net_fn is zoo.get_spec("lenet").slim_net
    assert graph(np.zeros((2, 28, 28, 1))).shape == (2, 10)
    assert "Predictions" in graph.end_points
