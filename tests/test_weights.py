"""weights_manifest.json and pretrained loading: schema, registry agreement, and the download cache against a
local HTTP server (truncated download, hash mismatch, malicious tar members)."""
import copy
import hashlib
import io
import json
import os
import tarfile

import numpy as np
import pytest

import zoo
from conftest import ROOT, random_images
from zoo import preprocessing, weights
from zoo.weights import DownloadError, HashMismatchError, ManifestError, UnsafeArchiveError

MANIFEST = os.path.join(ROOT, "weights_manifest.json")


def _manifest():
    with open(MANIFEST) as f:
        return json.load(f)


def test_manifest_validates_and_covers_every_implemented_architecture():
    document = weights.manifest.validate(_manifest(), MANIFEST)
    by_arch = {}
    for entry in document["weights"]:
        by_arch.setdefault(entry["architecture"], []).append(entry)
    # every registered ImageNet architecture has exactly one default published weight set, or none published
    unpublished = document.get("unpublished", {})
    for name in zoo.list_models():
        if zoo.get_spec(name).num_classes >= 1000 and name not in unpublished:
            assert sum(e["default"] for e in by_arch[name]) == 1, name
    assert sorted(unpublished) == sorted(set(unpublished) & set(zoo.list_models()) - set(by_arch))
    for arch, group in by_arch.items():
        implemented = arch in zoo.list_models()
        for entry in group:
            assert entry["implemented"] == implemented, entry["name"]
            if not implemented:
                continue
            spec = zoo.get_spec(arch)
            assert entry["num_classes"] == spec.num_classes and entry["labels_offset"] == spec.num_classes - 1000
            assert entry["parameters"] == spec.num_params
            assert entry["preprocessing"]["name"] == spec.preprocessing
            published = entry["published"].get("params_millions")
            if published:  # the publisher's count (trainable only) vs ours (with batch-norm statistics)
                assert abs(spec.num_params / 1e6 / published - 1) < 0.03, entry["name"]
    for name in zoo.list_models():  # `ModelSpec.pretrained`: Google published weights, which the manifest lists
        assert (name in by_arch) == zoo.get_spec(name).pretrained, name
    assert len(by_arch["mobilenet_v1_025"]) == 4 and len(by_arch["mobilenet_v1"]) == 4


@pytest.mark.parametrize("name", ["inception", "vgg"])
def test_manifest_mean_std_describe_the_preprocessing_functions(name):
    """A flat image of value v must become (v - mean) / std, as the entry states."""
    entry = next(e for e in _manifest()["weights"] if e["preprocessing"]["name"] == name)
    pre = entry["preprocessing"]
    image = np.full((300, 260, 3), [200, 100, 30], np.uint8)
    out = preprocessing.preprocess(name, image, 64).numpy()
    expected = (np.array([200, 100, 30]) - np.array(pre["mean"])) / np.array(pre["std"])
    np.testing.assert_allclose(out[32, 32], expected, rtol=0, atol=1e-4)


def test_a_broken_manifest_is_named_precisely(tmp_path, monkeypatch):
    document = _manifest()
    document["weights"][0]["input_size"] = "224"
    path = tmp_path / "m.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ManifestError, match=r"weights/0/input_size"):
        weights.manifest.validate(json.loads(path.read_text()), str(path))
    document["weights"][0]["input_size"] = 224
    document["weights"].append(copy.deepcopy(document["weights"][0]))
    with pytest.raises(ManifestError, match="duplicated"):
        weights.manifest.validate(document)


@pytest.fixture
def unimplemented_manifest(tmp_path, monkeypatch):
    """The manifest plus a published architecture the zoo does not implement (every one in it is, now), as
    $ZOO_MANIFEST."""
    document = _manifest()
    entry = copy.deepcopy(document["weights"][0])
    entry.update(name="amoebanet_a.imagenet", architecture="amoebanet_a", implemented=False, parameters=None)
    document["weights"].append(entry)
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(document))
    monkeypatch.setenv("ZOO_MANIFEST", str(path))
    return str(path)


def test_unknown_tags_and_unimplemented_architectures_are_explained(unimplemented_manifest):
    with pytest.raises(ManifestError, match="imagenet_224"):
        weights.resolve("mobilenet_v1_025", "imagenet_999")
    with pytest.raises(ManifestError, match="No published weights for 'lenet'"):
        weights.resolve("lenet")
    assert weights.resolve("mobilenet_v1_025")["input_size"] == 224
    with pytest.raises(ManifestError, match="No published weights for 'vgg_a' .*published no checkpoint"):
        weights.resolve("vgg_a")
    assert "amoebanet_a.imagenet" in weights.list_pretrained(implemented_only=False)
    assert "amoebanet_a.imagenet" not in zoo.list_pretrained()


# ---- a local server and a generated release ----------------------------------------------------------

