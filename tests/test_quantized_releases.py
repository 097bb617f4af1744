"""Google's quantized MobileNet releases (uint8, quantization-aware trained, batch norm folded) against our
mapping: every constant of each file is a weight our slim variable set for the architecture accounts for (name
after the quantization suffixes, shape after folding and TFLite's kernel layouts), or an operand that is no weight;
and every kernel, bias and batch norm of ours has its tensor. Run by the TFLite interpreter (`zoo.lite`), each
release classifies the photographs plausibly."""
import os

import numpy as np
import pytest

import zoo
from conftest import PHOTOS, SHARED, release_photos
from zoo import lite
from zoo.checkpoints.inspect import slim_signature

PRETRAINED = os.path.join(SHARED, "pretrained")
RELEASES = {  # architecture: the release file
    "mobilenet_v2": os.path.join(PRETRAINED, "mobilenet_v2_1.0_224_quant", "mobilenet_v2_1.0_224_quant.tflite"),
    "mobilenet_v3_small": os.path.join(PRETRAINED, "mobilenet_v3_small_224_1.0_uint8",
                                       "v3-small_224_1.0_uint8.tflite"),
}
LABELS = os.path.join(PRETRAINED, "imagenet_labels_1001.txt")
pytestmark = pytest.mark.skipif(not all(map(os.path.exists, RELEASES.values())),
                                reason="../shared/pretrained's quantized releases are not present")

# Measured (both releases): chelsea and coffee are right at top-1; the rocket's classes are in the top 3 (v2: crane,
# drilling platform, missile; v3 small: pole, missile, flagpole); the astronaut has no ImageNet class (v2: beer
# bottle, v3 small: football helmet), so it is not asserted.
CATS = {"tabby", "tiger cat", "Egyptian cat"}
PLAUSIBLE_TOP1 = {"chelsea": CATS, "coffee": {"espresso", "cup"}}
PLAUSIBLE_TOP3 = {"rocket": {"missile", "projectile", "space shuttle"}}


def _slim_shapes(arch, source):
    if source == "slim graph":
        return slim_signature(arch)
    return {name: tuple(int(d) for d in v.shape)
            for name, v in zoo.slim_variables(zoo.create_model(arch, "native")).items()}


@pytest.mark.parametrize("source", ["native", "slim graph"])
@pytest.mark.parametrize("arch", sorted(RELEASES))
def test_every_weight_tensor_of_the_release_is_one_of_ours(arch, source):
    constants = lite.constant_tensors(RELEASES[arch])
    inventory = lite.account_for(constants, _slim_shapes(arch, source))
    assert not inventory.unexplained, f"tensors our {arch} does not account for: {inventory.unexplained}"
    assert not inventory.absent, f"our {arch} variables without a tensor in the release: {inventory.absent}"
    # Every constant is explained once: as weights (kernel, bias, folded batch norm) or as an operand.
    assert len(inventory.explained) + len(inventory.operands) == len(constants)
    kernels = [n for n in inventory.explained if n.endswith(lite.KERNEL_SUFFIX)]
    folded = [n for n in inventory.explained if n.endswith(lite.FOLDED_BIAS_SUFFIXES)]
    assert len(kernels) == len(folded) + sum(n.endswith(lite.BIAS_SUFFIXES) for n in inventory.explained)
    # mobilenet_v2: 52 convolutions and the logits, no scalars; v3 small: 54 kernels (9 of its 11 blocks with
    # squeeze-excite, whose hard sigmoid adds two scalars each); both: the logits' reshape target.
    expected = {"mobilenet_v2": (53, 0), "mobilenet_v3_small": (54, 18)}[arch]
    assert (len(kernels), len(inventory.operands) - 1) == expected


def test_the_inventory_fails_on_a_tensor_we_do_not_have():
    slim = slim_signature("mobilenet_v2")
    constants = dict(lite.constant_tensors(RELEASES["mobilenet_v2"]))
    constants["MobilenetV2/Extra/weights_quant/FakeQuantWithMinMaxVars"] = (8, 1, 1, 8)
    name = "MobilenetV2/Conv/weights_quant/FakeQuantWithMinMaxVars"
    constants[name] = (32, 3, 3, 4)  # a wrong input depth
    inventory = lite.account_for(constants, slim)
    assert sorted(inventory.unexplained) == ["MobilenetV2/Conv/weights_quant/FakeQuantWithMinMaxVars",
                                             "MobilenetV2/Extra/weights_quant/FakeQuantWithMinMaxVars"]
    assert inventory.absent == ["MobilenetV2/Conv/weights"]


@pytest.mark.parametrize("arch", sorted(RELEASES))
def test_the_release_classifies_the_photographs(arch):
    labels = open(LABELS).read().splitlines()
    outputs = lite.run_tflite(RELEASES[arch], release_photos())  # uint8 in: quantized with the file's own scale
    top3 = {photo: [labels[i] for i in np.argsort(-out, kind="stable")[:3]] for photo, out in zip(PHOTOS, outputs)}
    print(arch, {photo: classes[0] for photo, classes in top3.items()})
    for photo, plausible in PLAUSIBLE_TOP1.items():
        assert top3[photo][0] in plausible, (photo, top3[photo])
    for photo, plausible in PLAUSIBLE_TOP3.items():
        assert plausible & set(top3[photo]), (photo, top3[photo])


@pytest.mark.parametrize("arch", sorted(RELEASES))
def test_the_release_weights_make_a_float_model(arch, tmp_path):
    """The release's dequantized weights in our native model (`lite.release_weights`) are the same network with
    float activations: it classifies the photographs as the release does. MobileNet v2's float model, quantized
    again by our int8 export (calibrated on the four photographs only), keeps the classes it is sure of."""
    import tensorflow as tf

    from zoo import export, quantize

    model = zoo.create_model(arch)
    variables = zoo.slim_variables(model)
    weights = lite.release_weights(RELEASES[arch], {n: tuple(v.shape) for n, v in variables.items()})
    assert set(weights) == set(variables)
    for name, value in weights.items():
        variables[name].assign(value)
    photos = release_photos()
    got = tf.nn.softmax(model(photos, training=False)).numpy()
    release = lite.run_tflite(RELEASES[arch], photos)
    labels = open(LABELS).read().splitlines()
    print(arch, "float:", [labels[i] for i in got.argmax(-1)], "release:", [labels[i] for i in release.argmax(-1)])
    # The release's own verdicts where it is sure; its uint8 activations move the unsure ones (measured: v2 agrees
    # on all four; v3 small's astronaut and rocket change, a pole there and a missile here).
    for photo, plausible in PLAUSIBLE_TOP1.items():
        i = PHOTOS.index(photo)
        assert labels[got[i].argmax()] == labels[release[i].argmax()] and labels[got[i].argmax()] in plausible
    if arch != "mobilenet_v2":
        return
    path = export.export_tflite(model, str(tmp_path / "int8.tflite"), quantize="int8", representative=photos)
    report = quantize.drift(model, path, photos)
    print(arch, "int8 export:", quantize.format_drift(report, "photographs"))
    int8 = lite.run_tflite(path, photos)
    for photo, plausible in PLAUSIBLE_TOP1.items():
        assert labels[int8[PHOTOS.index(photo)].argmax()] in plausible, photo
