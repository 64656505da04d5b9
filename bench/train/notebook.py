"""Times the reference notebook's train step (seed_torch.py) for bench/train.

Usage: notebook.py VARIANTS MODE WARMUP
  VARIANTS  comma-separated subset of A,B,C,D,E
  MODE      "tuned" (torch.set_num_threads(2); the caller sets
            OPENBLAS_NUM_THREADS=1) or "default" (torch's own thread count)
  WARMUP    untimed steps per model before the ready line

A persistent worker: it builds the notebook's models at N=20, d_model 128
(batch 32, S=100), warms each up, prints one JSON ready line, then reads
commands from stdin, one a line, "<variant> <k>", and answers each with one
JSON line holding the wall and CPU seconds of k train steps. A step is what
the notebook's train_model does per batch, minus data generation:
optimizer.zero_grad(), forward, causal_loss_fn, backward, AdamW.step() (lr
1e-4, torch's default weight decay 0.01), on fixed random inputs.

The notebook's prints (rich) are suppressed: stdout is redirected to
/dev/null, and the protocol goes to a duplicate of the original stdout.
"""
import contextlib
import io
import json
import os
import sys
import time

out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
sys.stdout = open(os.devnull, "w")

ref = os.environ["CAUSEWAY_REFERENCE"]  # the directory of seed_torch.py (set by the Go harness)
sys.path.insert(0, ref)

with contextlib.redirect_stdout(io.StringIO()):
    import torch
    import seed_torch

B, S, N, D = 32, 100, 20, 128


def build(v):
    cls = {
        "A": seed_torch.ModelA_Baseline,
        "B": seed_torch.ModelB_Experts,
        "C": seed_torch.ModelC_Sparsity,
        "D": seed_torch.ModelD_Masked,
        "E": seed_torch.ModelE_HyperNet,
    }[v]
    m = cls(num_nodes=N, d_model=D)
    m.train()
    return m, torch.optim.AdamW(m.parameters(), lr=1e-4)


def inputs(seed):
    g = torch.Generator().manual_seed(seed)
    base = torch.randn(B, S, N, generator=g)
    inter = 2 * torch.randn(B, S, N, generator=g) + 0.3 * torch.arange(N, dtype=torch.float32)
    target = torch.randn(B, N, generator=g)
    idx = torch.randint(0, N, (B,), generator=g)
    mask = torch.nn.functional.one_hot(idx, N).float()
    delta = torch.randn(B, N, generator=g)
    adj = (torch.rand(B, N, N, generator=g) < 0.3).float().triu(1)
    return {"base": base, "int": inter, "target": target, "mask": mask,
            "idx": torch.argmax(mask, dim=-1), "delta": delta, "adj": adj}


def step(v, model, opt, x):
    opt.zero_grad()
    args = [x["base"], x["int"], x["target"], x["mask"]]
    if v == "E":
        args.append(x["idx"])
    outputs = model(*args)
    p_delta, p_adj = outputs[0], outputs[1]  # Model C also returns its sample
    loss, _ = seed_torch.causal_loss_fn(p_delta, x["delta"], p_adj, x["adj"])
    loss.backward()
    opt.step()
    return loss.item()


def main():
    variants = sys.argv[1].split(",")
    mode = sys.argv[2]
    warmup = int(sys.argv[3])
    if mode == "tuned":
        torch.set_num_threads(2)
    torch.manual_seed(0)
    x = inputs(1)
    models = {}
    for v in variants:
        model, opt = build(v)
        for _ in range(warmup):
            step(v, model, opt, x)
        models[v] = (model, opt)
    out.write(json.dumps({
        "ready": True, "torch": torch.__version__, "mode": mode,
        "torch_threads": torch.get_num_threads(),
        "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS", ""),
    }) + "\n")
    for line in sys.stdin:
        f = line.split()
        if not f:
            continue
        if f[0] == "quit":
            break
        v, k = f[0], int(f[1])
        model, opt = models[v]
        wall, cpu = [], []
        for _ in range(k):
            c0 = time.process_time()
            t0 = time.perf_counter()
            step(v, model, opt, x)
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        out.write(json.dumps({"variant": v, "wall": wall, "cpu": cpu}) + "\n")


if __name__ == "__main__":
    main()