def _tarball(members):
    """bytes of a .tar.gz holding {name: bytes} (or TarInfo for special members)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            if isinstance(data, tarfile.TarInfo):
                archive.addfile(data)
            else:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """A LeNet 'release': a TF1 checkpoint of a model with random weights, tarred as the slim releases are."""
    source = zoo.create_model("lenet")
    directory = tmp_path_factory.mktemp("release")
    zoo.save_checkpoint(source, str(directory / "lenet.ckpt"))
    members = {f"./{p.name}": p.read_bytes() for p in directory.iterdir() if p.name.startswith("lenet.ckpt")}
    images = random_images("lenet")
    return {"tarball": _tarball(members), "logits": source(images).numpy(), "images": images}


def _entry(url, sha256, name="lenet.test"):
    return {"name": name, "architecture": "lenet", "implemented": True, "default": True, "url": url,
            "checkpoint": "lenet.ckpt", "sha256": sha256, "num_classes": 10, "labels_offset": 0, "input_size": 28,
            "preprocessing": {"name": "lenet", "crop_fraction": None, "resize_side": None,
                              "interpolation": "bilinear", "mean": [128.0], "std": [128.0]},
            "published": {"top1": None, "top5": None}, "parameters": zoo.get_spec("lenet").num_params,
            "license": "Apache-2.0", "origin": "generated by tests"}


@pytest.fixture
def registered():
    names = []

    def register(entry):
        weights.register_weights(entry)
        names.append(entry["name"])
        return entry

    yield register
    for name in names:
        weights.unregister_weights(name)


def _cache_files(home):
    return sorted(str(p.relative_to(home)) for p in home.rglob("*")) if home.exists() else []


@pytest.mark.parametrize("impl", ["native", "shim", "slim"])
def test_pretrained_downloads_verifies_caches_and_loads(impl, release, server, home, registered):
    server.files["/lenet_test.tar.gz"] = release["tarball"]
    registered(_entry(server.url("/lenet_test.tar.gz"), hashlib.sha256(release["tarball"]).hexdigest()))
    model = zoo.create_model("lenet", impl, pretrained="test")
    np.testing.assert_allclose(np.asarray(model(release["images"])), release["logits"], rtol=1e-5, atol=1e-5)
    assert model.load_report.ok and model.pretrained_cfg["name"] == "lenet.test"
    again = zoo.create_model("lenet.test", impl)  # the name.tag form; served from the cache
    np.testing.assert_allclose(np.asarray(again(release["images"])), release["logits"], rtol=1e-5, atol=1e-5)
    assert server.requests == ["/lenet_test.tar.gz"]
    assert not [f for f in _cache_files(home) if f.endswith((".part", ".extracting", ".tmp"))]
    digits = np.random.RandomState(0).randint(0, 255, (40, 30, 3), np.uint8)
    np.testing.assert_allclose(model.preprocess(digits), preprocessing.preprocess("lenet", digits, 28), atol=0)


def test_a_corrupted_cached_tarball_is_downloaded_again(release, server, home, registered):
    server.files["/t.tar.gz"] = release["tarball"]
    registered(_entry(server.url("/t.tar.gz"), hashlib.sha256(release["tarball"]).hexdigest()))
    zoo.create_model("lenet", pretrained=True)
    (home / "downloads" / "t.tar.gz").write_bytes(b"garbage")
    model = zoo.create_model("lenet", pretrained=True)
    np.testing.assert_allclose(model(release["images"]).numpy(), release["logits"], rtol=1e-5, atol=1e-5)
    assert len(server.requests) == 2


def test_a_truncated_download_leaves_nothing(release, server, home, registered):
    server.files["/t.tar.gz"] = release["tarball"]
    server.truncate.add("/t.tar.gz")
    registered(_entry(server.url("/t.tar.gz"), None))
    with pytest.raises(DownloadError, match="(truncated|broke off)"):
        zoo.create_model("lenet", pretrained=True)
    assert [f for f in _cache_files(home) if "t.tar.gz" in f or "lenet.test" in f] == []


def test_a_hash_mismatch_leaves_nothing(release, server, home, registered):
    server.files["/t.tar.gz"] = release["tarball"]
    registered(_entry(server.url("/t.tar.gz"), "0" * 64))
    with pytest.raises(HashMismatchError, match="0{64}"):
        zoo.create_model("lenet", pretrained=True)
    assert [f for f in _cache_files(home) if "t.tar.gz" in f or "lenet.test" in f] == []


def test_a_missing_file_on_the_server_is_a_clear_error(server, home, registered):
    registered(_entry(server.url("/nothing.tar.gz"), None))
    with pytest.raises(DownloadError, match="404"):
        zoo.create_model("lenet", pretrained=True)


def _link(name, target, kind):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


@pytest.mark.parametrize("member", [
    {"../evil.txt": b"x"},
    {"/tmp/evil.txt": b"x"},
    {"./ok/../../evil.txt": b"x"},
    {"./link": _link("./link", "/etc/passwd", tarfile.SYMTYPE)},
    {"./hard": _link("./hard", "/etc/passwd", tarfile.LNKTYPE)},
], ids=["dotdot", "absolute", "nested-dotdot", "symlink", "hardlink"])
def test_malicious_tar_members_are_refused(member, release, server, home, registered, tmp_path):
    members = {"./lenet.ckpt.index": b"", **member}
    body = _tarball(members)
    server.files["/evil.tar.gz"] = body
    registered(_entry(server.url("/evil.tar.gz"), hashlib.sha256(body).hexdigest()))
    with pytest.raises(UnsafeArchiveError, match="refusing"):
        zoo.create_model("lenet", pretrained=True)
    assert not (home / "weights" / "lenet.test").exists()
    assert not (home / "evil.txt").exists() and not (home / "weights" / "evil.txt").exists()
    assert not [f for f in _cache_files(home) if f.endswith(".extracting")]


def test_offline_from_a_local_tarball_a_directory_or_a_prefix(release, home, tmp_path):
    tarball = tmp_path / "lenet_release.tar.gz"
    tarball.write_bytes(release["tarball"])
    for pretrained in [str(tarball)]:
        model = zoo.create_model("lenet", pretrained=pretrained)
        np.testing.assert_allclose(model(release["images"]).numpy(), release["logits"], rtol=1e-5, atol=1e-5)
    unpacked = next((home / "weights").iterdir())
    for pretrained in [str(unpacked), str(unpacked / "lenet.ckpt")]:
        model = zoo.create_model("lenet", pretrained=pretrained)
        np.testing.assert_allclose(model(release["images"]).numpy(), release["logits"], rtol=1e-5, atol=1e-5)
    with pytest.raises(FileNotFoundError, match="no such file"):
        zoo.create_model("lenet", pretrained=str(tmp_path / "missing" / "x.ckpt"))
    with pytest.raises(ValueError, match="one of"):
        zoo.create_model("lenet", pretrained=str(tarball), checkpoint=str(unpacked))


def test_a_different_num_classes_keeps_the_backbone_and_reinitialises_the_head(release, server, home, registered):
    server.files["/t.tar.gz"] = release["tarball"]
    registered(_entry(server.url("/t.tar.gz"), None))
    model = zoo.create_model("lenet", pretrained=True, num_classes=3)
    assert model.output_shape[-1] == 3 and model.load_report.head
    source = zoo.read_weights(zoo.create_model("lenet", pretrained=True))
    mine = zoo.read_weights(model)
    np.testing.assert_array_equal(mine["LeNet/conv1/weights"], source["LeNet/conv1/weights"])


def test_cli_lists_weights_and_exports_from_a_local_tarball(release, tmp_path, unimplemented_manifest):
    import subprocess
    import sys

    env = dict(os.environ, ZOO_HOME=str(tmp_path / "home"))  # $ZOO_MANIFEST set by the fixture
    listing = subprocess.run([sys.executable, "-m", "zoo", "pretrained", "--all"], capture_output=True, text=True,
                             env=env, cwd=ROOT, check=True).stdout
    assert "mobilenet_v1_025.imagenet_224" in listing and "amoebanet_a.imagenet" in listing
    assert "not implemented" in listing
    tarball = tmp_path / "lenet.tar.gz"
    tarball.write_bytes(release["tarball"])
    out = tmp_path / "lenet.tflite"
    run = subprocess.run([sys.executable, "-m", "zoo", "export", "lenet", str(out), "--format", "tflite",
                          "--pretrained", str(tarball)], capture_output=True, text=True, env=env, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    from zoo.export import run_tflite

    probabilities = run_tflite(str(out), release["images"])
    np.testing.assert_allclose(probabilities, tf_softmax(release["logits"]), rtol=0, atol=1e-5)
    bad = subprocess.run([sys.executable, "-m", "zoo", "export", "lenet", str(out) + "2", "--pretrained", "nope"],
                         capture_output=True, text=True, env=env, cwd=ROOT)
    assert bad.returncode == 2 and "No published weights for 'lenet'" in bad.stderr


def tf_softmax(logits):
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_download_shows_progress_and_records_the_hash(release, server, tmp_path, capfd):
    from zoo.weights.cache import download, verified

    server.files["/p.tar.gz"] = release["tarball"]
    dest = tmp_path / "d" / "p.tar.gz"
    got = download(server.url("/p.tar.gz"), str(dest), sha256=None, progress=True)
    assert got == hashlib.sha256(release["tarball"]).hexdigest() == (tmp_path / "d" / "p.tar.gz.sha256").read_text().strip()
    err = capfd.readouterr().err
    assert "Downloading p.tar.gz" in err and "100.0%" in err
    dest.write_bytes(release["tarball"][:-1] + b"x")  # changed after download: the recorded hash catches it
    assert not verified(str(dest))
