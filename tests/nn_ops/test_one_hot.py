"""one_hot against torch: values, dtype and errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import resnetc
import resnetc.nn.functional as F


@pytest.mark.parametrize("labels,num_classes", [([0, 2, 1, 2], -1), ([0, 2], 5), ([[1, 0], [3, 3]], -1), ([], 3)])
def test_one_hot_matches_torch(labels, num_classes):
    ours = F.one_hot(resnetc.tensor(np.array(labels, np.int64)), num_classes=num_classes)
    theirs = TF.one_hot(torch.tensor(labels, dtype=torch.int64), num_classes=num_classes)
    assert ours.dtype == np.int64 and ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.array, theirs.numpy())


@pytest.mark.parametrize("labels,num_classes", [([0, 3], 3), ([-1, 0], 3), ([], -1)])
def test_one_hot_errors_match_torch(labels, num_classes):
    with pytest.raises(RuntimeError) as expected:
        TF.one_hot(torch.tensor(labels, dtype=torch.int64), num_classes)
    with pytest.raises(RuntimeError) as got:
        F.one_hot(resnetc.tensor(np.array(labels, np.int64)), num_classes)
    assert str(got.value) == str(expected.value)


def test_one_hot_rejects_float_input():
    with pytest.raises(RuntimeError, match="index tensor"):
        F.one_hot(np.array([0.0, 1.0], np.float32))
