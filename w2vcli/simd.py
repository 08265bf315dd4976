"""Whole rows of float32 as SIMD registers, for the Numba kernels.

LLVM's loop vectoriser turns ``for x in range(d): acc[x] += c * u[x]`` into vector code, but
the accumulator lives in memory, so every step of a sum over many rows is a load, an FMA and a
store, chained through the store buffer. The intrinsics here give Numba code a value type for a
whole row instead: :data:`Row` (``n`` float32, ``n`` a compile-time constant) is an LLVM struct of
SIMD vectors of 16, 8, 4, 2 and 1 lanes (``100 = 6 x 16 + 4``), which LLVM keeps in registers
(seven 512-bit registers for ``n = 100`` with AVX-512, thirteen 256-bit ones with AVX2), so

.. code-block:: python

    acc = zeros(dim)
    for j in range(m):
        acc = axpy(coef[j], load(w_out, rows[j] * dim, dim), acc)
    store(w_in, r * dim, add(load(w_in, r * dim, dim), acc))

sums ``m`` scaled rows with one load per row and independent FMAs across the row, and adds the
result to a row of ``w_in`` once. The pieces never read or write past ``n`` floats, so rows
need no padding and the arrays keep their ``(V, d)`` shape. Vectors wider than the machine's
(16 lanes on an AVX2 or SSE machine) are split by LLVM into the widths the CPU has.

``n`` must be a compile-time constant where the row is made (:func:`load`, :func:`zeros`): in
the batch kernels it is the vector dimension that each kernel closes over
(:func:`w2vcli.kernels.batch_kernel` compiles one kernel per dimension). Typing fails with a
clear message otherwise.

Also here: :func:`prefetch_row` (LLVM's ``llvm.prefetch``, so that a row's cache lines are
fetched while other work runs) and bit counting on ``uint64`` masks (:func:`popcount`,
:func:`lowest_bit`).
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.core.errors import TypingError
from numba.extending import intrinsic, models, register_model

#: Widest vector a row is cut into, in float32 lanes (one AVX-512 register).
WIDTH = 16
#: Bytes per cache line, for :func:`prefetch_row`.
CACHE_LINE = 64

_F32 = ir.FloatType()
_I32 = ir.IntType(32)
_I64 = ir.IntType(64)


def pieces(n: int) -> tuple[int, ...]:
    """The vector widths a row of ``n`` floats is made of: as many :data:`WIDTH` as fit, then
    powers of two, largest first (``pieces(100) == (16,) * 6 + (4,)``)."""
    out = []
    width = WIDTH
    left = n
    while left:
        while width > left:
            width //= 2
        out.append(width)
        left -= width
    return tuple(out)


class F32Vector(types.Type):
    """Numba type of one LLVM ``<k x float>`` vector (a piece of a :class:`F32Row`)."""

    def __init__(self, lanes: int) -> None:
        self.lanes = lanes
        super().__init__(name=f"f32x{lanes}")


@register_model(F32Vector)
class _F32VectorModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, ir.VectorType(_F32, fe_type.lanes))


class F32Row(types.Type):
    """Numba type of a row of ``n`` float32 held in registers (a struct of vectors)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.pieces = pieces(n)
        super().__init__(name=f"f32row{n}")


@register_model(F32Row)
class _F32RowModel(models.StructModel):
    def __init__(self, dmm, fe_type):
        members = [(f"v{i}", F32Vector(k)) for i, k in enumerate(fe_type.pieces)]
        super().__init__(dmm, fe_type, members)


def _length(n) -> int:
    if not isinstance(n, types.IntegerLiteral):
        raise TypingError(
            f"a row's length must be a compile-time constant (got {n}); compile the kernel "
            "per dimension, as w2vcli.kernels.batch_kernel does"
        )
    if n.literal_value < 0:
        raise TypingError(f"a row's length must be >= 0, got {n.literal_value}")
    return n.literal_value


def _check_array(arr) -> None:
    if not (isinstance(arr, types.Array) and arr.dtype == types.float32 and arr.layout == "C"):
        raise TypingError(f"rows are read from C-contiguous float32 arrays, got {arr}")


def _vec(k: int) -> ir.VectorType:
    return ir.VectorType(_F32, k)


def _struct(row: F32Row) -> ir.LiteralStructType:
    return ir.LiteralStructType([_vec(k) for k in row.pieces])


