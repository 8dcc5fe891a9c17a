"""The PyTorch twins' side of d2gan's ``Step.only_updating``: inside ``with frozen(D):`` the
networks' parameters do not require gradients, so a generator's update back-propagates through
the critic without computing the critic's weight gradients -- what the references do
(pytorch-CycleGAN-and-pix2pix's ``set_requires_grad(netD, False)``, the phases of
stylegan2-ada-pytorch) and what d2gan's steps do, so both frameworks do the same work. A
parameter that did not require gradients before is left that way."""
import contextlib


@contextlib.contextmanager
def frozen(*nets):
    params = [p for net in nets for p in net.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)
