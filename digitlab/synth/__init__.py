"""Digits and non-digits made here, for training and for benchmarks: what MNIST lacks.

- :mod:`~digitlab.synth.pendigits`: real pen digits by 44 writers (their strokes), drawn the MNIST way;
- :mod:`~digitlab.synth.styles`: digits in styles MNIST lacks (slashed 0, flagged 1, crossed 7, …);
- :mod:`~digitlab.synth.non_digits`: drawings that are no digit (scribbles, hatching, #, letters, …);
- :mod:`~digitlab.synth.stroke_digits`: hand-made stroke templates of every digit, drawn on a canvas;
- :mod:`~digitlab.synth.canvas_like`: MNIST digits redrawn as canvas strokes;
- :mod:`~digitlab.synth.photo_like`: photos of digits written on paper (light, shadow, ink, grain);
- :mod:`~digitlab.synth.file_forms`: one picture in the files phones and scanners write (EXIF-turned JPEG, 16-bit, float).

The main path (a picture → :mod:`digitlab.ink` → :mod:`digitlab.preprocess` → a model) uses
none of them; :mod:`digitlab.training_data` draws the extra training images from them.
"""
