"""Times the reference notebook's data generation (seed_torch.py) for bench/scm.

Prints one JSON object: per N, interventional sets per second (wall clock and
per CPU-second of this process) through
SCMGenerator.generate_pipeline (called as the notebook's CausalDataset calls
it), and batches of 32 per second through CausalDataset + DataLoader. The
notebook prints a line per generate_pipeline call; stdout is suppressed while
it runs.
"""
import contextlib
import io
import json
import os
import sys
import time

ref = os.environ["CAUSEWAY_REFERENCE"]  # the directory of seed_torch.py (set by the Go harness)
sys.path.insert(0, ref)

with contextlib.redirect_stdout(io.StringIO()):
    import numpy as np
    import torch
    import seed_torch

torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "2")))


def pipeline_rate(n, seconds):
    gen = seed_torch.SCMGenerator()
    sets = calls = 0
    sink = io.StringIO()
    c0 = time.process_time()
    t0 = time.perf_counter()
    while True:
        with contextlib.redirect_stdout(sink):
            res = gen.generate_pipeline(
                num_nodes=n, edge_prob=0.3, num_samples_base=100,
                num_samples_per_intervention=100, intervention_prob=0.5, as_torch=True)
        sink.seek(0)
        sink.truncate()
        sets += len(res["all_dfs"]) - 1
        calls += 1
        el = time.perf_counter() - t0
        if el >= seconds and calls >= 2:
            cpu = time.process_time() - c0
            return {"sets_per_s": sets / el, "sets_per_cpu_s": sets / cpu,
                    "ms_per_call": 1000 * el / calls, "calls": calls}


def batch_rate(n, seconds):
    gen = seed_torch.SCMGenerator()
    ds = seed_torch.CausalDataset(gen, num_nodes_range=(n, n))
    loader = iter(torch.utils.data.DataLoader(ds, batch_size=32))
    batches = 0
    with contextlib.redirect_stdout(io.StringIO()):
        c0 = time.process_time()
        t0 = time.perf_counter()
        while True:
            next(loader)
            batches += 1
            el = time.perf_counter() - t0
            if el >= seconds and batches >= 2:
                break
    cpu = time.process_time() - c0
    return {"batches_per_s": batches / el, "batches_per_cpu_s": batches / cpu, "batches": batches}


def main():
    nodes = [int(x) for x in sys.argv[1].split(",")] if len(sys.argv) > 1 else [5, 20, 50]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    np.random.seed(0)
    out = {"torch": torch.__version__, "pipeline": {}, "batches": {}}
    for n in nodes:
        out["pipeline"][str(n)] = pipeline_rate(n, seconds)
        out["batches"][str(n)] = batch_rate(n, seconds)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
