"""A tiny CLIP-shaped model the tests build, in vidsense's visual model layout.

No CLIP-family model ships offline and torch is not installed, so the tests write a randomly
initialised model: ONNX graphs built with ``onnx.helper`` (image: flatten + MatMul; text:
embedding Gather + masked or plain mean + MatMul) and a word-level ``tokenizers`` file. They
exercise the real loading, preprocessing, tokenising, batching and normalising code; the
vectors mean nothing (beyond a fixed random projection of a 16x16 thumbnail).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, models, pre_tokenizers, processors

SIZE = 16  # image_size
LENGTH = 8  # context_length
DIM = 12  # embed_dim
WORDS = ["[PAD]", "[UNK]", "[SOS]", "[EOS]", "a", "dog", "cat", "on", "the", "beach", "red"]


def _save(graph: onnx.GraphProto, path: Path) -> None:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # readable by any recent onnxruntime
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def _visual_graph(rng: np.random.Generator) -> onnx.GraphProto:
    weights = rng.normal(0, 0.02, (3 * SIZE * SIZE, DIM)).astype(np.float32)
    return helper.make_graph(
        [
            helper.make_node("Flatten", ["pixel_values"], ["flat"], axis=1),
            helper.make_node("MatMul", ["flat", "w"], ["image_embeds"]),
        ],
        "tiny_visual",
        [helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["n", 3, SIZE, SIZE])],
        [helper.make_tensor_value_info("image_embeds", TensorProto.FLOAT, ["n", DIM])],
        [numpy_helper.from_array(weights, "w")],
    )


def _textual_graph(rng: np.random.Generator, *, masked: bool) -> onnx.GraphProto:
    table = rng.normal(0, 1.0, (len(WORDS), 6)).astype(np.float32)
    proj = rng.normal(0, 0.5, (6, DIM)).astype(np.float32)
    inits = [numpy_helper.from_array(table, "table"), numpy_helper.from_array(proj, "proj")]
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["n", LENGTH])]
    nodes = [helper.make_node("Gather", ["table", "input_ids"], ["tokens"])]
    if masked:
        # Mean over real tokens only, as a model that takes attention_mask would pool.
        inputs.append(
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["n", LENGTH])
        )
        inits.append(numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"))
        inits.append(numpy_helper.from_array(np.array([2], dtype=np.int64), "axis2"))
        nodes += [
            helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
            helper.make_node("Unsqueeze", ["maskf", "axis2"], ["mask3"]),
            helper.make_node("Mul", ["tokens", "mask3"], ["kept"]),
            helper.make_node("ReduceSum", ["kept", "axis1"], ["total"], keepdims=0),
            helper.make_node("ReduceSum", ["mask3", "axis1"], ["count"], keepdims=0),
            helper.make_node("Div", ["total", "count"], ["pooled"]),
        ]
    else:
        nodes.append(helper.make_node("ReduceMean", ["tokens"], ["pooled"], axes=[1], keepdims=0))
    nodes.append(helper.make_node("MatMul", ["pooled", "proj"], ["text_embeds"]))
    return helper.make_graph(
        nodes,
        "tiny_textual",
        inputs,
        [helper.make_tensor_value_info("text_embeds", TensorProto.FLOAT, ["n", DIM])],
        inits,
    )


def _tokenizer() -> Tokenizer:
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[SOS] $A [EOS]", special_tokens=[("[SOS]", 2), ("[EOS]", 3)]
    )
    return tokenizer


def make_tiny_clip(folder: Path, *, masked: bool = False, seed: int = 0) -> Path:
    """Write a random CLIP-shaped model in vidsense's visual model layout."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    _save(_visual_graph(rng), folder / "visual.onnx")
    _save(_textual_graph(rng, masked=masked), folder / "textual.onnx")
    _tokenizer().save(str(folder / "tokenizer.json"))
    config = {
        "image_size": SIZE,
        "mean": [0.48145466, 0.4578275, 0.40821073],
        "std": [0.26862954, 0.26130258, 0.27577711],
        "context_length": LENGTH,
        "embed_dim": DIM,
    }
    (folder / "config.json").write_text(json.dumps(config))
    return folder
