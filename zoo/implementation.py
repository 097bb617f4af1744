"""The one interface every implementation offers (slim graph, shim, native on either Keras), so that `zoo.api`
dispatches and loads without knowing which it has:

- `arch`, `image_size`, `pretrained_cfg` (the manifest entry of its weights, or None), `load_report` (the
  `LoadReport` of the weights `create_model` loaded, or None);
- `slim_mapping`: the `SlimMapping` whose head scopes `load_checkpoint` re-initialises (a model outside the registry,
  e.g. a migrated one, may offer its own);
- `slim_variables()` {slim name: variable}, `assign({slim name: array})`, `read_weights()` {slim name: array};
- `preprocess(image)`: one uint8 HWC image -> the model's input (the weights' published preprocessing).

`SlimNamed` implements the shared members; the slim graph, the shim and `NativeModel` (a Keras class per Keras)
derive from it.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from zoo.registry import get_spec
from zoo.slim_names import SlimMapping


class SlimNamed:
    """The interface's shared members; a subclass sets `arch`, `image_size` and defines `slim_variables`."""
    arch: str
    image_size: int
    pretrained_cfg: Optional[dict] = None
    load_report: Any = None

    def slim_variables(self) -> Dict[str, Any]:
        raise NotImplementedError

    @property
    def slim_mapping(self) -> SlimMapping:
        return get_spec(self.arch).mapping

    def assign(self, values: Dict[str, Any]) -> None:
        """Set variables from {slim_name: array}."""
        variables = self.slim_variables()
        for name, value in values.items():
            variables[name].assign(value)

    def read_weights(self) -> Dict[str, np.ndarray]:
        """{slim_name: numpy array} of every variable."""
        return {name: np.array(v.numpy()) for name, v in self.slim_variables().items()}

    def preprocess(self, image: Any) -> Any:
        """One uint8 HWC image -> this model's input (the weights' published preprocessing), as TF ops."""
        from zoo import preprocessing

        name = preprocessing.preprocessing_for(get_spec(self.arch), self.pretrained_cfg)
        return preprocessing.preprocess(name, image, image_size=self.image_size)

