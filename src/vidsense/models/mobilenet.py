"""MobileNetV2 as an ONNX graph, built from torchvision's ImageNet weights without torch.

:func:`build_mobilenet_v2` follows torchvision's ``MobileNetV2`` (width 1.0): a 3x3 stride-2
stem to 32 channels, seventeen inverted residual blocks (1x1 expansion unless the ratio is 1,
3x3 depthwise, 1x1 linear projection; a skip connection where stride is 1 and the channel count
stays), a 1x1 convolution to 1280 channels, global average pooling and a linear layer to the
1000 ImageNet classes. Every BatchNorm (eps 1e-5, running statistics) is folded into the
convolution before it, and ReLU6 is ``Clip(0, 6)``.

The graph takes ``image``: float32 ``[N, 3, H, W]``, RGB, already normalised with the ImageNet
mean and std (any H, W >= 32; 224 is what the weights were trained on), and returns

- ``logits``: float32 ``[N, 1000]`` (softmax gives class probabilities);
- ``embedding``: float32 ``[N, 1280]``, the pooled feature the classifier reads (not
  normalised; cosine similarity between two of them says how alike two pictures look).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vidsense.errors import ModelNotInstalled

BN_EPS = 1e-5
"""BatchNorm epsilon of torchvision's MobileNetV2."""
INVERTED_RESIDUAL_SETTING: tuple[tuple[int, int, int, int], ...] = (
    # expansion t, output channels c, repeats n, first stride s
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)
STEM_CHANNELS = 32
EMBEDDING_DIM = 1280
NUM_CLASSES = 1000
OPSET = 17
IR_VERSION = 8
"""ONNX IR version written (onnxruntime >= 1.10 reads it)."""
INPUT = "image"
OUTPUTS = ("logits", "embedding")


class _Graph:
    """Collects nodes and initializers while the network is walked."""

    def __init__(self, state: dict[str, np.ndarray]) -> None:
        self.state = state
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = 0

    def _param(self, key: str) -> np.ndarray:
        try:
            return np.asarray(self.state[key], dtype=np.float32)
        except KeyError:
            raise ModelNotInstalled(f"MobileNetV2 weights lack {key!r}") from None

    def _name(self, kind: str) -> str:
        self._count += 1
        return f"{kind}_{self._count}"

    def _constant(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def conv_bn(
        self, x: str, conv: str, bn: str, *, stride: int = 1, groups: int = 1, relu6: bool
    ) -> str:
        """``conv`` (no bias) then the BatchNorm ``bn``, folded into one Conv; then ReLU6."""
        from onnx import helper

        weight = self._param(f"{conv}.weight")
        gamma, beta = self._param(f"{bn}.weight"), self._param(f"{bn}.bias")
        mean, var = self._param(f"{bn}.running_mean"), self._param(f"{bn}.running_var")
        scale = gamma / np.sqrt(var + BN_EPS)
        folded_w = (weight * scale[:, None, None, None]).astype(np.float32)
        folded_b = (beta - mean * scale).astype(np.float32)
        name = self._name("conv")
        kernel = weight.shape[2]
        pad = (kernel - 1) // 2
        self.nodes.append(
            helper.make_node(
                "Conv",
                [x, self._constant(f"{name}.w", folded_w), self._constant(f"{name}.b", folded_b)],
                [name],
                name=name,
                kernel_shape=[kernel, kernel],
                strides=[stride, stride],
                pads=[pad, pad, pad, pad],
                group=groups,
            )
        )
        if not relu6:
            return name
        out = self._name("relu6")
        low = self._constant(f"{out}.min", np.array(0.0, dtype=np.float32))
        high = self._constant(f"{out}.max", np.array(6.0, dtype=np.float32))
        self.nodes.append(helper.make_node("Clip", [name, low, high], [out], name=out))
        return out

    def add(self, a: str, b: str) -> str:
        from onnx import helper

        out = self._name("add")
        self.nodes.append(helper.make_node("Add", [a, b], [out], name=out))
        return out


def _inverted_residual(
    g: _Graph, x: str, prefix: str, inp: int, oup: int, stride: int, t: int
) -> str:
    """torchvision's ``InvertedResidual``: parameter names follow its ``conv`` Sequential."""
    hidden = round(inp * t)
    y = x
    index = 0
    if t != 1:
        y = g.conv_bn(y, f"{prefix}.conv.0.0", f"{prefix}.conv.0.1", relu6=True)
        index = 1
    y = g.conv_bn(
        y,
        f"{prefix}.conv.{index}.0",
        f"{prefix}.conv.{index}.1",
        stride=stride,
        groups=hidden,
        relu6=True,
    )
    y = g.conv_bn(y, f"{prefix}.conv.{index + 1}", f"{prefix}.conv.{index + 2}", relu6=False)
    if stride == 1 and inp == oup:
        return g.add(x, y)
    return y


def build_mobilenet_v2(state: dict[str, np.ndarray]) -> Any:
    """The ONNX ``ModelProto`` of MobileNetV2 with the weights in ``state`` (torchvision's
    ``state_dict`` names, as :func:`vidsense.models.pth.read_state_dict` returns them).

    Raises :class:`~vidsense.errors.ModelNotInstalled` when a weight is missing or has the
    wrong shape.
    """
    import onnx
    from onnx import TensorProto, helper

    g = _Graph(state)
    x = g.conv_bn(INPUT, "features.0.0", "features.0.1", stride=2, relu6=True)
    channels = STEM_CHANNELS
    layer = 1
    for t, c, n, s in INVERTED_RESIDUAL_SETTING:
        for i in range(n):
            x = _inverted_residual(g, x, f"features.{layer}", channels, c, s if i == 0 else 1, t)
            channels = c
            layer += 1
    x = g.conv_bn(x, f"features.{layer}.0", f"features.{layer}.1", relu6=True)

    pooled = g._name("pool")
    g.nodes.append(helper.make_node("GlobalAveragePool", [x], [pooled], name=pooled))
    g.nodes.append(helper.make_node("Flatten", [pooled], [OUTPUTS[1]], name="flatten", axis=1))
    weight, bias = g._param("classifier.1.weight"), g._param("classifier.1.bias")
    if weight.shape != (NUM_CLASSES, EMBEDDING_DIM) or bias.shape != (NUM_CLASSES,):
        raise ModelNotInstalled(
            f"classifier weights are {weight.shape}, expected ({NUM_CLASSES}, {EMBEDDING_DIM})"
        )
    g.nodes.append(
        helper.make_node(
            "Gemm",
            [OUTPUTS[1], g._constant("fc.w", weight), g._constant("fc.b", bias)],
            [OUTPUTS[0]],
            name="classifier",
            transB=1,
        )
    )
    graph = helper.make_graph(
        g.nodes,
        "mobilenet_v2",
        [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [
            helper.make_tensor_value_info(OUTPUTS[0], TensorProto.FLOAT, ["N", NUM_CLASSES]),
            helper.make_tensor_value_info(OUTPUTS[1], TensorProto.FLOAT, ["N", EMBEDDING_DIM]),
        ],
        g.initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="vidsense",
        doc_string="torchvision MobileNetV2 (IMAGENET1K_V1), BatchNorm folded",
    )
    model.ir_version = IR_VERSION
    try:
        onnx.checker.check_model(model, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as e:
        raise ModelNotInstalled(f"the MobileNetV2 weights do not fit the network: {e}") from e
    return model
