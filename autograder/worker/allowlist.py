"""The torch operators a student's function may call: everything else is refused at the autograd
dispatch keys (``enforce``), whatever its name.

The rule is about what the student's code calls, not about what an allowed routine does inside
(``Tensor.repeat`` runs ``aten::unfold`` in its kernel): a call from Python, TorchScript or a
callback enters torch's dispatcher at the tensor's autograd key, while the inner calls of an op
that has an autograd kernel run below it (torch's dispatcher). So the list is of
*entry* ops, by kind, derived from the book's chapter 6 code, the course's notebooks, the corpus of
correct submissions (``tests/corpus/*/ok_*.py``) and what students were seen to use. An op missing
from here refuses honest code with a message that names it: add it here, with the corpus file
that needs it.

Not allowed, on purpose (the forbidden kinds under other names): ``unfold``, ``stft`` (a sliding
window), ``embedding_bag`` (sums/maxima over windows), ``pixel_unshuffle`` and ``channel_shuffle``,
``pad_sequence``'s and ``_pad_packed_sequence``'s padding, ``constant_pad_nd`` and every padding,
pooling, convolution and im2col op, ``set_`` (a storage re-view). ``as_strided`` is allowed: it is
a view, like slicing, and the student still writes the contraction (the corpus uses it).

``COMPOSITES``: allowed ops that decompose above the autograd key (CompositeImplicitAutograd), so
that their own inner calls meet the refusals: their inner calls are let through (``enforce``).
"""
from __future__ import annotations

import re

# Base names (overload and trailing ``_`` of in-place variants ignored), by kind.
KINDS = {
    "creation": """empty empty_like empty_strided new_empty new_empty_strided zeros zeros_like
        new_zeros ones ones_like new_ones full full_like new_full arange linspace logspace eye
        scalar_tensor rand rand_like randn randn_like randint randint_like randperm normal uniform
        bernoulli tril_indices triu_indices lift lift_fresh lift_fresh_copy _to_copy to copy
        clone detach alias contiguous fill zero resize resize_as result_type type_as complex polar
        view_as_real view_as_complex real imag conj _conj resolve_conj resolve_neg _neg_view
        conj_physical _efficientzerotensor one_hot _lazy_clone _to_dense to_dense
        exponential geometric cauchy log_normal random multinomial""",
    "metadata": """size stride sym_size sym_stride sym_numel sym_storage_offset storage_offset
        numel dim is_contiguous is_non_overlapping_and_dense is_same_size is_nonzero
        is_floating_point is_complex is_signed is_inference is_conj is_neg _is_zerotensor
        output_nr _version requires_grad retain_grad retains_grad set_data data item
        _local_scalar_dense _has_compatible_shallow_copy_type _shape_as_tensor equal allclose
        isclose _assert_async _assert_tensor_metadata _assert_scalar _functional_assert_async
        sym_constrain_range sym_constrain_range_for_size
        is_pinned _pin_memory pin_memory record_stream""",
    "views and indexing": """view view_as reshape reshape_as _reshape_alias _unsafe_view flatten
        unflatten squeeze unsqueeze transpose t permute movedim moveaxis swapaxes swapdims expand
        expand_as broadcast_to broadcast_tensors narrow narrow_copy select slice slice_scatter
        select_scatter diagonal diagonal_scatter diag diag_embed as_strided as_strided_scatter
        split split_with_sizes chunk unbind tensor_split hsplit vsplit dsplit unsafe_split
        unsafe_chunk unsafe_split_with_sizes index index_select index_put _index_put_impl
        _unsafe_index _unsafe_index_put index_add index_copy index_fill masked_fill masked_select
        masked_scatter take take_along_dim gather scatter scatter_add scatter_reduce index_reduce
        put nonzero nonzero_static nonzero_numpy argwhere where flip fliplr flipud rot90 roll repeat
        repeat_interleave tile kron cat concat concatenate stack _stack hstack vstack dstack
        column_stack row_stack atleast_1d atleast_2d atleast_3d tril triu meshgrid
        cartesian_prod block_diag numpy_T mT mH matrix_H adjoint ravel view_copy expand_copy
        permute_copy transpose_copy t_copy squeeze_copy unsqueeze_copy select_copy slice_copy
        split_copy split_with_sizes_copy unbind_copy diagonal_copy alias_copy _reshape_copy
        detach_copy as_strided_copy _unsafe_masked_index _unsafe_masked_index_put_accumulate
        sum_to_size""",
    "linear algebra": """mm bmm matmul mv dot vdot inner outer ger addmm addmv addbmm baddbmm addr
        einsum tensordot chain_matmul linalg_multi_dot trace matrix_power linalg_matrix_power
        cross linalg_cross linear _addmm_activation linalg_vecdot norm linalg_norm
        linalg_vector_norm linalg_matrix_norm frobenius_norm nuclear_norm dist linalg_svdvals
        _linalg_svd""",
    "reductions": """sum nansum _sum mean nanmean prod cumsum cumprod _cumsum _cumprod cummax
        cummin _cummax_helper _cummin_helper logcumsumexp _logcumsumexp max min amax amin aminmax
        argmax argmin std var std_mean var_mean median nanmedian mode quantile nanquantile all any
        count_nonzero logsumexp softmax _softmax log_softmax _log_softmax _safe_softmax sort
        argsort msort topk kthvalue unique _unique _unique2 unique_dim unique_consecutive
        bincount histc searchsorted bucketize diff""",
    "losses": """mse_loss l1_loss smooth_l1_loss huber_loss cross_entropy_loss nll_loss
        nll_loss_nd nll_loss_forward binary_cross_entropy binary_cross_entropy_with_logits
        kl_div""",
    "optimisers": """_foreach_add _foreach_sub _foreach_mul _foreach_div _foreach_addcmul
        _foreach_addcdiv _foreach_sqrt _foreach_neg _foreach_lerp _foreach_maximum _foreach_zero
        _foreach_copy _foreach_norm _foreach_pow _foreach_clamp_max _foreach_clamp_min
        _foreach_abs _foreach_sign _foreach_reciprocal _foreach_exp _foreach_mul_scalar""",
    # ``torch.fft``: what ``rfft2``/``irfft2`` call below the Python names.
    "fft": """fft_fft fft_ifft fft_rfft fft_irfft fft_hfft fft_ihfft fft_fft2 fft_ifft2 fft_rfft2
        fft_irfft2 fft_hfft2 fft_ihfft2 fft_fftn fft_ifftn fft_rfftn fft_irfftn fft_hfftn
        fft_ihfftn fft_fftshift fft_ifftshift fft_fftfreq fft_rfftfreq _fft_r2c _fft_c2r
        _fft_c2c""",
    # Pointwise ops not tagged ``pointwise`` in this torch (the tag brings the rest).
    "pointwise": """add sub rsub mul div true_divide floor_divide remainder fmod pow float_power
        neg negative abs absolute sign sgn exp exp2 expm1 log log2 log10 log1p sqrt rsqrt square
        clamp clamp_min clamp_max clip relu relu6 sigmoid tanh hardtanh maximum minimum fmax fmin
        eq ne lt le gt ge equal logical_and logical_or logical_xor logical_not bitwise_and
        bitwise_or bitwise_xor bitwise_not isnan isinf isfinite isposinf isneginf isreal
        nan_to_num round floor ceil trunc fix frac reciprocal lerp addcmul addcdiv hypot atan2
        arctan2 sin cos tan asin acos atan sinh cosh asinh acosh atanh erf erfc erfinv
        copysign heaviside xlogy signbit threshold gelu silu leaky_relu elu softplus mish
        logit sinc deg2rad rad2deg positive angle __and__ __or__ __xor__ __lshift__ __rshift__
        __iand__ __ior__ __ixor__ __ilshift__ __irshift__""",
}

