"""Read a PyTorch checkpoint (``.pth``) into numpy arrays, without torch.

A checkpoint is a pickled ``state_dict`` whose tensors point at raw storages kept outside the
pickle. Two layouts exist:

- the legacy one (torch < 1.6, e.g. torchvision's ``mobilenet_v2-b0353104.pth``): four pickles
  in a row (magic number, protocol version, system info, the state dict), a pickled list of
  storage keys, then each storage as an int64 element count followed by its raw bytes;
- the zip one (torch >= 1.6): ``<name>/data.pkl`` plus one ``<name>/data/<key>`` file per storage.

Only what a ``state_dict`` of plain tensors needs is understood: ``OrderedDict``,
``torch._utils._rebuild_tensor_v2`` and the typed storage classes. Any other global in the
pickle is refused (:class:`~vidsense.errors.ModelNotInstalled`), so a checkpoint can never run
code while it is read.
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from vidsense.errors import ModelNotInstalled

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
"""The number a legacy checkpoint starts with."""

STORAGE_DTYPES: dict[str, np.dtype[Any]] = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}
"""torch storage class names and the little-endian numpy dtypes of their elements."""


@dataclass(frozen=True)
class _StorageType:
    dtype: np.dtype[Any]


@dataclass
class _Storage:
    """A storage named in the pickle; ``data`` is filled once its bytes are read."""

    dtype: np.dtype[Any]
    numel: int
    data: np.ndarray | None = None


@dataclass(frozen=True)
class _TensorRef:
    storage: _Storage
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]

    def materialise(self) -> np.ndarray:
        data = self.storage.data
        if data is None:
            raise ModelNotInstalled("checkpoint names a storage whose bytes are missing")
        itemsize = data.dtype.itemsize
        if not self.size:
            return np.array(data[self.offset])
        view = np.lib.stride_tricks.as_strided(
            data[self.offset :],
            shape=self.size,
            strides=tuple(s * itemsize for s in self.stride),
            writeable=False,
        )
        return np.array(view)  # a compact copy, independent of the storage


def _rebuild_tensor_v2(
    storage: _Storage,
    storage_offset: int,
    size: tuple[int, ...],
    stride: tuple[int, ...],
    requires_grad: bool = False,
    backward_hooks: object = None,
    metadata: object = None,
) -> _TensorRef:
    return _TensorRef(storage, int(storage_offset), tuple(size), tuple(stride))


_ALLOWED: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    **{("torch", name): _StorageType(dtype) for name, dtype in STORAGE_DTYPES.items()},
}


class _Unpickler(pickle.Unpickler):
    """Maps the few globals a state dict uses; storages resolve through ``storage_for``."""

    def __init__(self, file: BinaryIO, storage_for: Callable[[tuple[Any, ...]], _Storage]) -> None:
        super().__init__(file)
        self._storage_for = storage_for

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise ModelNotInstalled(
                f"checkpoint refers to {module}.{name}, which a plain state dict never does"
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        if not isinstance(pid, tuple) or not pid or pid[0] != "storage":
            raise ModelNotInstalled(f"checkpoint holds an unknown persistent object {pid!r}")
        return self._storage_for(pid)


def _storage_type(pid: tuple[Any, ...]) -> _StorageType:
    kind = pid[1]
    if not isinstance(kind, _StorageType):
        raise ModelNotInstalled(f"checkpoint storage of unknown type {kind!r}")
    return kind


def _tensors(obj: Any) -> dict[str, np.ndarray]:
    if not isinstance(obj, dict):
        raise ModelNotInstalled(f"checkpoint holds a {type(obj).__name__}, not a state dict")
    state: dict[str, np.ndarray] = {}
    for key, value in obj.items():
        if isinstance(value, _TensorRef):
            state[str(key)] = value.materialise()
    return state


def _read_legacy(f: BinaryIO) -> dict[str, np.ndarray]:
    storages: dict[str, _Storage] = {}

    def storage_for(pid: tuple[Any, ...]) -> _Storage:
        # ("storage", type, key, location, numel, view_metadata)
        key = str(pid[2])
        if key not in storages:
            storages[key] = _Storage(_storage_type(pid).dtype, int(pid[4]))
        return storages[key]

    def no_storage(pid: tuple[Any, ...]) -> _Storage:
        raise ModelNotInstalled("checkpoint header names a storage")

    if _Unpickler(f, no_storage).load() != LEGACY_MAGIC:
        raise ModelNotInstalled("not a PyTorch checkpoint (wrong magic number)")
    version = _Unpickler(f, no_storage).load()
    if version != 1001:
        raise ModelNotInstalled(f"unsupported legacy checkpoint protocol {version}")
    info = _Unpickler(f, no_storage).load()
    if not isinstance(info, dict) or not info.get("little_endian", True):
        raise ModelNotInstalled("big-endian checkpoints are not supported")
    result = _Unpickler(f, storage_for).load()
    keys = _Unpickler(f, no_storage).load()
    for key in keys:
        storage = storages[str(key)]
        (count,) = struct.unpack("<q", f.read(8))
        raw = f.read(count * storage.dtype.itemsize)
        if len(raw) != count * storage.dtype.itemsize:
            raise ModelNotInstalled("checkpoint ends inside a storage (truncated file)")
        storage.data = np.frombuffer(raw, dtype=storage.dtype)
    return _tensors(result)


def _read_zip(archive: zipfile.ZipFile) -> dict[str, np.ndarray]:
    pickles = [n for n in archive.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
    if len(pickles) != 1:
        raise ModelNotInstalled("zip checkpoint without exactly one data.pkl")
    prefix = pickles[0][: -len("data.pkl")]
    storages: dict[str, _Storage] = {}

    def storage_for(pid: tuple[Any, ...]) -> _Storage:
        # ("storage", type, key, location, numel)
        key = str(pid[2])
        if key not in storages:
            dtype = _storage_type(pid).dtype
            raw = archive.read(f"{prefix}data/{key}")
            storages[key] = _Storage(dtype, int(pid[4]), np.frombuffer(raw, dtype=dtype))
        return storages[key]

    with archive.open(pickles[0]) as f:
        result = _Unpickler(io.BytesIO(f.read()), storage_for).load()
    return _tensors(result)


def read_state_dict(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a checkpoint's state dict, by parameter name, as numpy arrays.

    Raises :class:`~vidsense.errors.ModelNotInstalled` for a file that is not a plain state
    dict checkpoint (or that asks for anything but tensors while unpickling).
    """
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                return _read_zip(archive)
        with path.open("rb") as f:
            return _read_legacy(f)
    except (pickle.UnpicklingError, EOFError, KeyError, struct.error, ValueError) as e:
        raise ModelNotInstalled(f"cannot read the checkpoint {path}: {e}") from e
