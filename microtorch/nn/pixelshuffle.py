"""PixelShuffle and PixelUnshuffle: channels to blocks of pixels and back."""
from microtorch.nn import functional as F
from microtorch.nn.module import Module

__all__ = ["PixelShuffle", "PixelUnshuffle"]


class PixelShuffle(Module):
    """Each group of r^2 channels becomes an r x r block of pixels, as torch.nn.PixelShuffle.

    Parameters
    ----------
    upscale_factor : int
        r.

    Shape
    -----
    Input (*, C r^2, H, W); output (*, C, H r, W r).
    """

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return F.pixel_shuffle(x, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """Each r x r block of pixels becomes r^2 channels: the inverse of PixelShuffle, as torch.nn.PixelUnshuffle.

    Parameters
    ----------
    downscale_factor : int
        r.

    Shape
    -----
    Input (*, C, H r, W r); output (*, C r^2, H, W).
    """

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, x):
        return F.pixel_unshuffle(x, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"
