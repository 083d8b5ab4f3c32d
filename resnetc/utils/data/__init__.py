"""Datasets, samplers and the threaded DataLoader (torch.utils.data's names and semantics).

Randomness contract for transforms: resnetc.utils.random_state.
"""
from resnetc.utils.data.collate import default_collate, default_convert
from resnetc.utils.data.dataloader import (DataLoader, SkippedSample, SkippedSampleWarning, WorkerInfo,
                                           get_worker_info)
from resnetc.utils.data.dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, Subset,
                                        TensorDataset, random_split, sample_path)
from resnetc.utils.data.sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                                        SubsetRandomSampler, WeightedRandomSampler)
from resnetc.utils.data.stats import RunningMeanStd, compute_mean_std
from resnetc.utils.random_state import current_sample_generator, sample_generator

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset",
           "RandomSampler", "RunningMeanStd", "Sampler", "SequentialSampler", "SkippedSample",
           "SkippedSampleWarning", "Subset", "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler",
           "WorkerInfo", "compute_mean_std", "current_sample_generator", "default_collate", "default_convert",
           "get_worker_info", "random_split", "sample_generator", "sample_path"]
