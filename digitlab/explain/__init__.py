"""See inside the network: what each layer makes of a drawing, which pixels decided, what would change its mind.

- :mod:`.network`: :class:`Network`, a model opened up once (every layer's
  output, gradients, all traced with ``tf.function``);
- :mod:`.saliency`: saliency maps (integrated gradients, SmoothGrad, occlusion, Grad-CAM)
  and the deletion test that measures how faithful they are;
- :mod:`.corruptions`: rotate, shift, thicken, thin, erase a 28x28 digit;
- :mod:`.counterfactual`: the smallest change of ink that makes it read another digit;
- :mod:`.pictures`: signed maps, feature maps and units drawn as images;
- ``python -m digitlab.explain``: the command-line tool (see :mod:`.__main__`).

No Streamlit here: the Draw page's inside view (``ui/inside.py``) only arranges these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digitlab.explain.network import LayerInfo, Network

# The saliency the page shows and the CLI writes: the method whose most salient pixels, taken
# away, hurt the answer most on the deletion test (benchmarks/saliency_faithfulness.py, README:
# mean fall 0.792 over MNIST and drawn digits for the shipped CNN, 0.875 for a seed-003 MLP; the
# best of the others 0.791 and 0.866, so the top four are within the test's noise, and of those
# its maps are the least speckled).
SALIENCY_METHOD = "smoothgrad-x-input"

__all__ = ["SALIENCY_METHOD", "LayerInfo", "Network"]


def __getattr__(name: str):
    # Network imports TensorFlow (seconds): `python -m digitlab.explain` imports this package first,
    # and its wrong --out or --model must be said before TensorFlow starts.
    if name in ("LayerInfo", "Network"):
        from digitlab.explain import network

        return getattr(network, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