def _pack(builder, row: F32Row, parts) -> ir.Value:
    value = ir.Constant(_struct(row), ir.Undefined)
    for i, part in enumerate(parts):
        value = builder.insert_value(value, part, i)
    return value


def _unpack(builder, row: F32Row, value) -> list:
    return [builder.extract_value(value, i) for i in range(len(row.pieces))]


def _piece_pointers(context, builder, arrty, arr, offset, row: F32Row) -> list:
    """Pointers to each piece of the row that starts at element ``offset`` of ``arr``."""
    data = context.make_array(arrty)(context, builder, arr).data
    base = builder.gep(data, [offset])
    out, at = [], 0
    for k in row.pieces:
        ptr = builder.gep(base, [ir.Constant(_I64, at)])
        out.append(builder.bitcast(ptr, _vec(k).as_pointer()))
        at += k
    return out


def _offset(context, builder, sig_type, value):
    return context.cast(builder, value, sig_type, types.intp)


def _splat(builder, x, k: int):
    undef = ir.Constant(_vec(k), ir.Undefined)
    one = builder.insert_element(undef, x, ir.Constant(_I32, 0))
    return builder.shuffle_vector(one, undef, ir.Constant(ir.VectorType(_I32, k), [0] * k))


def _fma(builder, a, b, c, k: int):
    fnty = ir.FunctionType(_vec(k), [_vec(k)] * 3)
    fn = cgutils.get_or_insert_function(builder.module, fnty, f"llvm.fma.v{k}f32")
    return builder.call(fn, [a, b, c])


@intrinsic(prefer_literal=True)
def load(typingctx, arr, offset, n):
    """The ``n`` floats of ``arr`` (C-contiguous float32, any shape) from flat element
    ``offset``, as a :class:`F32Row`; ``n`` must be a compile-time constant."""
    _check_array(arr)
    row = F32Row(_length(n))
    sig = row(arr, offset, n)

    def codegen(context, builder, signature, args):
        start = _offset(context, builder, signature.args[1], args[1])
        ptrs = _piece_pointers(context, builder, signature.args[0], args[0], start, row)
        return _pack(builder, row, [builder.load(p, align=4) for p in ptrs])

    return sig, codegen


@intrinsic
def store(typingctx, arr, offset, row):
    """Write ``row`` into ``arr`` (C-contiguous float32) from flat element ``offset``."""
    _check_array(arr)
    if not isinstance(row, F32Row):
        raise TypingError(f"store() takes a row, got {row}")
    sig = types.void(arr, offset, row)

    def codegen(context, builder, signature, args):
        start = _offset(context, builder, signature.args[1], args[1])
        ptrs = _piece_pointers(context, builder, signature.args[0], args[0], start, row)
        for part, ptr in zip(_unpack(builder, row, args[2]), ptrs):
            builder.store(part, ptr, align=4)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic(prefer_literal=True)
def zeros(typingctx, n):
    """A row of ``n`` zeros (``n`` a compile-time constant)."""
    row = F32Row(_length(n))
    sig = row(n)

    def codegen(context, builder, signature, args):
        return ir.Constant(_struct(row), None)

    return sig, codegen


@intrinsic
def axpy(typingctx, a, x, y):
    """``a * x + y`` for a scalar ``a`` (cast to float32) and rows ``x``, ``y``, fused."""
    if not (isinstance(x, F32Row) and x == y and isinstance(a, (types.Float, types.Integer))):
        raise TypingError(f"axpy(a, x, y) takes a number and two rows of one length, got "
                          f"{a}, {x}, {y}")
    sig = x(a, x, y)

    def codegen(context, builder, signature, args):
        scalar = context.cast(builder, args[0], signature.args[0], types.float32)
        out = []
        for k, xs, ys in zip(x.pieces, _unpack(builder, x, args[1]), _unpack(builder, x, args[2])):
            out.append(_fma(builder, _splat(builder, scalar, k), xs, ys, k))
        return _pack(builder, x, out)

    return sig, codegen


@intrinsic
def add(typingctx, x, y):
    """``x + y`` for two rows of one length."""
    if not (isinstance(x, F32Row) and x == y):
        raise TypingError(f"add(x, y) takes two rows of one length, got {x}, {y}")
    sig = x(x, y)

    def codegen(context, builder, signature, args):
        parts = zip(_unpack(builder, x, args[0]), _unpack(builder, x, args[1]))
        return _pack(builder, x, [builder.fadd(a, b) for a, b in parts])

    return sig, codegen


