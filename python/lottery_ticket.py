"""Load a `lottery` ticket in Python: regenerate its kept random weights and run it, with numpy or as a torch module.

A ticket file (written by `lottery prune`) holds masks and metadata only; every kept weight is regenerated here
from (seed, stream, index) exactly as docs/random-streams.md and docs/ticket-format.md specify, so the network
you get is bit-for-bit the one `lottery verify` ran. One file, numpy required, torch optional:

    from lottery_ticket import load_ticket, ticket_info
    ticket = load_ticket("fc2.ticket.safetensors")   # checks the file's checksum and the kept weights' checksum
    logits = ticket.forward(x)                        # numpy, float64, x of shape [batch, *input_shape]
    module = ticket.to_torch()                        # torch.nn.Module computing the same function
    print(ticket_info("fc2.ticket.safetensors"))      # the metadata (seed, n per layer, certificate, ...)

A damaged, altered or foreign file raises TicketError; it never yields a wrong network.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

__all__ = ["TicketError", "Ticket", "Stage", "load_ticket", "ticket_info", "read_safetensors", "write_safetensors", "named_stream",
           "threefry2x32", "sample", "SUPPORTED_CONSTRUCTIONS"]

TICKET_FORMAT = "lottery-ticket"
TICKET_FORMAT_VERSION = "1"
TICKET_GENERATOR = "threefry2x32-20"
#: Constructions this loader can rebuild (the `construction` metadata key).
SUPPORTED_CONSTRUCTIONS = ("pensia2020-theorem1", "burkholz2022-depth-l+1")
CHECKSUM_KEY = "payload_sha256"


class TicketError(ValueError):
    """The file is not a ticket this loader can rebuild exactly (damaged, altered, foreign or newer)."""


# ───────────────────────────── random streams (docs/random-streams.md) ─────────────────────────────

_SKEIN_PARITY = np.uint32(0x1BD11BDA)
_ROTATIONS = (13, 15, 26, 6, 17, 29, 16, 24)


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def threefry2x32(key0: int, key1: int, counter0: np.ndarray, counter1: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Threefry-2x32-20 (Random123's threefry2x32_20), vectorised over the counters (uint32 arrays)."""
    ks = [np.uint32(key0), np.uint32(key1)]
    ks.append(np.uint32(_SKEIN_PARITY ^ ks[0] ^ ks[1]))
    x0 = (np.asarray(counter0, dtype=np.uint32) + ks[0]).astype(np.uint32)
    x1 = (np.asarray(counter1, dtype=np.uint32) + ks[1]).astype(np.uint32)
    with np.errstate(over="ignore"):
        for block in range(5):
            for i in range(4):
                x0 = x0 + x1
                x1 = _rotl(x1, _ROTATIONS[(block % 2) * 4 + i]) ^ x0
            x0 = x0 + ks[(block + 1) % 3]
            x1 = x1 + ks[(block + 2) % 3] + np.uint32(block + 1)
    return x0, x1


