"""Tests of lottery_ticket.py against fixtures made by the real toolkit (scripts/pythonFixtures.ts): tickets pruned by
`lottery`'s library and the float64 logits its own ticket forward pass (the one `lottery verify` runs) computes on
100 MNIST test images. Run: python3 -m unittest discover -s python   (torch tests skip without torch)."""

import hashlib
import json
import os
import shutil
import struct
import tempfile
import unittest

import numpy as np

import lottery_ticket as lt

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
CASES = ("mlp", "conv", "normal", "lplus1", "lplus1conv")

try:
    import torch
except ImportError:  # the numpy path is tested everywhere, the module path where torch is installed
    torch = None


#: Folder of `lottery export --format safetensors` outputs of the fixture tickets (<case>.export.safetensors), made by
#: test/python/loader.test.ts (exports are dense and large, so they are made, not committed).
EXPORTS = os.environ.get("LOTTERY_EXPORTS")


def export_file(case):
    return os.path.join(EXPORTS, f"{case}.export.safetensors")


def fixture(name):
    return os.path.join(FIXTURES, name)


def inputs_and_labels():
    _, tensors, _ = lt.read_safetensors(fixture("mnist100.safetensors"))
    return tensors["inputs"].astype(np.float64), tensors["labels"]


def expected_logits(case):
    _, tensors, _ = lt.read_safetensors(fixture(f"{case}.logits.safetensors"))
    return tensors["logits"]


def rewrite(path, out, edit_metadata=None, edit_bytes=None, fix_checksum=True):
    """A copy of a ticket with its metadata edited (checksum recomputed unless told not to) or its bytes edited."""
    with open(path, "rb") as f:
        data = bytearray(f.read())
    if edit_metadata is not None:
        (n,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8:8 + n])
        edit_metadata(header["__metadata__"])
        metadata, tensors, raw = lt.read_safetensors(path)
        if fix_checksum:
            names = [k for k in header if k != "__metadata__"]
            header["__metadata__"]["payload_sha256"] = lt._payload_checksum(header["__metadata__"], names, raw)
        text = json.dumps(header).encode()
        text += b" " * ((8 - len(text) % 8) % 8)
        data = bytearray(struct.pack("<Q", len(text)) + text + data[8 + n:])
    if edit_bytes is not None:
        edit_bytes(data)
    with open(out, "wb") as f:
        f.write(bytes(data))
    return out


class RandomStreams(unittest.TestCase):
    def test_threefry_known_answers(self):
        # Random123's known-answer vectors for threefry2x32_20 (as test/core/random.test.ts checks the TypeScript).
        for ctr, key, expected in [  # (counter, key, output), as Random123 lists them
            ((0, 0), (0, 0), (0x6B200159, 0x99BA4EFE)),
            ((0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF), (0x1CB996FC, 0xBB002BE7)),
            ((0x243F6A88, 0x85A308D3), (0x13198A2E, 0x03707344), (0xC4923A9C, 0x483DF7A0)),
        ]:
            a, b = lt.threefry2x32(key[0], key[1], np.array([ctr[0]], dtype=np.uint32), np.array([ctr[1]], dtype=np.uint32))
            self.assertEqual((int(a[0]), int(b[0])), expected)

    def test_named_streams(self):
        self.assertEqual(lt.named_stream(""), 0x811C9DC5)
        self.assertEqual(lt.named_stream("a"), 0xE40C292C)

    def test_uniform_is_exact_on_the_unit_interval(self):
        x = lt.sample({"kind": "uniform", "low": -1, "high": 1}, 7, 3, np.arange(100000, dtype=np.uint64))
        self.assertTrue(np.all(x >= -1) and np.all(x < 1))
        self.assertAlmostEqual(float(x.mean()), 0.0, delta=0.01)