# Allowed ops whose CompositeImplicitAutograd kernel can call a refused op above the autograd key
# (``torch.fft.*`` with ``s=`` zero-pads through ``constant_pad_nd``).
COMPOSITES = r"^fft_"

# Namespaces whose ops are refused unless listed (every namespace torch itself registers but
# ``aten``, where the list applies, and ``profiler``, which ``torch.optim`` calls).
FREE_NAMESPACES = {"profiler"}


def names() -> frozenset:
    """The allowed base names."""
    return frozenset(n for text in KINDS.values() for n in text.split())


def base(full: str) -> str:
    """``aten::add_.Tensor`` -> ``add``; ``aten::_index_put_impl_`` -> ``_index_put_impl``."""
    name = full.split("::", 1)[1].split(".")[0]
    return name[:-1] if name.endswith("_") and not name.endswith("__") else name


def allowed_ops(torch, extra=()) -> set:
    """Every registered operator (``ns::name.overload``) a student's function may call: the
    listed base names, every op torch tags ``pointwise``, and ``extra`` (an exercise's own)."""
    wanted = names() | frozenset(extra)
    out = set()
    for full in torch._C._dispatch_get_all_op_names():
        ns = full.split("::", 1)[0]
        if ns in FREE_NAMESPACES:
            out.add(full)
        elif ns == "aten" and (base(full) in wanted or _pointwise(torch, full)):
            out.add(full)
    return out


def composite(full: str) -> bool:
    return full.startswith("aten::") and re.search(COMPOSITES, base(full)) is not None


def _pointwise(torch, full: str) -> bool:
    name = full.split("::", 1)[1]
    op, _, overload = name.partition(".")
    packet = getattr(torch.ops.aten, op, None)
    try:
        ov = getattr(packet, overload or "default")
        return torch.Tag.pointwise in ov.tags
    except (AttributeError, RuntimeError):
        return False