@intrinsic
def scale(typingctx, a, x):
    """``a * x`` for a scalar ``a`` (cast to float32) and a row ``x``."""
    if not (isinstance(x, F32Row) and isinstance(a, (types.Float, types.Integer))):
        raise TypingError(f"scale(a, x) takes a number and a row, got {a}, {x}")
    sig = x(a, x)

    def codegen(context, builder, signature, args):
        scalar = context.cast(builder, args[0], signature.args[0], types.float32)
        out = [builder.fmul(_splat(builder, scalar, k), part)
               for k, part in zip(x.pieces, _unpack(builder, x, args[1]))]
        return _pack(builder, x, out)

    return sig, codegen


@intrinsic
def dot(typingctx, x, y):
    """The float32 dot product of two rows of one length.

    Pieces of equal width are multiplied and summed lane-wise first, then each width is reduced
    once, so a row of 100 costs six FMAs and two horizontal sums.
    """
    if not (isinstance(x, F32Row) and x == y):
        raise TypingError(f"dot(x, y) takes two rows of one length, got {x}, {y}")
    sig = types.float32(x, y)

    def codegen(context, builder, signature, args):
        sums: dict[int, ir.Value] = {}
        for k, a, b in zip(x.pieces, _unpack(builder, x, args[0]), _unpack(builder, x, args[1])):
            sums[k] = builder.fmul(a, b) if k not in sums else _fma(builder, a, b, sums[k], k)
        total = ir.Constant(_F32, 0.0)
        for k, vec in sums.items():
            fnty = ir.FunctionType(_F32, [_F32, _vec(k)])
            fn = cgutils.get_or_insert_function(builder.module, fnty,
                                                f"llvm.vector.reduce.fadd.v{k}f32")
            part = builder.call(fn, [ir.Constant(_F32, -0.0), vec], fastmath=("reassoc",))
            total = builder.fadd(total, part)
        return total

    return sig, codegen


@intrinsic(prefer_literal=True)
def prefetch_row(typingctx, arr, offset, n):
    """Ask the CPU to fetch the cache lines of ``arr[offset:offset + n]`` (float32, flat) for
    reading and writing soon (``llvm.prefetch``, temporal). A hint: it never faults, even past
    the end of the array, and changes no value."""
    _check_array(arr)
    length = _length(n)
    sig = types.void(arr, offset, n)

    def codegen(context, builder, signature, args):
        start = _offset(context, builder, signature.args[1], args[1])
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        base = builder.bitcast(builder.gep(data, [start]), ir.IntType(8).as_pointer())
        fnty = ir.FunctionType(ir.VoidType(), [ir.IntType(8).as_pointer(), _I32, _I32, _I32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0i8")
        nbytes = 4 * length
        # Every line the row touches: one per 64 bytes from its start, and its last byte's.
        offsets = set(range(0, nbytes, CACHE_LINE)) | ({nbytes - 1} if nbytes else set())
        for at in sorted(offsets):
            ptr = builder.gep(base, [ir.Constant(_I64, at)])
            builder.call(fn, [ptr, ir.Constant(_I32, 1), ir.Constant(_I32, 3),
                              ir.Constant(_I32, 1)])
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def popcount(typingctx, x):
    """Number of set bits of a ``uint64`` (one ``popcnt`` instruction)."""
    sig = types.int64(types.uint64)

    def codegen(context, builder, signature, args):
        value = context.cast(builder, args[0], signature.args[0], types.uint64)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(_I64, [_I64]),
                                            "llvm.ctpop.i64")
        return builder.call(fn, [value])

    return sig, codegen


@intrinsic
def lowest_bit(typingctx, x):
    """Index of the lowest set bit of a non-zero ``uint64`` (``tzcnt``); 64 for zero."""
    sig = types.int64(types.uint64)

    def codegen(context, builder, signature, args):
        value = context.cast(builder, args[0], signature.args[0], types.uint64)
        fnty = ir.FunctionType(_I64, [_I64, ir.IntType(1)])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.cttz.i64")
        return builder.call(fn, [value, ir.Constant(ir.IntType(1), 0)])

    return sig, codegen