class Loader(unittest.TestCase):
    def test_regenerated_network_gives_the_toolkits_logits(self):
        x, labels = inputs_and_labels()
        for case in CASES:
            with self.subTest(case=case):
                ticket = lt.load_ticket(fixture(f"{case}.ticket.safetensors"))  # checks both checksums
                logits = ticket.forward(x)
                expected = expected_logits(case)
                self.assertEqual(logits.shape, expected.shape)
                self.assertLess(float(np.max(np.abs(logits - expected))), 1e-9 * max(1.0, float(np.max(np.abs(expected)))))
                self.assertEqual(list(np.argmax(logits, 1)), list(np.argmax(expected, 1)))

    def test_ticket_info(self):
        info = lt.ticket_info(fixture("mlp.ticket.safetensors"))
        self.assertEqual(info["construction"], "pensia2020-theorem1")
        self.assertEqual(info["sampleCounts"], [6, 6])
        self.assertGreater(info["keptParams"], 0)
        self.assertEqual(info["keptParams"], lt.load_ticket(fixture("mlp.ticket.safetensors")).kept_parameters())

    def test_damaged_and_foreign_files_are_refused(self):
        source = fixture("mlp.ticket.safetensors")
        with tempfile.TemporaryDirectory() as tmp:
            def refused(path, pattern):
                with self.assertRaisesRegex(lt.TicketError, pattern):
                    lt.load_ticket(path)

            def flip_last(data):
                data[-1] ^= 0x01
            refused(rewrite(source, os.path.join(tmp, "flipped"), edit_bytes=flip_last), "checksum mismatch")
            refused(rewrite(source, os.path.join(tmp, "short"), edit_bytes=lambda d: d.__delitem__(slice(-4, None))), "offsets|trailing|fit")
            refused(rewrite(source, os.path.join(tmp, "version"), edit_metadata=lambda m: m.update(format_version="2")), "format_version '2' is not supported")

            def construction(m):
                meta = json.loads(m["ticket"])
                meta["construction"] = "burkholz2022-residual"
                m["ticket"] = json.dumps(meta)
            refused(rewrite(source, os.path.join(tmp, "construction"), edit_metadata=construction), "construction 'burkholz2022-residual' is not supported")

            def other_seed(m):
                meta = json.loads(m["ticket"])
                meta["seed"] = meta["seed"] + 1
                m["ticket"] = json.dumps(meta)
            # A consistent file whose weights regenerate differently: the kept-weight checksum catches it.
            refused(rewrite(source, os.path.join(tmp, "seed"), edit_metadata=other_seed), "keptWeightsSha256")
            refused(rewrite(source, os.path.join(tmp, "tampered"), edit_metadata=lambda m: m.update(seed="5"), fix_checksum=False), "checksum mismatch")
            not_a_ticket = os.path.join(tmp, "logits")
            shutil.copy(fixture("mlp.logits.safetensors"), not_a_ticket)
            refused(not_a_ticket, "not a lottery ticket")
            with open(os.path.join(tmp, "garbage"), "wb") as f:
                f.write(b"\x00" * 3)
            refused(os.path.join(tmp, "garbage"), "too short")


@unittest.skipIf(EXPORTS is None, "LOTTERY_EXPORTS not set: npm test makes the exports with lottery export and sets it")
class WriteSafetensors(unittest.TestCase):
    def test_round_trip(self):
        tensors = {"fc1.weight": np.arange(12, dtype=np.float32).reshape(3, 4), "fc1.bias": np.ones(3, dtype=np.float64), "n": np.array([7], dtype=np.int32)}
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "model.safetensors")
            lt.write_safetensors(path, tensors, {"preprocess": "pixels"})
            metadata, read, _ = lt.read_safetensors(path)
            self.assertEqual(metadata, {"preprocess": "pixels"})
            self.assertEqual(list(read), list(tensors))
            for name, array in tensors.items():
                self.assertTrue(np.array_equal(read[name], array) and read[name].dtype == array.dtype, name)


@unittest.skipIf(EXPORTS is None, "LOTTERY_EXPORTS not set: npm test makes the exports with lottery export and sets it")
class Export(unittest.TestCase):
    def test_regenerated_weights_are_bit_identical_to_the_export(self):
        for case in CASES:
            with self.subTest(case=case):
                _, exported, _ = lt.read_safetensors(export_file(case))
                ours = lt.load_ticket(fixture(f"{case}.ticket.safetensors")).export_state_dict()
                self.assertEqual(sorted(ours), sorted(exported))
                for name, array in ours.items():
                    self.assertEqual(array.shape, exported[name].shape, name)
                    self.assertTrue(np.array_equal(array.view(np.uint32), exported[name].astype("<f4").view(np.uint32)), name)


@unittest.skipIf(torch is None, "torch is not installed: the module path is tested where it is (python3-torch)")
class TorchModule(unittest.TestCase):
    def test_module_matches_the_toolkit(self):
        x, labels = inputs_and_labels()
        for case in CASES:
            ticket = lt.load_ticket(fixture(f"{case}.ticket.safetensors"))
            expected = expected_logits(case)
            for sparse in (True, False):
                with self.subTest(case=case, sparse=sparse):
                    module = ticket.to_torch(dtype=torch.float64, sparse=sparse)
                    with torch.no_grad():
                        logits = module(torch.as_tensor(x)).numpy()
                    self.assertLess(float(np.max(np.abs(logits - expected))), 1e-5)
                    self.assertEqual(list(np.argmax(logits, 1)), list(np.argmax(expected, 1)))
            with torch.no_grad():
                single = ticket.to_torch()(torch.as_tensor(x, dtype=torch.float32)).numpy()
            self.assertLess(float(np.max(np.abs(single - expected))), 1e-3 * max(1.0, float(np.max(np.abs(expected)))))

    @unittest.skipIf(EXPORTS is None, "LOTTERY_EXPORTS not set: npm test makes the exports with lottery export and sets it")
    def test_export_loads_into_the_documented_module(self):
        x, _ = inputs_and_labels()
        for case in CASES:
            with self.subTest(case=case):
                ticket = lt.load_ticket(fixture(f"{case}.ticket.safetensors"))
                module = ticket.exported_torch_module()
                _, exported, _ = lt.read_safetensors(export_file(case))
                # The export itself, loaded with load_state_dict (strict: the names and shapes are the module's).
                module.load_state_dict({k: torch.as_tensor(v.copy()) for k, v in exported.items()})
                with torch.no_grad():
                    logits = module.double()(torch.as_tensor(x)).numpy()
                self.assertLess(float(np.max(np.abs(logits - expected_logits(case)))), 1e-5 * max(1.0, float(np.max(np.abs(expected_logits(case))))))


if __name__ == "__main__":
    unittest.main()
