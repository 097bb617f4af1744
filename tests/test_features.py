"""Feature extraction on native models, checked against the slim graph's own end points."""
import numpy as np
import pytest

import zoo
from conftest import assert_close_to_scale, random_images
from zoo.features import end_points_model, reset_classifier


@pytest.mark.parametrize("arch,size,end_points", [
    ("resnet_v1_50", 64, ["resnet_v1_50/block1", "resnet_v1_50/block3", "resnet_v1_50/block4"]),
    ("resnet_v2_50", 64, ["resnet_v2_50/block2", "resnet_v2_50/block4/unit_3/bottleneck_v2"]),
    ("mobilenet_v1_025", 64, ["Conv2d_3_pointwise", "Conv2d_13_pointwise"]),
    ("vgg_16", 224, ["vgg_16/conv5/conv5_3", "vgg_16/pool4"]),
    ("inception_v3", 160, ["Mixed_6e", "Mixed_7c", "AuxLogits"]),
    ("inception_v1", 224, ["Mixed_4f", "Mixed_5c"]),
])
def test_end_points_match_slim(arch, size, end_points, tf1_checkpoints):
    prefix, graph = tf1_checkpoints(arch, image_size=size)
    native = zoo.create_model(arch, checkpoint=prefix, image_size=size)
    features = end_points_model(native, end_points)
    images = random_images(arch, batch=2, image_size=size)
    ours = features(images)
    expected = graph.session.run({ep: graph.end_points[ep] for ep in end_points}, {graph.images: images})
    for ep in end_points:
        assert_close_to_scale(np.asarray(ours[ep]), expected[ep], rtol=1e-5, err_msg=ep)


@pytest.mark.parametrize("pooling,shape", [(None, (2, 2, 2, 2048)), ("avg", (2, 2048)), ("max", (2, 2048))])
def test_include_top_false_with_pooling(pooling, shape, tf1_checkpoints):
    prefix, graph = tf1_checkpoints("resnet_v1_50", image_size=64)
    model = zoo.create_model("resnet_v1_50", checkpoint=prefix, image_size=64, include_top=False, pooling=pooling)
    images = random_images("resnet_v1_50", batch=2, image_size=64)
    out = np.asarray(model(images))
    assert out.shape == shape and isinstance(model, zoo.NativeModel)
    block4 = graph.session.run(graph.end_points["resnet_v1_50/block4"], {graph.images: images})
    reference = {None: block4, "avg": block4.mean((1, 2)), "max": block4.max((1, 2))}[pooling]
    assert_close_to_scale(out, reference, rtol=1e-5)
    # the head is not part of a headless model; its checkpoint keys are reported as an excluded scope
    assert model.load_report.unexpected == {"resnet_v1_50/logits/biases": "excluded scope",
                                            "resnet_v1_50/logits/weights": "excluded scope"}
    config = model.get_config()
    assert (config["include_top"], config["pooling"]) == (False, pooling)


@pytest.mark.parametrize("keras", ["keras", "tf_keras"])
def test_reset_classifier_keeps_the_backbone(keras, tf1_checkpoints):
    prefix, graph = tf1_checkpoints("mobilenet_v1_025", image_size=64)
    model = zoo.create_model("mobilenet_v1_025", checkpoint=prefix, image_size=64, keras=keras)
    fresh = reset_classifier(model, 5)
    assert type(fresh) is type(model) and fresh.get_config()["num_classes"] == 5
    images = random_images("mobilenet_v1_025", batch=2, image_size=64)
    assert fresh(images).shape == (2, 5)
    old, new = zoo.read_weights(model), zoo.read_weights(fresh)
    assert new["MobilenetV1/Logits/Conv2d_1c_1x1/weights"].shape == (1, 1, 256, 5)
    for name, value in old.items():
        if "Logits" not in name:
            np.testing.assert_array_equal(new[name], value)


def test_bad_end_point_and_pooling():
    model = zoo.create_model("lenet")
    with pytest.raises(ValueError, match=r"No end point 'conv9' in LeNet; top-level scopes: \['Flatten', 'Logits', 'conv1'"):
        end_points_model(model, ["conv9"])
    with pytest.raises(ValueError, match="pooling='mean'; choose None, 'avg' or 'max'"):
        zoo.create_model("lenet", include_top=False, pooling="mean")
    with pytest.raises(ValueError, match="for impl='native'"):
        zoo.create_model("lenet", "shim", include_top=False)
