"""Batches of sequences of different lengths, as torch.nn.utils.rnn: padding and packing.

A PackedSequence keeps only the valid steps, time-major: the rows of step 0 for every sequence
(longest first), then those of step 1 for the sequences that have one, and so on; batch_sizes[t]
says how many sequences have step t. Packing and unpacking are indexing ops, so gradients flow.
"""
from typing import NamedTuple

import numpy as np

from microtorch import functional as mf
from microtorch._checks import _input
from microtorch.creation import full, tensor
from microtorch.tensor import Tensor

__all__ = ["PackedSequence", "pad_sequence", "pack_padded_sequence", "pad_packed_sequence", "pack_sequence"]


class PackedSequence(NamedTuple):
    """Sequences packed time-major, as torch.nn.utils.rnn.PackedSequence.

    Parameters
    ----------
    data : Tensor
        (sum of lengths, *): the valid steps, time-major, longest sequence first within a step.
    batch_sizes : Tensor
        int64 (max length,): how many sequences have each step.
    sorted_indices, unsorted_indices : Tensor or None
        The permutation from the caller's batch order to longest-first, and back.
    """

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor = None
    unsorted_indices: Tensor = None


def _lengths_array(lengths, batch_size):
    array = np.asarray(lengths._array if isinstance(lengths, Tensor) else lengths, dtype=np.int64).reshape(-1)
    if array.size != batch_size:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {array.size} "
                           f"(batch_size={batch_size})")
    if (array <= 0).any():
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    return array


def _packed_rows(batch_sizes):
    """(time index, batch index) of each row of a packed sequence's data."""
    steps = np.arange(len(batch_sizes))
    return np.repeat(steps, batch_sizes), np.concatenate([np.arange(size) for size in batch_sizes])


def _lengths_of(batch_sizes):
    """Each sorted sequence's length, from how many sequences have each step."""
    return (np.asarray(batch_sizes)[None, :] > np.arange(batch_sizes[0])[:, None]).sum(axis=1)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shapes (L_i, *) into one (max L, B, *) tensor (B first if batch_first), padded.

    Parameters
    ----------
    sequences : list of Tensor
        Each (L_i, *), with the same trailing dims.
    batch_first : bool
        Return (B, max L, *) instead of (max L, B, *).
    padding_value : float
        The value of the padded steps.
    padding_side : {'right', 'left'}
        Pad after the sequence (torch's default) or before it.

    Returns
    -------
    Tensor
    """
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    sequences = [_input("pad_sequence", s) for s in sequences]
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    longest = max(len(s) for s in sequences)
    padded = []
    for s in sequences:
        if len(s) == longest:
            padded.append(s)
            continue
        fill = full((longest - len(s),) + s.shape[1:], padding_value, dtype=s.dtype)
        padded.append(mf.cat([s, fill] if padding_side == "right" else [fill, s]))
    return mf.stack(padded, 1 if not batch_first else 0)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, B, *) (or (B, T, *) if batch_first) whose sequences have these lengths.

    Parameters
    ----------
    input : Tensor
        The padded batch.
    lengths : list of int or Tensor
        Each sequence's length. With enforce_sorted=True they must be in decreasing order.
    batch_first : bool
        input is (B, T, *).
    enforce_sorted : bool
        If False, the sequences are sorted by length here and the permutation kept in the result.

    Returns
    -------
    PackedSequence
    """
    _input("pack_padded_sequence", input)
    if batch_first:
        input = input.transpose(0, 1)
    lengths = _lengths_array(lengths, input.shape[1])
    if enforce_sorted:
        if (np.diff(lengths) > 0).any():
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                               "sidestep this requirement if you do not need ONNX exportability.")
        sorted_indices = unsorted_indices = None
        order = np.arange(len(lengths))
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices, unsorted_indices = tensor(order), tensor(np.argsort(order))
    if lengths.max() > input.shape[0]:
        raise RuntimeError(f"pack_padded_sequence: a length of {lengths.max()} is longer than the input's "
                           f"{input.shape[0]} steps")
    batch_sizes = (lengths[:, None] > np.arange(lengths.max())[None, :]).sum(axis=0)
    steps, rows = _packed_rows(batch_sizes)
    data = input[steps, order[rows]]
    return PackedSequence(data, tensor(batch_sizes), sorted_indices, unsorted_indices)


def _padded_sorted(sequence, padding_value=0.0, total_length=None):
    """(T, B, *) in the packed (longest-first) batch order, and the sorted lengths."""
    batch_sizes = np.asarray(sequence.batch_sizes._array, dtype=np.int64)
    data = sequence.data
    steps = len(batch_sizes) if total_length is None else total_length
    index = np.full((steps, batch_sizes[0]), data.shape[0])  # the padding row, unless a step is valid
    time, rows = _packed_rows(batch_sizes)
    index[time, rows] = np.arange(data.shape[0])
    fill = full((1,) + data.shape[1:], padding_value, dtype=data.dtype)
    return mf.cat([data, fill])[index], _lengths_of(batch_sizes)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo pack_padded_sequence: the padded batch (T, B, *) and each sequence's length, in the caller's order.

    Parameters
    ----------
    sequence : PackedSequence
    batch_first : bool
        Return (B, T, *).
    padding_value : float
        The value of the padded steps.
    total_length : int, optional
        Pad to this many steps rather than to the longest sequence.

    Returns
    -------
    (Tensor, Tensor)
        The padded batch, and the lengths (int64).
    """
    longest = len(sequence.batch_sizes)
    if total_length is not None and total_length < longest:
        raise ValueError(f"Expected total_length to be at least the length of the longest sequence in input, "
                         f"but got total_length={total_length} and max sequence length being {longest}")
    padded, lengths = _padded_sorted(sequence, padding_value, total_length)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices._array]
    return (padded.transpose(0, 1) if batch_first else padded), tensor(lengths)


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of tensors (L_i, *): pad_sequence, then pack_padded_sequence."""
    lengths = [len(s) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)
