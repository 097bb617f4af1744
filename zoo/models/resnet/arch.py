"""ResNet v1 / v2 as data: units per block by depth, the registry's variants. Pure Python: no TensorFlow."""

# depth -> units per block
DEPTHS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3), 200: (3, 24, 36, 3)}
VERSIONS = ("v1", "v2")
NAMES = [f"resnet_{v}_{d}" for v in VERSIONS for d in DEPTHS]
