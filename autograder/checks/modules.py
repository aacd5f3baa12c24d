"""Reading a network as the worker describes it (``Student.module(..., describe=True)``): a
nested dict per module, ``{"class", "torch_nn", "hparams", "params", "numel", "children"}``, with
its parameters as tensors. The checks of an exercise that returns a ``nn.Module`` judge these
descriptions; they never get the student's module object itself."""
from __future__ import annotations


def flatten(desc: dict) -> list[dict]:
    """Every submodule's description, depth first, in registration order."""
    out = []
    for c in desc.get("children", []):
        out.append(c)
        out.extend(flatten(c))
    return out


def parameters(desc: dict) -> list:
    """The network's parameters in the order ``nn.Module.parameters()`` gives them."""
    return [t for c in flatten(desc) for t in c.get("params", {}).values()]


def weights(desc: dict, classes=("Conv2d", "Linear")) -> list[tuple]:
    """(index, class, weight) of every top-level layer of ``classes``, in order."""
    return [(i, c["class"], c["params"].get("weight")) for i, c in enumerate(desc.get("children", []))
            if c["class"] in classes]


def layers_text(children: list[dict]) -> str:
    """The layers' classes, in order, as a student reads them in a message."""
    return ", ".join(c.get("class", "?") for c in children) or "(no layers)"
