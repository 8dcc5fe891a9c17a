"""gluon-cv's ImageNet network definitions, loaded without its package checks, and the
ImageNet normalisation their weights expect.

Used by the metrics (Inception-v3 features) and the perceptual loss (VGG-19); the weights are
always read from local files by the callers.
"""
import importlib
import importlib.util
import os

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def gluoncv_model_module(name):
    """gluon-cv's ``gluoncv.model_zoo.<name>`` module (e.g. ``'inception'``, ``'vgg'``).

    gluon-cv 0.10's ``__init__`` refuses to import when PyTorch >= 2 is installed next to it
    (its version check raises ``RuntimeError``); the network definitions themselves only need
    MXNet, so in that case the file ``model_zoo/<name>.py`` is loaded directly.
    """
    try:
        return importlib.import_module(f'gluoncv.model_zoo.{name}')
    except RuntimeError:
        spec = importlib.util.find_spec('gluoncv')
        if spec is None or not spec.submodule_search_locations:
            raise
        path = os.path.join(list(spec.submodule_search_locations)[0], 'model_zoo',
                            f'{name}.py')
        module_spec = importlib.util.spec_from_file_location(f'd2gan_gluoncv_{name}', path)
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        return module
