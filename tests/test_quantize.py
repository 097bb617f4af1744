"""Post-training quantization of the TFLite export on LeNet trained briefly on the digits: full-integer int8 keeps
the test top-1 within 2 points of the float model's, with float or integer I/O; dynamic and float16 files run and
agree with the float model; `zoo export --quantize` reports the drift, and bad values are one line, exit 2. The ONNX
export gives the float model's probabilities under ONNX Runtime and OpenVINO."""
import numpy as np
import pytest

import zoo
from test_faults import assert_one_error, run_cli
from zoo import export, lite, quantize
from zoo.data.datasets import digits_arrays


@pytest.fixture(scope="module")
def lenet():
    """LeNet after three epochs of the digits' training split (~97% test top-1)."""
    import keras

    keras.utils.set_random_seed(0)
    model = zoo.create_model("lenet")
    images, labels = digits_arrays("train")
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(quantize.preprocessed(model, images), labels, batch_size=64, epochs=3, verbose=0)
    return model


@pytest.fixture(scope="module")
def test_digits(lenet):
    images, labels = digits_arrays("test")
    return quantize.preprocessed(lenet, images), labels


@pytest.mark.parametrize("io", ["float32", "uint8"])
def test_int8_keeps_the_test_top1_within_two_points(lenet, test_digits, tmp_path, io):
    path = export.export_tflite(lenet, str(tmp_path / "int8.tflite"), quantize="int8", io=io)
    runner = lite.interpreter(path)
    assert runner.get_input_details()[0]["dtype"].__name__ == io
    report = quantize.drift(lenet, path, *test_digits)
    print(io, report)
    assert report["float_top1"] > 0.9
    assert abs(report["exported_top1"] - report["float_top1"]) <= 0.02, report
    assert report["top1_agreement"] >= 0.97, report


@pytest.mark.parametrize("mode", ["dynamic", "float16"])
def test_dynamic_and_float16_files_run_and_agree(lenet, test_digits, tmp_path, mode):
    path = export.export_tflite(lenet, str(tmp_path / f"{mode}.tflite"), quantize=mode)
    report = quantize.drift(lenet, path, *test_digits)
    print(mode, report)
    assert report["top1_agreement"] >= 0.99 and report["max_probability_difference"] < 0.05, report
    assert abs(report["exported_top1"] - report["float_top1"]) <= 0.01, report


def test_cli_quantizes_and_reports_the_drift(capsys, tmp_path):
    code, out, err = run_cli(capsys, "export", "lenet", tmp_path / "q.tflite", "--format", "tflite",
                             "--quantize", "int8", "--io", "int8")
    assert code == 0, err
    assert "wrote tflite (int8) of lenet" in out and "on 360 test digits: top-1 agreement" in out, out
    assert lite.interpreter(str(tmp_path / "q.tflite")).get_output_details()[0]["dtype"] == np.int8


def test_a_tfrecord_dataset_is_a_representative_set(capsys, tmp_path):
    """`--representative` takes a dataset written by `zoo make-tfrecords` as well as a folder of images: the
    digits, as PNGs in class folders, through TFRecords, calibrate the int8 file and carry the drift report."""
    import tensorflow as tf

    from zoo.data.tfrecords import write_tfrecords

    images, labels = digits_arrays("test")
    images = np.round(images[:12]).astype(np.uint8)
    for i, (image, label) in enumerate(zip(images, labels[:12])):
        folder = tmp_path / "png" / str(label)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{i}.png").write_bytes(tf.io.encode_png(image).numpy())
    write_tfrecords(str(tmp_path / "png"), str(tmp_path / "records"), "train", num_shards=1)
    loaded = quantize.representative_images(str(tmp_path / "records"), 1)
    assert len(loaded) == 12 and loaded[0].shape == images[0].shape and loaded[0].dtype == np.uint8
    # the same pixels (in the dataset's order; RGB -> grey may round by one)
    assert sorted(float(i.mean()) for i in loaded) == pytest.approx(sorted(float(i.mean()) for i in images), abs=1)
    code, out, err = run_cli(capsys, "export", "lenet", tmp_path / "q.tflite", "--format", "tflite", "--quantize",
                             "int8", "--representative", tmp_path / "records")
    assert code == 0, err
    assert "TFLite against the float model on 12 representative images: top-1 agreement" in out, out


@pytest.mark.parametrize("runtime", ["onnxruntime", "openvino"])
def test_onnx_export_matches_the_keras_model(lenet, test_digits, tmp_path, runtime):
    path = export.export_onnx(lenet, str(tmp_path / "lenet.onnx"))
    report = quantize.drift(lenet, path, *test_digits, runtime=runtime)
    assert report["images"] == 360 and report["top1_agreement"] == 1.0, report
    assert report["max_probability_difference"] < 1e-5, report
    assert report["exported_top1"] == report["float_top1"] > 0.9, report


def test_cli_exports_onnx_and_reports_parity_per_runtime(capsys, tmp_path):
    code, out, err = run_cli(capsys, "export", "lenet", tmp_path / "m.onnx", "--format", "onnx")
    assert code == 0, err
    assert "wrote onnx of lenet" in out, out
    for runtime in ("onnxruntime", "openvino"):
        assert f"{runtime} against the float model on 360 test digits: top-1 agreement 100.0%" in out, out


@pytest.mark.parametrize("args, needle", [
    (["--quantize", "int4"], "--quantize 'int4' is not a quantization mode; choose one of dynamic, int8, float16"),
    (["--quantize", "dynamic", "--io", "uint8"], "--io uint8 needs full-integer quantization"),
    (["--io", "int16", "--quantize", "int8"], "--io 'int16' is not an I/O type"),
])
def test_bad_quantization_is_one_line(capsys, tmp_path, args, needle):
    code, _, err = run_cli(capsys, "export", "lenet", tmp_path / "x.tflite", "--format", "tflite", *args)
    assert_one_error(code, err, needle)
    assert not (tmp_path / "x.tflite").exists()
    code, _, err = run_cli(capsys, "export", "lenet", tmp_path / "sm", "--quantize", "int8")
    assert_one_error(code, err, "apply to --format tflite only")
