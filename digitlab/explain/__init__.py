"""See inside the network: what each layer makes of a drawing, which pixels decided, what would change its mind.

- :mod:`.network`: :class:`Network`, a model opened up once (every layer's
  output, gradients, all traced with ``tf.function``);
- :mod:`.saliency`: saliency maps (integrated gradients, occlusion, Grad-CAM)
  and the deletion test that measures how faithful they are;
- :mod:`.corruptions`: rotate, shift, thicken, thin, erase a 28x28 digit;
- :mod:`.counterfactual`: the smallest change of ink that makes it read another digit;
- :mod:`.pictures`: signed maps, feature maps and units drawn as images;
- ``python -m digitlab.explain``: the command-line tool (see :mod:`.__main__`).

No Streamlit here: the Draw page's inside view (``ui/inside.py``) only arranges these.
"""

from digitlab.explain.network import LayerInfo, Network

# The saliency the page shows and the CLI writes: the method whose most salient pixels, taken
# away, hurt the answer most on the deletion test (benchmarks/saliency_faithfulness.py, README).
SALIENCY_METHOD = "integrated-gradients"

__all__ = ["SALIENCY_METHOD", "LayerInfo", "Network"]
