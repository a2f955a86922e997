"""RFC 6962 merkle tree over sha256, kept incrementally.

Every complete, aligned subtree hash is stored per level, so appending is O(log n) and
the root or an audit path for any size is O(log^2 n) without rehashing leaves.
"""

from __future__ import annotations

import hashlib


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


class MerkleTree:
    """Append-only RFC 6962 tree of leaf hashes."""

    def __init__(self) -> None:
        # levels[k][i] = hash of leaves [i*2^k, (i+1)*2^k)
        self._levels: list[list[bytes]] = [[]]

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def append(self, leaf: bytes) -> None:
        """Add the leaf whose data is ``leaf`` (hashing it)."""
        self.append_hash(leaf_hash(leaf))

    def append_hash(self, h: bytes) -> None:
        self._levels[0].append(h)
        level = 0
        while len(self._levels[level]) % 2 == 0:
            nodes = self._levels[level]
            parent = node_hash(nodes[-2], nodes[-1])
            if len(self._levels) == level + 1:
                self._levels.append([])
            self._levels[level + 1].append(parent)
            level += 1

    def truncate(self, size: int) -> None:
        """Forget leaves after ``size`` (undo an append whose commit failed)."""
        for level in range(len(self._levels)):
            del self._levels[level][size >> level :]

    def _range_hash(self, start: int, end: int) -> bytes:
        """MTH of leaves [start, end); start is always aligned by construction."""
        n = end - start
        if n == 1:
            return self._levels[0][start]
        if n & (n - 1) == 0:  # complete aligned subtree: stored
            level = n.bit_length() - 1
            return self._levels[level][start >> level]
        k = 1 << ((n - 1).bit_length() - 1)
        return node_hash(self._range_hash(start, start + k), self._range_hash(start + k, end))

    def root(self, size: int | None = None) -> bytes:
        """Root hash of the first ``size`` leaves (default: all)."""
        size = self.size if size is None else size
        if size == 0:
            return EMPTY_ROOT
        return self._range_hash(0, size)

    def audit_path(self, index: int, size: int | None = None) -> list[bytes]:
        """Inclusion proof for leaf ``index`` (0-based) in a tree of ``size`` leaves, leaf first."""
        size = self.size if size is None else size
        if not 0 <= index < size:
            raise IndexError("leaf index out of range")
        path: list[bytes] = []
        self._path(index, 0, size, path)
        return path

    def _path(self, m: int, start: int, end: int, out: list[bytes]) -> None:
        n = end - start
        if n <= 1:
            return
        k = 1 << ((n - 1).bit_length() - 1)
        if m < start + k:
            self._path(m, start, start + k, out)
            out.append(self._range_hash(start + k, end))
        else:
            self._path(m, start + k, end, out)
            out.append(self._range_hash(start, start + k))


def verify_audit_path(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """Check an inclusion proof (RFC 9162 2.1.3.2); used by tests and consistency checks."""
    if index >= size:
        return False
    fn, sn = index, size - 1
    r = leaf_hash(leaf)
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root