def named_stream(name: str) -> int:
    """The stream number of a named role: 32-bit FNV-1a of the UTF-8 name."""
    h = 0x811C9DC5
    for byte in name.encode("utf-8"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def _bits(seed: int, stream: int, indices: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    idx = np.asarray(indices, dtype=np.uint64)
    return threefry2x32(seed, stream, (idx & np.uint64(0xFFFFFFFF)).astype(np.uint32), (idx >> np.uint64(32)).astype(np.uint32))


def sample(distribution: Dict[str, Any], seed: int, stream: int, indices: np.ndarray) -> np.ndarray:
    """Draws of `distribution` at `indices` of stream (seed, stream), float64, as src/core/random.ts computes them."""
    a, b = _bits(seed, stream, indices)
    a64 = a.astype(np.float64)
    b64 = b.astype(np.float64)
    kind = distribution["kind"]
    two32 = 4294967296.0
    if kind == "uniform":
        u = ((a >> np.uint32(5)).astype(np.float64) * 67108864.0 + (b >> np.uint32(6)).astype(np.float64)) / 9007199254740992.0
        low, high = float(distribution["low"]), float(distribution["high"])
        x = low + (high - low) * u
        return np.where(x < high, x, low)
    if kind == "product":
        return ((2.0 * a64) / two32 - 1.0) * ((2.0 * b64) / two32 - 1.0)
    if kind == "normal":
        # Uses log and cos: equal to Node's to the last bit on common platforms, not guaranteed (the kept-weight
        # checksum below catches a difference).
        u1 = (a64 + 0.5) / two32
        u2 = b64 / two32
        return float(distribution["mean"]) + float(distribution["std"]) * np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * math.pi * u2)
    if kind == "log-uniform":
        u = ((a >> np.uint32(5)).astype(np.float64) * 67108864.0 + (b >> np.uint32(6)).astype(np.float64)) / 9007199254740992.0
        log_min, log_max = math.log(distribution["minMagnitude"]), math.log(distribution["maxMagnitude"])
        magnitude = np.exp(log_min + (log_max - log_min) * u)
        return np.where((b & np.uint32(1)) == 1, -magnitude, magnitude)
    raise TicketError(f"distribution kind {kind!r} is not supported")


# ───────────────────────────── safetensors ─────────────────────────────

_DTYPES = {"I32": np.dtype("<i4"), "F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "I64": np.dtype("<i8"), "U8": np.dtype("u1")}


def read_safetensors(path: str) -> Tuple[Dict[str, str], Dict[str, np.ndarray], Dict[str, bytes]]:
    """(metadata, tensors by name in file order, raw little-endian bytes by name). Strict: gaps, overlaps, trailing
    bytes, unknown dtypes and shape/size mismatches raise TicketError."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise TicketError(f"{path}: too short for a safetensors file ({len(data)} bytes)")
    (header_len,) = struct.unpack("<Q", data[:8])
    if header_len > len(data) - 8 or header_len > 100_000_000:
        raise TicketError(f"{path}: header length {header_len} exceeds the file")
    try:
        header = json.loads(data[8:8 + header_len].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TicketError(f"{path}: safetensors header is not JSON ({error})") from None
    if not isinstance(header, dict):
        raise TicketError(f"{path}: safetensors header is not a JSON object")
    metadata = header.pop("__metadata__", {}) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise TicketError(f"{path}: __metadata__ must map strings to strings")
    body = data[8 + header_len:]
    tensors: Dict[str, np.ndarray] = {}
    raw: Dict[str, bytes] = {}
    spans = []
    for name, info in header.items():
        try:
            dtype = _DTYPES[info["dtype"]]
            shape = [int(s) for s in info["shape"]]
            start, end = (int(v) for v in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise TicketError(f"{path}: tensor {name!r} has a bad header entry {info!r}") from None
        count = int(np.prod(shape)) if shape else 1
        if start < 0 or end > len(body) or end - start != count * dtype.itemsize:
            raise TicketError(f"{path}: tensor {name!r} has offsets [{start}, {end}) that do not fit its shape {shape} and the file")
        spans.append((start, end))
        raw[name] = body[start:end]
        tensors[name] = np.frombuffer(body, dtype=dtype, count=count, offset=start).reshape(shape)
    spans.sort()
    position = 0
    for start, end in spans:
        if start != position:
            raise TicketError(f"{path}: tensor data has a gap or an overlap at byte {position}")
        position = end
    if position != len(body):
        raise TicketError(f"{path}: {len(body) - position} trailing bytes after the tensor data")
    return metadata, tensors, raw


_DTYPE_NAMES = {np.dtype("<f4"): "F32", np.dtype("<f8"): "F64", np.dtype("<i4"): "I32", np.dtype("<i8"): "I64", np.dtype("u1"): "U8"}


def write_safetensors(path: str, tensors: Dict[str, Any], metadata: Optional[Dict[str, str]] = None) -> None:
    """Writes tensors (numpy arrays, or torch tensors: a `model.state_dict()`) as safetensors, for systems without
    the `safetensors` package (Debian's python3-torch has none): `write_safetensors("model.safetensors",
    model.state_dict(), {"preprocess": "pixels"})` gives a file `lottery` reads."""
    header: Dict[str, Any] = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name, value in tensors.items():
        array = value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)
        array = np.ascontiguousarray(array.astype(array.dtype.newbyteorder("<")))
        if array.dtype not in _DTYPE_NAMES:
            raise TicketError(f"{name}: dtype {array.dtype} cannot be written (F32, F64, I32, I64, U8)")
        data = array.tobytes()
        header[name] = {"dtype": _DTYPE_NAMES[array.dtype], "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


# ───────────────────────────── the ticket ─────────────────────────────


@dataclass
class Stage:
    """One target layer i with its kept random weights regenerated (units renumbered 0..L-1)."""

    geometry: Dict[str, Any]
    units: np.ndarray          # kept hidden units r of M_{2i-1}, ascending (int64)
    unit_input: np.ndarray     # input unit / channel j = r mod d_{i-1} each kept unit reads
    unit_weight: np.ndarray    # u_r, float32
    edge_offsets: np.ndarray   # CSR over the outputs o of M_{2i}
    edge_unit: np.ndarray      # local kept-unit index q of every edge
    edge_tap: np.ndarray       # tap = a·k + b of every edge
    edge_weight: np.ndarray    # v, float32


class Ticket:
    """A ticket with its kept weights regenerated. `forward` runs it in numpy (float64); `to_torch` builds a module."""

    def __init__(self, path: str, meta: Dict[str, Any], stages: List[Stage]):
        self.path = path
        self.meta = meta
        self.stages = stages

    @property
    def input_shape(self) -> List[int]:
        return list(self.meta["inputShape"])

    @property
    def output_size(self) -> int:
        return int(np.prod(self.meta["outputShape"]))

    def kept_parameters(self) -> int:
        return sum(len(s.units) + len(s.edge_weight) for s in self.stages)

    # ── numpy forward, the reference: the same operations as src/theorem1/ticket.ts ticketForward ──

    def forward(self, x: np.ndarray) -> np.ndarray:
        """g(x) for real inputs x of shape [batch, *input_shape] (or [batch, prod(input_shape)]), float64 logits."""
        meta = self.meta
        x = np.asarray(x, dtype=np.float64).reshape([-1] + self.input_shape)
        batch = x.shape[0]
        for layer in meta["before"]:
            x = _copied_layer_np(layer, x)
        z = meta["inputScale"] * x
        if meta["constant"]:
            if z.ndim == 4:
                z = np.concatenate([z, np.full((batch, 1) + z.shape[2:], meta["inputScale"])], axis=1)
            else:
                z = np.concatenate([z.reshape(batch, -1), np.full((batch, 1), meta["inputScale"])], axis=1)
        for stage in self.stages:
            z = _stage_np(stage, z)
            for layer in stage.geometry["after"]:
                z = _copied_layer_np(layer, z)
        return meta["outputScale"] * z.reshape(batch, -1)

    def export_state_dict(self) -> Dict[str, np.ndarray]:
        """The weights `lottery export --format safetensors` writes (kept units only, real inputs): per stage i,
        `pair{i}.hidden.weight` (dense [L, d_in] or 1×1 conv [L, C, 1, 1]) with the input scale α folded into the
        first stage (and the constant input into `pair1.hidden.bias`), `pair{i}.out.weight` (dense [d_out, L] or conv
        [C_out, L, k, k]) with outputScale folded into the last stage; every other weight is the random float32 value."""
        meta = self.meta
        state: Dict[str, np.ndarray] = {}
        last = len(self.stages) - 1
        for s, stage in enumerate(self.stages):
            g = stage.geometry
            k = int(g["kernelSize"])
            if g.get("inputCopies"):
                # Depth l+1: one layer, `stage{i}.out`, reading the stage's input (the copies) directly.
                out_scale = float(meta["outputScale"]) if s == last else 1.0
                v = (stage.edge_weight.astype(np.float64) * out_scale).astype(np.float32) if s == last else stage.edge_weight
                out = np.zeros((int(g["outUnits"]), int(g["inUnits"]), k, k), dtype=np.float32)
                out_rows = np.repeat(np.arange(g["outUnits"]), np.diff(stage.edge_offsets))
                out[out_rows, stage.units[stage.edge_unit], stage.edge_tap // k, stage.edge_tap % k] = v
                state[f"stage{s + 1}.out.weight"] = out.reshape(int(g["outUnits"]), int(g["inUnits"])) if g["kind"] == "dense" else out
                continue
            fold_constant = s == 0 and meta["constant"]
            in_cols = int(g["realInUnits"]) if fold_constant else int(g["inUnits"])
            alpha = float(meta["inputScale"]) if s == 0 else 1.0
            count = len(stage.units)
            hidden = np.zeros((count, in_cols), dtype=np.float32)
            bias = np.zeros(count, dtype=np.float32)
            u = (stage.unit_weight.astype(np.float64) * alpha).astype(np.float32) if s == 0 else stage.unit_weight
            constant = stage.unit_input >= in_cols if fold_constant else np.zeros(count, dtype=bool)
            rows = np.arange(count)
            hidden[rows[~constant], stage.unit_input[~constant]] = u[~constant]
            bias[constant] = u[constant]
            k = int(g["kernelSize"])
            out_scale = float(meta["outputScale"]) if s == last else 1.0
            v = (stage.edge_weight.astype(np.float64) * out_scale).astype(np.float32) if s == last else stage.edge_weight
            out = np.zeros((int(g["outUnits"]), count, k, k), dtype=np.float32)
            out_rows = np.repeat(np.arange(g["outUnits"]), np.diff(stage.edge_offsets))
            out[out_rows, stage.edge_unit, stage.edge_tap // k, stage.edge_tap % k] = v
            if g["kind"] == "dense":
                state[f"pair{s + 1}.hidden.weight"] = hidden
                state[f"pair{s + 1}.out.weight"] = out.reshape(int(g["outUnits"]), count)
            else:
                state[f"pair{s + 1}.hidden.weight"] = hidden.reshape(count, in_cols, 1, 1)
                state[f"pair{s + 1}.out.weight"] = out
            if fold_constant:
                state[f"pair{s + 1}.hidden.bias"] = bias
        return state

    def exported_torch_module(self) -> Any:
        """The torch module whose state_dict is the safetensors export's (`pair{i}.hidden`, `pair{i}.out` and the
        copied layers, as docs/pytorch.md describes), with the export's weights loaded."""
        return _exported_module(self)

    def to_torch(self, dtype: Any = None, sparse: Optional[bool] = None) -> Any:
        """A torch.nn.Module computing the same function (float32 by default; pass torch.float64 for the reference
        precision). Dense stages use a sparse matrix product when `sparse` (default: when under 10 % of the block is
        kept), conv stages a convolution over the kept units."""
        return _torch_module(self, dtype, sparse)


def _copied_layer_np(layer: Dict[str, Any], x: np.ndarray) -> np.ndarray:
    kind = layer["kind"]
    if kind == "relu":
        return np.maximum(x, 0.0)
    if kind == "flatten":
        return x.reshape(x.shape[0], -1)
    if kind == "maxpool2d":
        s = int(layer["size"])
        b, c, h, w = x.shape
        oh, ow = h // s, w // s
        return x[:, :, :oh * s, :ow * s].reshape(b, c, oh, s, ow, s).max(axis=(3, 5))
    raise TicketError(f"copied layer {kind!r} is not supported")


def _stage_np(stage: Stage, z: np.ndarray) -> np.ndarray:
    g = stage.geometry
    batch = z.shape[0]
    u = stage.unit_weight.astype(np.float64)
    # Depth l+1 (inputCopies): no first layer, the kept inputs are read as they are (any sign); otherwise σ(u·z).
    act = (lambda h: h) if g.get("inputCopies") else (lambda h: np.maximum(h, 0.0))
    if g["kind"] == "dense":
        z = z.reshape(batch, -1)
        hidden = act(z[:, stage.unit_input] * u)  # [batch, L]
        out = np.zeros((batch, g["outUnits"]))
        rows = np.repeat(np.arange(g["outUnits"]), np.diff(stage.edge_offsets))
        np.add.at(out.T, rows, (hidden[:, stage.edge_unit] * stage.edge_weight.astype(np.float64)).T)
        return out
    k, p = g["kernelSize"], g["padding"]
    h, w, oh, ow = g["inputHeight"], g["inputWidth"], g["outputHeight"], g["outputWidth"]
    z = z.reshape(batch, g["inUnits"], h, w)
    hidden = act(z[:, stage.unit_input] * u[None, :, None, None])  # [batch, L, h, w]
    padded = np.zeros((batch, hidden.shape[1], h + 2 * p + k, w + 2 * p + k))
    padded[:, :, p:p + h, p:p + w] = hidden
    out = np.zeros((batch, g["outUnits"], oh, ow))
    rows = np.repeat(np.arange(g["outUnits"]), np.diff(stage.edge_offsets))
    for e in range(len(stage.edge_weight)):
        a, bb = divmod(int(stage.edge_tap[e]), k)
        out[:, rows[e]] += float(stage.edge_weight[e]) * padded[:, stage.edge_unit[e], a:a + oh, bb:bb + ow]
    return out


# ───────────────────────────── reading and regenerating ─────────────────────────────


def _payload_checksum(metadata: Dict[str, str], names: List[str], raw: Dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for key in sorted(metadata):
        if key != CHECKSUM_KEY:
            digest.update(f"{key}\0{metadata[key]}\0".encode("utf-8"))
    for name in names:
        digest.update(f"{name}\0".encode("utf-8"))
        digest.update(raw[name])
    return digest.hexdigest()


def _ticket_meta(path: str) -> Tuple[Dict[str, Any], Dict[str, np.ndarray]]:
    metadata, tensors, raw = read_safetensors(path)
    if metadata.get("format") != TICKET_FORMAT:
        raise TicketError(f"{path}: not a lottery ticket (metadata format {metadata.get('format')!r}, expected {TICKET_FORMAT!r})")
    if metadata.get("format_version") != TICKET_FORMAT_VERSION:
        raise TicketError(f"{path}: ticket format_version {metadata.get('format_version')!r} is not supported (this loader reads {TICKET_FORMAT_VERSION})")
    def rank(name: str) -> Tuple[int, int]:
        stage, _, part = name.partition(".")
        if not stage.startswith("stage") or not stage[5:].isdigit() or part not in ("units", "edge_offsets", "edge_keys"):
            raise TicketError(f"{path}: unexpected tensor {name!r} in a ticket")
        return int(stage[5:]), ("units", "edge_offsets", "edge_keys").index(part)
    names = sorted(tensors, key=rank)
    expected = metadata.get(CHECKSUM_KEY)
    if expected is None:
        raise TicketError(f"{path}: ticket metadata has no {CHECKSUM_KEY}")
    actual = _payload_checksum(metadata, names, raw)
    if actual != expected:
        raise TicketError(f"{path}: ticket checksum mismatch (stored {expected[:12]}…, computed {actual[:12]}…): the file was altered or damaged")
    try:
        meta = json.loads(metadata["ticket"])
    except (KeyError, json.JSONDecodeError) as error:
        raise TicketError(f"{path}: ticket metadata 'ticket' is missing or not JSON ({error})") from None
    if meta.get("construction") not in SUPPORTED_CONSTRUCTIONS:
        raise TicketError(f"{path}: construction {meta.get('construction')!r} is not supported by this loader (it rebuilds {', '.join(SUPPORTED_CONSTRUCTIONS)}); update lottery_ticket.py")
    if meta.get("generator") != TICKET_GENERATOR:
        raise TicketError(f"{path}: generator {meta.get('generator')!r} is not supported (expected {TICKET_GENERATOR})")
    for dtype_name, t in tensors.items():
        if t.dtype != np.dtype("<i4"):
            raise TicketError(f"{path}: tensor {dtype_name!r} has dtype {t.dtype}, expected int32")
    if len(tensors) != 3 * len(meta["stages"]):
        raise TicketError(f"{path}: {len(tensors)} tensors, expected {3 * len(meta['stages'])} for {len(meta['stages'])} stages")
    return meta, tensors


def ticket_info(path: str) -> Dict[str, Any]:
    """The ticket's metadata (seed, distribution, stages with n and widths, certificate, checksums), checked but
    without regenerating any weight."""
    meta, tensors = _ticket_meta(path)
    info = dict(meta)
    info["keptParams"] = int(sum(len(tensors[f"stage{i + 1}.units"]) + len(tensors[f"stage{i + 1}.edge_keys"]) for i in range(len(meta["stages"]))))
    info["sampleCounts"] = [s["sampleCount"] for s in meta["stages"]]
    info["widths"] = [_hidden_units(s) for s in meta["stages"]]
    return info


def _layer_stream(m: int) -> int:
    return named_stream(f"theorem1/layer/{m}")


def _hidden_units(g: Dict[str, Any]) -> int:
    """Hidden units of a stage: 2n per input unit, or (depth l+1, `inputCopies` set) the stage's inputs themselves."""
    return int(g["inUnits"]) if g.get("inputCopies") else 2 * int(g["sampleCount"]) * int(g["inUnits"])


def load_ticket(path: str) -> Ticket:
    """Reads a ticket, checks it, and regenerates its kept weights (float32, as the CLI stores them). Raises
    TicketError when the file is damaged, foreign, of another version, or when the regenerated weights do not
    match the ticket's keptWeightsSha256."""
    meta, tensors = _ticket_meta(path)
    seed = int(meta["seed"])
    distribution = meta["distribution"]
    stages: List[Stage] = []
    kept_hash = hashlib.sha256()
    for i, g in enumerate(meta["stages"]):
        units = tensors[f"stage{i + 1}.units"].astype(np.int64)
        offsets = tensors[f"stage{i + 1}.edge_offsets"].astype(np.int64)
        keys = tensors[f"stage{i + 1}.edge_keys"].astype(np.int64)
        d_in, d_out, k = int(g["inUnits"]), int(g["outUnits"]), int(g["kernelSize"])
        kk = k * k
        hidden = _hidden_units(g)
        # Random layers of the stage: 2i−1 and 2i; depth l+1 stores the second's number (edgeLayer) and a stage whose
        # input is copies has no first random layer (its hidden unit r is input r, weight 1).
        edge_layer = int(g.get("edgeLayer", 2 * i + 2))
        copies = bool(g.get("inputCopies"))
        if len(offsets) != d_out + 1 or offsets[0] != 0 or offsets[-1] != len(keys) or np.any(np.diff(offsets) < 0):
            raise TicketError(f"{path}: stage {i + 1}: edge_offsets do not describe {d_out} rows over {len(keys)} edges")
        if len(units) and (units[0] < 0 or units[-1] >= hidden or np.any(np.diff(units) <= 0)):
            raise TicketError(f"{path}: stage {i + 1}: units out of range [0, {hidden}) or not ascending")
        unit_input = units % d_in
        # u_r at index r·d_in + (r mod d_in) of layer 2i−1.
        if copies:
            unit_weight = np.ones(len(units), dtype=np.float32)
        else:
            unit_weight = sample(distribution, seed, _layer_stream(edge_layer - 1), units * d_in + unit_input).astype(np.float32)
        r = keys // kk
        tap = keys - r * kk
        local = np.searchsorted(units, r)
        if len(keys) and (np.any(local >= len(units)) or np.any(units[np.minimum(local, len(units) - 1)] != r)):
            raise TicketError(f"{path}: stage {i + 1}: an edge reads a hidden unit that is not kept")
        rows = np.repeat(np.arange(d_out, dtype=np.int64), np.diff(offsets))
        # M_{2i}[o, r, a, b] at index (r·k² + tap)·d_out + o of layer 2i.
        edge_weight = sample(distribution, seed, _layer_stream(edge_layer), (r * kk + tap) * d_out + rows).astype(np.float32)
        kept_hash.update(unit_weight.astype("<f4").tobytes())
        kept_hash.update(edge_weight.astype("<f4").tobytes())
        stages.append(Stage(g, units, unit_input, unit_weight, offsets, local.astype(np.int64), tap, edge_weight))
    if kept_hash.hexdigest() != meta["keptWeightsSha256"]:
        raise TicketError(f"{path}: the regenerated kept weights do not match the ticket's keptWeightsSha256 "
                          f"(stored {meta['keptWeightsSha256'][:12]}…, got {kept_hash.hexdigest()[:12]}…): different generator or distribution")
    return Ticket(path, meta, stages)


# ───────────────────────────── torch ─────────────────────────────


def _torch_copied_layer(layer: Dict[str, Any]) -> Any:
    """The torch module of a parameter-free layer the ticket copies from its target (relu, flatten, maxpool2d)."""
    from torch import nn

    kind = layer["kind"]
    if kind == "relu":
        return nn.ReLU()
    if kind == "flatten":
        return nn.Flatten()
    if kind == "maxpool2d":
        return nn.MaxPool2d(int(layer["size"]))
    raise TicketError(f"copied layer {kind!r} is not supported")


def _torch_module(ticket: Ticket, dtype: Any, sparse: Optional[bool]) -> Any:
    import torch
    from torch import nn

    dtype = dtype or torch.float32

    class DenseStage(nn.Module):
        """σ(u ⊙ z[:, j]) for the kept units, then the kept edges of M_{2i} as a (sparse) [out, L] matrix."""

        def __init__(self, stage: Stage):
            super().__init__()
            g = stage.geometry
            self.register_buffer("unit_input", torch.as_tensor(stage.unit_input, dtype=torch.long))
            self.register_buffer("unit_weight", torch.as_tensor(stage.unit_weight).to(dtype))
            rows = np.repeat(np.arange(g["outUnits"]), np.diff(stage.edge_offsets))
            values = torch.as_tensor(stage.edge_weight).to(dtype)
            index = torch.as_tensor(np.stack([rows, stage.edge_unit]), dtype=torch.long)
            shape = (int(g["outUnits"]), len(stage.units))
            density = len(stage.edge_weight) / max(1, shape[0] * shape[1])
            self.sparse = sparse if sparse is not None else density < 0.1
            matrix = torch.sparse_coo_tensor(index, values, shape).coalesce()
            self.register_buffer("weight", matrix if self.sparse else matrix.to_dense())
            self.relu = not g.get("inputCopies")  # depth l+1: the copies are read as they are

        def forward(self, z):
            hidden = z.flatten(1)[:, self.unit_input] * self.unit_weight
            if self.relu:
                hidden = torch.relu(hidden)
            if self.sparse:
                return torch.sparse.mm(self.weight, hidden.t()).t()
            return hidden @ self.weight.t()

    class ConvStage(nn.Module):
        """σ(u_q · z[:, j_q]) per kept unit (a channel), then a convolution with the kept taps of M_{2i}."""

        def __init__(self, stage: Stage):
            super().__init__()
            g = stage.geometry
            k = int(g["kernelSize"])
            self.padding = int(g["padding"])
            self.in_shape = (int(g["inUnits"]), int(g["inputHeight"]), int(g["inputWidth"]))
            self.register_buffer("unit_input", torch.as_tensor(stage.unit_input, dtype=torch.long))
            self.register_buffer("unit_weight", torch.as_tensor(stage.unit_weight).to(dtype).view(1, -1, 1, 1))
            weight = np.zeros((int(g["outUnits"]), len(stage.units), k, k), dtype=np.float32)
            rows = np.repeat(np.arange(g["outUnits"]), np.diff(stage.edge_offsets))
            weight[rows, stage.edge_unit, stage.edge_tap // k, stage.edge_tap % k] = stage.edge_weight
            self.register_buffer("weight", torch.as_tensor(weight).to(dtype))
            self.relu = not g.get("inputCopies")  # depth l+1: the copies are read as they are

        def forward(self, z):
            z = z.reshape((z.shape[0],) + self.in_shape)
            hidden = z[:, self.unit_input] * self.unit_weight
            if self.relu:
                hidden = torch.relu(hidden)
            return torch.nn.functional.conv2d(hidden, self.weight, padding=self.padding)

    class TicketModule(nn.Module):
        """The pruned random network of a ticket: g(x) = outputScale · net(α·[x; 1]), x the real input."""

        def __init__(self):
            super().__init__()
            meta = ticket.meta
            self.input_shape = tuple(meta["inputShape"])
            self.input_scale = float(meta["inputScale"])
            self.output_scale = float(meta["outputScale"])
            self.constant = bool(meta["constant"])
            self.before = nn.Sequential(*[_torch_copied_layer(layer) for layer in meta["before"]])
            self.stages = nn.ModuleList()
            for stage in ticket.stages:
                body = DenseStage(stage) if stage.geometry["kind"] == "dense" else ConvStage(stage)
                self.stages.append(nn.Sequential(body, *[_torch_copied_layer(layer) for layer in stage.geometry["after"]]))

        def forward(self, x):
            x = x.to(self.unit_dtype()).reshape((x.shape[0],) + self.input_shape)
            z = self.before(x) * self.input_scale
            if self.constant:
                if z.dim() == 4:
                    z = torch.cat([z, torch.full_like(z[:, :1], self.input_scale)], dim=1)
                else:
                    z = z.flatten(1)
                    z = torch.cat([z, torch.full_like(z[:, :1], self.input_scale)], dim=1)
            for stage in self.stages:
                z = stage(z)
            return self.output_scale * z.flatten(1)

        def unit_dtype(self):
            return dtype

    return TicketModule().eval()


def _exported_module(ticket: Ticket) -> Any:
    import torch
    from torch import nn

    class Pair(nn.Module):
        def __init__(self, hidden: nn.Module, out: nn.Module):
            super().__init__()
            self.hidden = hidden
            self.out = out

        def forward(self, x):
            return self.out(torch.relu(self.hidden(x)))

    class ExportedTicket(nn.Module):
        """`lottery export`'s network on real inputs: [before] then per stage pair{i} = out(relu(hidden(x))), [after]."""

        def __init__(self):
            super().__init__()
            meta = ticket.meta
            self.input_shape = tuple(meta["inputShape"])
            self.before = nn.Sequential(*[_torch_copied_layer(layer) for layer in meta["before"]])
            layers: List[nn.Module] = []
            for s, stage in enumerate(ticket.stages):
                g = stage.geometry
                if g.get("inputCopies"):
                    # Depth l+1: stage{i} = out (no hidden layer), reading the copies.
                    if g["kind"] == "dense":
                        out = nn.Linear(int(g["inUnits"]), int(g["outUnits"]), bias=False)
                    else:
                        out = nn.Conv2d(int(g["inUnits"]), int(g["outUnits"]), int(g["kernelSize"]), padding=int(g["padding"]), bias=False)
                    single = nn.Module()
                    single.out = out
                    self.add_module(f"stage{s + 1}", single)
                    layers.append(out)
                    layers.extend(_torch_copied_layer(layer) for layer in g["after"])
                    continue
                fold = s == 0 and meta["constant"]
                in_cols = int(g["realInUnits"]) if fold else int(g["inUnits"])
                count = len(stage.units)
                if g["kind"] == "dense":
                    pair = Pair(nn.Linear(in_cols, count, bias=fold), nn.Linear(count, int(g["outUnits"]), bias=False))
                else:
                    pair = Pair(nn.Conv2d(in_cols, count, 1, bias=fold), nn.Conv2d(count, int(g["outUnits"]), int(g["kernelSize"]), padding=int(g["padding"]), bias=False))
                self.add_module(f"pair{s + 1}", pair)
                layers.append(pair)
                layers.extend(_torch_copied_layer(layer) for layer in g["after"])
            self.body = layers

        def forward(self, x):
            x = self.before(x.reshape((x.shape[0],) + self.input_shape))
            for layer in self.body:
                x = layer(x)
            return x.flatten(1)

    module = ExportedTicket()
    module.load_state_dict({k: torch.as_tensor(v) for k, v in ticket.export_state_dict().items()})
    return module.eval()
