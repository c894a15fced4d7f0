"""LUAB trainer: classifiers that learn from annotation byproducts (ICCV 2023, "Neglected Free Lunch").

Layout follows timm/DeiT: ``byproducts/`` reads ImageNet-AB and COCO-AB, ``data/`` builds datasets and point-aware
transforms, ``models/`` holds the backbone registry and the point head, ``losses.py`` the LUAB objective,
``engine.py`` one epoch of training and the evaluation, ``train.py`` the entry point, ``export.py`` the ONNX +
config.json export into the server's model repository.
"""

__version__ = "0.1.0"
